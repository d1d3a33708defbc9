"""The input check of every tagger's forward: a ParameterError naming x, not a shape error deep in torch."""

from __future__ import annotations

import torch
from torch import nn

from fasttag.errors import ParameterError


def standardised_input(model: nn.Module, x, *, has_frames: bool) -> torch.Tensor:
    """``(x - model.feature_mean) / model.feature_std`` once x is checked: a tensor of shape
    (batch, n_features, n_frames >= 1) (or (batch, n_features) without frames), n_features the
    length of the model's ``feature_mean``, in the dtype of its buffers."""
    n_features = model.feature_mean.shape[0]
    layout = f"(batch, {n_features}, n_frames)" if has_frames else f"(batch, {n_features})"
    if not isinstance(x, torch.Tensor):
        raise ParameterError(f"x must be a torch.Tensor of shape {layout}, got {type(x).__name__}")
    if x.dim() != (3 if has_frames else 2) or x.shape[1] != n_features or (has_frames and x.shape[2] == 0):
        raise ParameterError(f"x must have shape {layout} for this {type(model).__name__}, got {tuple(x.shape)}")
    if x.dtype != model.feature_mean.dtype:
        raise ParameterError(f"x has dtype {x.dtype} but this {type(model).__name__} computes in "
                             f"{model.feature_mean.dtype}: convert x or the model (.to(dtype))")
    return (x - model.feature_mean) / model.feature_std
