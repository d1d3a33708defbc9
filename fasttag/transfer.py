"""Fine-tuned transfer: start a tagger for a new tag set from a trained run's weights.

`init_from` copies every weight and buffer of a trained run's model into a
new model of the same architecture, except its output layer, which keeps its
fresh initialisation (the new tag set has its own outputs); training then
updates everything. Black-box transfer, where the trained network only
computes features, is `fasttag.cnn_frames`.
"""

from __future__ import annotations

from torch import nn

from fasttag.errors import FasttagError
from fasttag.training import Run, load_run


def output_layer(model: nn.Module) -> str:
    """Name of ``model``'s output layer: its last `torch.nn.Linear` module."""
    names = [name for name, module in model.named_modules() if isinstance(module, nn.Linear)]
    if not names:
        raise FasttagError(f"{type(model).__name__} has no linear output layer")
    return names[-1]


def init_from(model: nn.Module, run) -> list[str]:
    """Load a trained run's weights into ``model``, all but the output layer.

    Parameters
    ----------
    model : nn.Module
        A freshly built `fasttag.models` tagger for the new tag set, with the
        run's architecture (same class and hyper-parameters but ``n_tags``).
    run : str, Path, fasttag.training.Run or nn.Module
        The trained run, or its trained model itself (a `fasttag.models` tagger in memory).

    Returns
    -------
    copied : list of str
        The state-dict entries copied (the output layer's are not).

    Raises
    ------
    FasttagError
        The run's model is another class or has other hyper-parameters.
    """
    source = _trained_model(run)
    name = type(model).__name__
    if type(source) is not type(model):
        raise FasttagError(f"the run holds a {type(source).__name__}, not a {name}: cannot start from it")
    mine = {k: v for k, v in model.hparams.items() if k != "n_tags"}
    theirs = {k: v for k, v in source.hparams.items() if k != "n_tags"}
    if mine != theirs:
        keys = sorted(set(mine) | set(theirs))
        differ = {k: (theirs.get(k), mine.get(k)) for k in keys if mine.get(k) != theirs.get(k)}
        raise FasttagError(f"the run's {name} differs from the one to train in {differ} (run's, new)")
    skip = output_layer(model) + "."
    state = model.state_dict()
    copied = [key for key in state if not key.startswith(skip)]
    trained = source.state_dict()
    state.update({key: trained[key].clone() for key in copied})
    model.load_state_dict(state)
    return copied


def _trained_model(run) -> nn.Module:
    """The model of ``run``: a module as it is, a `Run`'s model, or the model of a run directory."""
    if isinstance(run, nn.Module):
        return run
    return (run if isinstance(run, Run) else load_run(run)).model
