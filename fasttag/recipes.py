"""The study's taggers by name: which model takes which features, and how both are built.

A recipe is a ``--model`` name of `fasttag train` (``fcn4``, ``fcn5``, ``crnn``,
``lstm``, ``mlp-bof``) with a ``--features`` kind (``logmel``, ``mfcc``,
``cnn``, and ``logmel-chroma`` for an FCN with a key head). `build_model` makes the torch module, `frame_features` the
frame-level feature description (`fasttag.featurizers`), and
`check_recipe` refuses the pairs that make no sense, in one line.
"""

from __future__ import annotations

import dataclasses

from torch import nn

from fasttag.cnn_frames import CNNFrames
from fasttag.errors import ParameterError
from fasttag.featurizers import FEATURES, LogMel, LogMelChroma
from fasttag.models import CRNN, FCN, MLP, LSTMTagger, _hparams
from fasttag.models.crnn import CHOI_CRNN_LAYERS

#: Model names and the features each takes by default (the study's pairs).
MODEL_FEATURES = {"fcn4": "logmel", "fcn5": "logmel", "crnn": "logmel", "lstm": "mfcc", "mlp-bof": "mfcc"}

#: Features each model accepts (the convolutional models read spectrogram-like rows;
#: a bag of frames needs frame features other than the raw log-mel; CNN frames feed
#: the temporal summaries, the LSTM and the bag of frames).
MODEL_ACCEPTS = {
    "fcn4": ("logmel", "mfcc", "logmel-chroma"),
    "fcn5": ("logmel", "mfcc", "logmel-chroma"),
    "crnn": ("logmel", "mfcc"),
    "lstm": ("logmel", "mfcc", "cnn"),
    "mlp-bof": ("mfcc", "cnn"),
}

#: The study's codebook size K.
CODEBOOK_SIZE = 1024


def check_recipe(model: str, features: str) -> None:
    """ParameterError unless ``model`` takes ``features`` (see `MODEL_ACCEPTS`)."""
    if model not in MODEL_FEATURES:
        raise ParameterError(f"model {model!r} is not one of {', '.join(MODEL_FEATURES)}")
    if features not in MODEL_ACCEPTS[model]:
        raise ParameterError(f"--model {model} does not take --features {features} "
                             f"(it takes {' or '.join(MODEL_ACCEPTS[model])})")  # fmt: skip


def check_options(name: str, *, channels=None, hidden=None, pooling=None) -> None:
    """ParameterError if ``name`` is not a model or has no such option (before any work is done)."""
    if name not in MODEL_FEATURES:
        raise ParameterError(f"model {name!r} is not one of {', '.join(MODEL_FEATURES)}")
    if name in ("lstm", "mlp-bof") and channels is not None:
        raise ParameterError(f"--channels does not apply to --model {name} (it has no convolutions)")
    if channels is not None:  # one per conv block: fcn4 and fcn5 have 4 and 5, the CRNN Choi's
        _hparams.channels(channels, len(CHOI_CRNN_LAYERS) if name == "crnn" else int(name[3]), "--channels")
    if name.startswith("fcn") and hidden is not None:
        raise ParameterError(f"--hidden does not apply to --model {name} (it has no recurrent layers)")
    if name != "lstm" and pooling is not None:
        raise ParameterError(f"--pooling applies to --model lstm only, not {name}")


