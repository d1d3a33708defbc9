"""Ratios from paired rounds (the ``paired_rounds`` fixture of benchmarks/conftest.py): two peers
timed back to back in every round, the order alternating, so that both halves of a ratio see the
same load on a shared machine."""

from __future__ import annotations

import numpy as np


def round_ratios(info: dict) -> np.ndarray:
    """Peer seconds / our seconds, round by round."""
    return np.asarray(info["peer_s"]) / np.asarray(info["ours_s"])


def seconds(info: dict, who: str, stat: str) -> float:
    """The median (``stat="median"``) or fastest (``stat="min"``) round of ``who`` ("ours" or "peer")."""
    rounds = np.asarray(info[f"{who}_s"])
    return float(np.median(rounds) if stat == "median" else rounds.min())


def paired_ratio(info: dict, stat: str) -> float:
    """Peer seconds / our seconds: the median of the round ratios (``stat="median"``), or the fastest
    peer round over our fastest round (``stat="min"``)."""
    if stat == "median":
        return float(np.median(round_ratios(info)))
    return seconds(info, "peer", "min") / seconds(info, "ours", "min")
