"""The extraction part of RESULTS.md (benchmarks/test_bench_extract.py, group ``extract-mp3``):
tracks/s and x realtime of `fasttag.extract` and its peers, and the issue's two targets."""

from __future__ import annotations

import numpy as np
from report_paired import paired_ratio, round_ratios, seconds

TARGET_VS_DECODE = 1.3  # fasttag in-process time per track / decode-only time per track (one core each)
TARGET_VS_LIBROSA = 2.0  # librosa + joblib loop time / fasttag's
LABELS = {  # benchmark name -> row label; fasttag's rows are "test_fasttag_extract[<workers>]"
    "test_librosa_joblib[whole-load]": "librosa.load (whole track) + melspectrogram, joblib",
    "test_librosa_joblib[crop-load]": "librosa.load (crop only) + melspectrogram, joblib",
    "test_decode_only_one_core": "decode only (soundfile, the crop's window), 1 process",
}


def _group(groups) -> dict:
    return {b.name: b for b in groups.get("extract-mp3", {}).values()}


def per_core_ratio(groups, stat: str) -> float | None:
    """fasttag[1] time / decode-only time from the paired rounds (see `report_paired.paired_ratio`)."""
    paired = groups.get("extract-mp3-paired", {})
    return 1.0 / paired_ratio(next(iter(paired.values())).info, stat) if paired else None


def target_rows(groups, stat: str) -> list[tuple[str, float | None, bool | None, str]]:
    found = _group(groups)
    ours = max((b for n, b in found.items() if n.startswith("test_fasttag_extract[")),
               key=lambda b: b.info["workers"], default=None)  # fmt: skip
    librosa = found.get("test_librosa_joblib[whole-load]")
    per_core = per_core_ratio(groups, stat)
    vs_librosa = getattr(librosa, stat) / getattr(ours, stat) if ours and librosa else None
    return [
        (f"extract MP3 -> log-mel: within {TARGET_VS_DECODE}x of decoding alone, per core", per_core,
         None if per_core is None else per_core <= TARGET_VS_DECODE,
         "fasttag in-process / decode-only, one core each, paired rounds (median of the round ratios)"),
        (f"extract MP3 -> log-mel: >= {TARGET_VS_LIBROSA:.0f}x the librosa + joblib loop", vs_librosa,
         None if vs_librosa is None else vs_librosa >= TARGET_VS_LIBROSA, "librosa loop / fasttag"),
    ]


def section(groups, table, fmt_time) -> str:
    found = _group(groups)
    if not found:
        return ""
    any_bench = next(iter(found.values()))
    info = any_bench.info
    rows = []
    ours = sorted((n for n in found if n.startswith("test_fasttag_extract[")), key=lambda n: found[n].info["workers"])
    labels = {n: "fasttag.extract, " + ("in-process" if found[n].info["workers"] == 1 else "worker processes")
              + " (store writes included)" for n in ours}  # fmt: skip
    for name, label in {**labels, **LABELS}.items():
        bench = found.get(name)
        if bench is None:
            continue
        rows.append([label, str(bench.info.get("workers", "?")), fmt_time(bench.median),
                     f"{bench.info['tracks'] / bench.median:.1f}",
                     f"{bench.info['track_seconds'] / bench.median:,.0f}x", bench.status()])
    return "\n".join([
        "## Extraction at collection scale (MP3 -> Choi log-mel)", "",
        f"{info.get('tracks', '?')} MP3s of {info.get('track_seconds', 0) / max(info.get('tracks', 1), 1):.0f} s, "
        f"44.1 kHz stereo (music-like synthetic, seeded), to one centred 29.12 s crop each at 12 kHz, n_fft 512, "
        "hop 256, 96 mels. x realtime counts the whole tracks' duration. Outputs are checked against librosa's.", "",
        table(["run", "processes", "median", "tracks/s", "x realtime", "check"], rows, "lrrrrl"),
        "", _paired_sentence(groups),
    ])


def _paired_sentence(groups) -> str:
    paired = groups.get("extract-mp3-paired", {})
    if not paired:
        return ""
    info = next(iter(paired.values())).info
    ratios = 1.0 / round_ratios(info)  # fasttag / decode-only
    return (f"Per core, in {ratios.size} paired rounds (decode-only and fasttag in-process back to back, the order "
            f"alternating): fasttag / decode-only = {np.median(ratios):.2f}x median, {ratios.min():.2f}-"
            f"{ratios.max():.2f}x over the rounds; per round of {info['tracks']} tracks, decode-only "
            f"{seconds(info, 'peer', 'median'):.2f} s and fasttag {seconds(info, 'ours', 'median'):.2f} s (medians).")
