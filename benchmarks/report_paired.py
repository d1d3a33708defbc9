"""Ratios from paired rounds (the ``paired_rounds`` fixture of benchmarks/conftest.py): two peers
timed back to back in every round, the order alternating, so that both halves of a ratio see the
same load on a shared machine."""

from __future__ import annotations

import numpy as np


def paired_ratio(info: dict, stat: str) -> float:
    """Peer seconds / our seconds: the median of the round ratios (``stat="median"``), or the fastest
    peer round over our fastest round (``stat="min"``)."""
    ours, peer = np.asarray(info["ours_s"]), np.asarray(info["peer_s"])
    return float(np.median(peer / ours)) if stat == "median" else float(peer.min() / ours.min())
