"""The input check of every tagger's forward: a ParameterError naming x, not a shape error deep in torch."""

from __future__ import annotations

import torch
from torch import nn

from fasttag.errors import ParameterError


def standardised_input(model: nn.Module, x) -> torch.Tensor:
    """``(x - model.feature_mean) / model.feature_std`` once x is checked (`checked_input`):
    n_features is the length of ``feature_mean``, which has a frames axis of 1 when x has frames."""
    mean = model.feature_mean
    return (checked_input(model, x, mean.shape[0], mean.dtype, has_frames=mean.dim() == 2) - mean) / model.feature_std


def checked_input(module: nn.Module, x, n_features: int, dtype: torch.dtype, *, has_frames: bool = True,
                  name: str = "x") -> torch.Tensor:
    """x, if it is a tensor of ``dtype`` and shape (batch, n_features, n_frames >= 1) (or
    (batch, n_features) without frames); else a ParameterError naming ``name`` and the module."""
    if not isinstance(x, torch.Tensor):
        raise ParameterError(f"{name} must be a torch.Tensor of shape {_layout(n_features, has_frames, 'batch')}, "
                             f"got {type(x).__name__}")
    check_shape(module, tuple(x.shape), n_features, has_frames, name=name)
    if x.dtype != dtype:
        raise ParameterError(f"{name} has dtype {x.dtype} but this {type(module).__name__} computes in {dtype}: "
                             f"convert {name} or the model (.to(dtype))")
    return x


def check_shape(module: nn.Module, shape: tuple, n_features: int, has_frames: bool, *, name: str = "x",
                batch: str = "batch") -> None:
    """ParameterError unless ``shape`` is (batch, n_features, n_frames >= 1), or (batch, n_features)
    without frames; the message calls the first axis ``batch``."""
    if len(shape) != (3 if has_frames else 2) or shape[1] != n_features or (has_frames and shape[2] == 0):
        raise ParameterError(f"{name} must have shape {_layout(n_features, has_frames, batch)} for this "
                             f"{type(module).__name__}, got {shape}")


def _layout(n_features: int, has_frames: bool, batch: str) -> str:
    return f"({batch}, {n_features}, n_frames)" if has_frames else f"({batch}, {n_features})"