def build_model(name: str, n_features: int, n_tags: int, *, channels=None, hidden=None,
                pooling=None, n_chroma: int = 0) -> nn.Module:  # fmt: skip
    """A fresh tagger for ``--model name``.

    Parameters
    ----------
    name : {"fcn4", "fcn5", "crnn", "lstm", "mlp-bof"}
        `FCN` with 4 or 5 layers, `CRNN`, `LSTMTagger`, or `MLP` (on bag-of-frames histograms).
    n_features : int > 0
        Rows of the input features (mel bins, MFCCs and deltas, CNN channels),
        or the histogram length K for ``mlp-bof``.
    n_tags : int > 0
        Outputs.
    channels : list of int, optional
        Conv channels per block (FCN and CRNN); default the papers'.
    hidden : int, optional
        Recurrent units per layer (CRNN: 32, LSTM: 128 by default), or the
        MLP's hidden width (256).
    pooling : {"last", "mean"}, optional
        The LSTM's clip summary (`LSTMTagger`; default "last", the study's).
    n_chroma : int >= 0
        Chroma rows among the ``n_features`` (``logmel-chroma`` features, see
        `chroma_rows`): an FCN's key head takes them. Only FCNs take chroma.

    Raises
    ------
    ParameterError
        An unknown name, or an option the model does not have.
    """
    check_options(name, channels=channels, hidden=hidden, pooling=pooling)
    if n_chroma and not name.startswith("fcn"):
        raise ParameterError(f"--model {name} takes no chroma rows (only fcn4 and fcn5 have a key head)")
    if name.startswith("fcn"):
        return FCN(n_tags, n_mels=n_features - n_chroma, n_layers=int(name[3]), channels=channels, n_chroma=n_chroma)
    width = {} if hidden is None else {"hidden": hidden}
    if name == "crnn":
        return CRNN(n_tags, n_mels=n_features, channels=channels, **width)
    if name == "mlp-bof":
        return MLP(n_features, n_tags, **width)
    return LSTMTagger(n_features, n_tags, **width, **({} if pooling is None else {"pooling": pooling}))


def chroma_rows(features) -> int:
    """The chroma rows of a feature description: ``n_chroma`` for ``logmel-chroma``, else 0."""
    return features.n_chroma if isinstance(features, LogMelChroma) else 0


def model_name(model: nn.Module) -> str:
    """The ``--model`` name of a built tagger (``fcn5`` for a 5-layer `FCN`, ...)."""
    if isinstance(model, FCN):
        return f"fcn{model.hparams['n_layers']}"
    names = {CRNN: "crnn", LSTMTagger: "lstm", MLP: "mlp-bof"}
    return names.get(type(model), type(model).__name__)


def frame_features(kind: str, *, seconds: float | None = None, cnn_run=None, cnn_block: int | None = None,
                   pool_time: bool = False):  # fmt: skip
    """The frame-level feature description of ``--features kind``.

    Parameters
    ----------
    kind : {"logmel", "mfcc", "logmel-chroma", "cnn"}
        Log-mel (Choi's 96 bins), 30 MFCC + deltas + delta-deltas (90 rows),
        log-mel then 12 chroma rows (`fasttag.featurizers.LogMelChroma`),
        or the frame features of a trained FCN (`fasttag.cnn_frames.CNNFrames`).
    seconds : float > 0, optional
        Clip length; default Choi's 29.12 s (the FCN run's for ``cnn``).
    cnn_run : str, Path or fasttag.training.Run
        The trained FCN run (``cnn`` only, required there).
    cnn_block, pool_time
        The FCN block whose output is taken and whether time pooling is kept
        (`fasttag.cnn_frames.feature_map`).

    Raises
    ------
    ParameterError
        An unknown kind, or CNN options without ``cnn`` or ``cnn`` without a run.
    """
    if kind == "cnn":
        if cnn_run is None:
            raise ParameterError("--features cnn needs --cnn-run RUN (a trained fcn4/fcn5 run)")
        return CNNFrames.from_run(cnn_run, seconds=seconds, block=cnn_block, pool_time=pool_time)
    if cnn_run is not None or cnn_block is not None or pool_time:
        raise ParameterError(f"--cnn-run, --cnn-block and --cnn-pool-time apply to --features cnn only, not {kind}")
    if kind not in FEATURES or kind == "bof":
        raise ParameterError(f"features {kind!r} is not one of logmel, mfcc, logmel-chroma, cnn")
    params = FEATURES[kind]()
    return params if seconds is None else dataclasses.replace(params, seconds=seconds)


def default_seconds(n_frames: int) -> float:
    """Clip length in seconds that gives ``n_frames`` frames at Choi's 12 kHz and hop 256."""
    defaults = LogMel()
    return (n_frames - 1) * defaults.hop_length / defaults.sr
