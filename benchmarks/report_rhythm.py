"""The chroma and tempogram part of RESULTS.md (benchmarks/test_bench_rhythm.py): x realtime
of each peer and librosa's time over fasttag's, read from the pytest-benchmark JSON."""

from __future__ import annotations

import numpy as np
from report_paired import paired_ratio, round_ratios, seconds

TARGET_VS_LIBROSA = 10.0
FEATURES = {"chroma-t0": "chroma_stft(tuning=0)", "chroma-est": "chroma_stft(tuning=None: estimated)",
            "tempogram": "tempogram (from audio)"}
PEERS = {"fasttag-w1": "fasttag, workers=1", "fasttag-w2": "fasttag, workers=2",
         "librosa": "librosa (BLAS 1 thread)"}


def _by_feature(benches, setting: str = "librosa-default") -> dict[str, dict[str, object]]:
    """{feature: {peer: Bench}} for the rhythm benchmarks of ``setting`` (keyed by their parameters, not groups)."""
    found: dict[str, dict[str, object]] = {}
    for bench in benches:
        what = bench.info.get("feature")
        if bench.info.get("setting") == setting and what in FEATURES:
            found.setdefault(what, {})[bench.info["peer"]] = bench
    return found


def _paired(benches) -> dict[str, dict]:
    """{feature: extra_info} of the paired rounds (fasttag workers=1 against librosa)."""
    paired = _by_feature(benches, "librosa-default-paired")
    return {what: next(iter(peers.values())).info for what, peers in paired.items()}


def _fftw_floor_seconds(benches, stat: str) -> float | None:
    """pyFFTW's rfft of all the track's frames, scaled from its timed batch: a floor under any chroma or tempogram."""
    for bench in benches:
        if bench.group == "librosa-default-fft-floor" and bench.info.get("backend") == "pyfftw":
            return getattr(bench, stat) * bench.info["total_frames"] / bench.info["rows"]
    return None


def target_rows(benches, stat: str) -> list[tuple[str, float | None, bool | None, str]]:
    rows, paired, floor = [], _paired(benches), _fftw_floor_seconds(benches, stat)
    for what, label in FEATURES.items():
        ratio = paired_ratio(paired[what], stat) if what in paired else None
        detail = "librosa / fasttag, paired rounds (median of the round ratios)"
        if floor and what in paired:
            detail += f"; FFTW's rfft of the frames alone = librosa / {seconds(paired[what], 'peer', stat) / floor:.1f}"
        rows.append((f"{label}, 1 thread: >= {TARGET_VS_LIBROSA:.0f}x faster than librosa", ratio,
                     None if ratio is None else ratio >= TARGET_VS_LIBROSA, detail))
    return rows


def section(benches, table, fmt_time, fmt_ratio, fmt_xrt) -> str:
    found = _by_feature(benches)
    if not found:
        return ""
    rows = []
    for what, label in FEATURES.items():
        peers = found.get(what, {})
        ours = peers.get("fasttag-w1")
        for peer, peer_label in PEERS.items():
            bench = peers.get(peer)
            if bench is None:
                continue
            ratio = bench.median / ours.median if ours else None
            rows.append([f"{label}: {peer_label}", fmt_time(bench.median),
                         fmt_xrt(bench.info["audio_seconds"] / bench.median), fmt_ratio(ratio), bench.status()])
    return "\n".join([
        "## Chroma and tempogram (x realtime)", "",
        "One 600 s track at 22.05 kHz (music-like synthetic, the librosa-default track above), n_fft 2048, "
        "hop 512; tempogram win_length 384 from the onset strength of the log-mel. Every output is checked "
        "against librosa's (max error <= 1e-5 of the peak).", "",
        table(["run", "median", "x realtime", "time / fasttag workers=1", "check"], rows, "lrrrl"),
        "", _paired_sentence(benches), "", _floor_sentence(benches),
    ])


def _floor_sentence(benches) -> str:
    floor = _fftw_floor_seconds(benches, "median")
    if floor is None:
        return ""
    return (f"A floor under any of these on this track: pyFFTW's rfft of its frames alone (FFTW_MEASURE, 1 thread, "
            f"timed on batches of 256 windowed frames and scaled to all of them) takes {floor * 1e3:.0f} ms.")


def _paired_sentence(benches) -> str:
    """The paired rounds' ratios, feature by feature."""
    parts = []
    for what, info in _paired(benches).items():
        ratios = round_ratios(info)
        parts.append(f"{FEATURES[what]} {np.median(ratios):.1f}x ({ratios.min():.1f}-{ratios.max():.1f}x over "
                     f"{ratios.size} rounds; librosa {seconds(info, 'peer', 'median') * 1e3:,.0f} ms, fasttag "
                     f"{seconds(info, 'ours', 'median') * 1e3:,.0f} ms)")
    return ("In paired rounds (fasttag workers=1 and librosa back to back, the order alternating), librosa / "
            "fasttag: " + "; ".join(parts) + ".") if parts else ""
