"""The chroma and tempogram part of RESULTS.md (benchmarks/test_bench_rhythm.py): x realtime
of each peer and librosa's time over fasttag's, read from the pytest-benchmark JSON."""

from __future__ import annotations

TARGET_VS_LIBROSA = 10.0
FEATURES = {"chroma-t0": "chroma_stft(tuning=0)", "chroma-est": "chroma_stft(tuning=None: estimated)",
            "tempogram": "tempogram (from audio)"}
PEERS = {"fasttag-w1": "fasttag, workers=1", "fasttag-w2": "fasttag, workers=2",
         "librosa": "librosa (BLAS 1 thread)"}


def _by_feature(benches) -> dict[str, dict[str, object]]:
    """{feature: {peer: Bench}} for the rhythm benchmarks (keyed by their parameters, not groups)."""
    found: dict[str, dict[str, object]] = {}
    for bench in benches:
        what = bench.info.get("feature")
        if bench.info.get("setting") == "librosa-default" and what in FEATURES:
            found.setdefault(what, {})[bench.info["peer"]] = bench
    return found


def target_rows(benches, stat: str) -> list[tuple[str, float | None, bool | None, str]]:
    rows = []
    for what, label in FEATURES.items():
        peers = _by_feature(benches).get(what, {})
        ours, theirs = peers.get("fasttag-w1"), peers.get("librosa")
        ratio = getattr(theirs, stat) / getattr(ours, stat) if ours and theirs else None
        rows.append((f"{label}, 1 thread: >= {TARGET_VS_LIBROSA:.0f}x faster than librosa", ratio,
                     None if ratio is None else ratio >= TARGET_VS_LIBROSA, "librosa / fasttag"))
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
    ])
