"""Where the torch taggers run: a checked ``device`` argument, and the device a model is on."""

from __future__ import annotations

import torch
from torch import nn

from fasttag.errors import ParameterError


def torch_device(device) -> torch.device:
    """``device`` ("cpu", "cuda", "cuda:N" or a `torch.device`) as a torch.device that exists here.

    Raises
    ------
    ParameterError
        Not a device name, or a CUDA device that torch does not see (no GPU, a CPU-only
        build of torch, or an index beyond the GPUs present).
    """
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ParameterError(f"device={device!r} is not a torch device (\"cpu\", \"cuda\" or \"cuda:N\")") from exc
    if resolved.type == "cpu":
        return resolved
    if resolved.type != "cuda":
        raise ParameterError(f"device={device!r}: fasttag trains on \"cpu\" or \"cuda\", not {resolved.type!r}")
    if not torch.cuda.is_available():
        build = f"CUDA {torch.version.cuda}" if torch.version.cuda else "a CPU-only build"
        raise ParameterError(f"device={device!r} but torch {torch.__version__} ({build}) sees no CUDA GPU")
    if resolved.index is not None and resolved.index >= torch.cuda.device_count():
        raise ParameterError(f"device={device!r} but torch sees {torch.cuda.device_count()} CUDA GPU(s)")
    return resolved


def model_device(model: nn.Module) -> torch.device:
    """The device of ``model``'s first parameter (or buffer); the CPU for a model with neither."""
    for tensor in (*model.parameters(), *model.buffers()):
        return tensor.device
    return torch.device("cpu")
