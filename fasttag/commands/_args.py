"""What the subcommands share: argument parsing (one-line usage errors, checked numbers, help without a
default for required options) and JSON numbers."""

from __future__ import annotations

import argparse
import math

from fasttag._validate import MAX_CLIP_SECONDS as MAX_SECONDS  # the longest clip or crop the commands take
from fasttag._validate import MAX_INT, MAX_SAMPLE_RATE


class UsageError(Exception):
    """Bad command-line arguments (reported in one line, exit status 2)."""


class Parser(argparse.ArgumentParser):
    """An ArgumentParser that raises `UsageError` instead of printing the usage and exiting."""

    def error(self, message):
        raise UsageError(message)


#: How `number`'s errors name the kinds it parses.
_KIND_NAMES = {int: "an integer", float: "a number"}


def number(kind: type, low: float, *, above: bool = False, high: float | None = None):
    """An argparse ``type``: ``kind(text)`` (int or float), finite, at least ``low`` (or above it) and at most
    ``high``."""
    what = _KIND_NAMES[kind]

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} must be {what}") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{text} must be a finite number")
        if value < low or (above and value == low):
            raise argparse.ArgumentTypeError(f"{text} must be {'>' if above else '>='} {low}")
        if high is not None and value > high:
            raise argparse.ArgumentTypeError(f"{text} must be <= {high}")
        return value

    return parse


def seconds():
    """An argparse ``type`` for a clip length in seconds: above 0, at most MAX_SECONDS."""
    return number(float, 0, above=True, high=MAX_SECONDS)


def seed():
    """An argparse ``type`` for a seed: an integer in [0, 2**63 - 1] (torch's and numpy's range)."""
    return number(int, 0, high=MAX_INT)


def sample_rate(low: int = 1):
    """An argparse ``type`` for a sampling rate to resample to (Hz): at least ``low``, at most the library's limit."""
    return number(int, low, high=MAX_SAMPLE_RATE)


def int_list(text: str) -> list[int]:
    """An argparse ``type``: comma-separated positive integers, e.g. ``16,32,64,128``."""
    try:
        values = [int(item) for item in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of integers") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must list positive integers")
    return values


def _device(text: str):
    """An argparse ``type``: a torch device that exists here (checked before any work starts)."""
    from fasttag._torch_device import torch_device
    from fasttag.errors import ParameterError

    try:
        return torch_device(text)
    except ParameterError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_device(parser: argparse.ArgumentParser, role: str) -> None:
    """A ``--device`` option: where the torch tagger ``role`` (e.g. "trains")."""
    parser.add_argument("--device", type=_device, default="cpu", metavar="DEVICE",
                        help=f"where the tagger {role}: cpu, cuda or cuda:N (default: %(default)s)")


def json_number(x: float) -> float | None:
    """``x`` as a JSON number: a float, or None (null) where it is NaN or infinite."""
    return float(x) if math.isfinite(x) else None


class Formatter(argparse.ArgumentDefaultsHelpFormatter):
    """Help that gives each option's default, except for required options (they have none)."""

    def _get_help_string(self, action):
        return action.help if action.required else super()._get_help_string(action)


FORMATTER = Formatter
