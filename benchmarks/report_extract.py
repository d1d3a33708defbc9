"""The extraction part of RESULTS.md (benchmarks/test_bench_extract.py, group ``extract-mp3``):
tracks/s and x realtime of `fasttag.extract` and its peers, and the issue's two targets."""

from __future__ import annotations

TARGET_VS_DECODE = 1.3  # fasttag's time per track per core / decode-only time per track
TARGET_VS_LIBROSA = 2.0  # librosa + joblib loop time / fasttag's
LABELS = {
    "test_fasttag_extract": "fasttag.extract (processes, store writes included)",
    "test_librosa_joblib[whole-load]": "librosa.load (whole track) + melspectrogram, joblib",
    "test_librosa_joblib[crop-load]": "librosa.load (crop only) + melspectrogram, joblib",
    "test_decode_only_one_core": "decode only (soundfile, the crop's window), 1 process",
}


def _group(groups) -> dict:
    return {b.name: b for b in groups.get("extract-mp3", {}).values()}


def target_rows(groups, stat: str) -> list[tuple[str, float | None, bool | None, str]]:
    found = _group(groups)
    ours = found.get("test_fasttag_extract")
    decode = found.get("test_decode_only_one_core")
    librosa = found.get("test_librosa_joblib[whole-load]")
    per_core = (getattr(ours, stat) * ours.info["workers"] / getattr(decode, stat)) if ours and decode else None
    vs_librosa = getattr(librosa, stat) / getattr(ours, stat) if ours and librosa else None
    return [
        (f"extract MP3 -> log-mel: within {TARGET_VS_DECODE}x of decoding alone, per core", per_core,
         None if per_core is None else per_core <= TARGET_VS_DECODE, "fasttag time x workers / decode-only time"),
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
    for name, label in LABELS.items():
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
    ])
