"""Checks of the taggers' constructor arguments beyond `fasttag._validate`'s: each returns a
plain Python value (so that ``hparams`` and a run's config.json hold ints and floats, whatever
numpy or torch scalar came in), or raises a ParameterError naming the argument."""

from __future__ import annotations

import numbers

from fasttag import _validate
from fasttag.errors import ParameterError


#: The most output channels of a conv block: twice the widest of Choi's FCN (2048). A hand-edited run's
#: channels of 1000000 asked torch for 36 TB of weights (a RuntimeError, or the machine's memory).
MAX_CHANNELS = 4096


def channels(values, count: int, name: str = "channels") -> list[int]:
    """``count`` ints in [1, MAX_CHANNELS] (output channels per block)."""
    values = list(values)
    if len(values) != count or not all(_validate.is_integer(c) and c > 0 for c in values):
        raise ParameterError(f"{name}={values!r} must be {count} positive integers")
    if max(values) > MAX_CHANNELS:
        raise ParameterError(f"{name}={values!r} must be at most {MAX_CHANNELS} per block")
    return [int(c) for c in values]


def rate(value, name: str) -> float:
    """A dropout probability: a real number in [0, 1)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0.0 <= value < 1.0:
        raise ParameterError(f"{name}={value!r} must be a number in [0, 1)")
    return float(value)


def option(value, options, name: str) -> str:
    """``value`` if it is one of the strings ``options``."""
    if not isinstance(value, str) or value not in options:
        raise ParameterError(f"{name}={value!r} must be one of {sorted(options)}")
    return value
