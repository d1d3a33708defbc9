"""The GPU part of RESULTS.md (issue 6): the groups of benchmarks/test_bench_cuda.py, read from a
pytest-benchmark JSON by run_benchmarks.py. The section sits between two markers, so that a run
without a GPU keeps the last GPU section and a GPU-only run (scripts/gpu_check.sh) replaces just
that section (``run_benchmarks.py --gpu-from-json bench_cuda.json``).

Floors: each computation's fewest bytes (inputs read once, outputs written once) over the
measured copy rate, and its FLOP over the measured float32 matrix-product rate; the larger of
the two is the floor, and time / floor is how far above it a peer runs.
"""

from __future__ import annotations

BEGIN, END = "<!-- gpu-results:begin -->", "<!-- gpu-results:end -->"
GROUPS = ("choi-logmel-gpu", "choi-mfcc-gpu", "chroma-gpu", "tempogram-gpu", "kmeans-assign-gpu")
TARGET_VS_TORCH = 1.0  # fused log-mel at least as fast as torch.stft + matmul on the same GPU
TARGET_VS_CPU_W2 = 50.0  # ... and at least 50x fasttag's 2-thread CPU figure
TARGET_VS_GEMM = 2.0  # k-means assignment within 2x of a cuBLAS GEMM of the same shape
LABELS = {
    "fasttag-cuda": "fasttag CUDA (on the GPU)",
    "torch-cuda": "torch.stft + matmul, same GPU",
    "nnaudio-cuda": "nnAudio MelSpectrogram (conv1d STFT), same GPU",
    "copy-in": "copy of the audio to the GPU",
    "copy-out": "copy of the result to the host",
    "fasttag-cuda-host": "fasttag CUDA, numpy in and out (copies included)",
    "fasttag-cpu-w2": "fasttag CPU, 2 threads",
    "fasttag-cpu-all": "fasttag CPU, all threads",
    "torch-gemm": "cuBLAS GEMM X C^T (torch, TF32 off)",
    "torch-assign": "torch: GEMM, then argmin",
}
ON_DEVICE = ("fasttag-cuda", "torch-cuda", "nnaudio-cuda", "torch-gemm", "torch-assign")  # peers timed against the floor
TITLES = {
    "choi-logmel-gpu": "Choi setting: log-mel",
    "choi-mfcc-gpu": "Choi setting: 30 MFCCs with first and second deltas",
    "chroma-gpu": "librosa's defaults: chroma_stft (the torch peer divides by each frame's maximum too)",
    "tempogram-gpu": "librosa's defaults: tempogram from audio (onset strength included)",
    "kmeans-assign-gpu": "k-means assignment to K = 1024",
}


def has_results(groups) -> bool:
    return any(groups.get(name) for name in GROUPS)


def ceilings(groups) -> tuple[float | None, float | None]:
    """(copy rate in bytes/s, float32 matrix-product rate in FLOP/s), from their medians."""
    measured = groups.get("gpu-ceilings", {})
    copy, gemm = measured.get("copy"), measured.get("sgemm")
    return (copy.info["bytes"] / copy.median if copy else None,
            gemm.info["flops"] / gemm.median if gemm else None)


def floor(bench, rates) -> float | None:
    """max(bytes / copy rate, FLOP / product rate) in seconds, from whichever rates were measured."""
    bandwidth, peak = rates
    terms = [bench.info[key] / rate for key, rate in (("bytes", bandwidth), ("flops", peak))
             if rate and bench.info.get(key)]
    return max(terms) if terms else None


def target_rows(groups, stat: str) -> list[tuple[str, float | None, bool | None, str]]:
    """(goal, value, met?, metric) for the issue's three GPU goals."""
    t = lambda b: getattr(b, stat)  # noqa: E731
    logmel, assign = groups.get("choi-logmel-gpu", {}), groups.get("kmeans-assign-gpu", {})
    ours, theirs = logmel.get("fasttag-cuda"), logmel.get("torch-cuda")
    cpu, ours_km, gemm = logmel.get("fasttag-cpu-w2"), assign.get("fasttag-cuda"), assign.get("torch-gemm")
    rows = []
    r = t(theirs) / t(ours) if ours and theirs else None
    rows.append(("fused log-mel at least as fast as torch.stft + matmul on the same GPU", r,
                 None if r is None else r >= TARGET_VS_TORCH, "torch / fasttag"))
    r = t(cpu) / t(ours) if ours and cpu else None
    rows.append((f"fused log-mel >= {TARGET_VS_CPU_W2:.0f}x fasttag's 2-thread CPU figure", r,
                 None if r is None else r >= TARGET_VS_CPU_W2, "CPU 2 threads / fasttag CUDA"))
    r = t(ours_km) / t(gemm) if ours_km and gemm else None
    rows.append((f"k-means assignment within {TARGET_VS_GEMM:.0f}x of a cuBLAS GEMM of the same shape", r,
                 None if r is None else r <= TARGET_VS_GEMM, "fasttag / GEMM"))
    return rows


def _group_table(group: dict, rates, table, fmt_time, fmt_ratio, fmt_xrt) -> str:
    base = group.get("fasttag-cuda")
    any_bench = next(iter(group.values()))
    audio = any_bench.info.get("audio_seconds")
    header = ["peer", "median", "min", "rounds", "x realtime" if audio else "GFLOP/s (2 n K d)",
              "time / fasttag CUDA", "time / floor", "check"]
    rows = []
    for key, b in group.items():
        lowest = floor(b, rates)
        rate = fmt_xrt(audio / b.median) if audio else f"{b.info['flops'] / b.median / 1e9:,.0f}"
        rows.append([LABELS.get(key, key), fmt_time(b.median), fmt_time(b.min), str(b.stats["rounds"]), rate,
                     fmt_ratio(b.median / base.median if base else None),
                     fmt_ratio(b.median / lowest if lowest and key in ON_DEVICE else None),
                     b.status()])
    lowest = floor(any_bench, rates)
    info = any_bench.info
    what = info.get("setting") or (f"{info['rows']:,} x 90 float32 rows" if "rows" in info
                                   else f"{info['clips']} clips")
    note = (f"{what}. Floor {fmt_time(lowest)}: {any_bench.info['bytes'] / 1e6:,.1f} MB and "
            f"{any_bench.info['flops'] / 1e9:,.2f} GFLOP." if lowest else f"{what}.")
    return f"{note}\n\n" + table(header, rows, "lrrrrrrl")


def section(groups, table, fmt_time, fmt_ratio, fmt_xrt, met) -> str:
    """Markdown between BEGIN and END: ceilings, goals, and one table per group."""
    if not has_results(groups):
        body = ("## GPU (issue 6)\n\nNot measured yet: no session has had a GPU. `scripts/gpu_lease.sh` runs "
                "the checks and benchmarks/test_bench_cuda.py on a lent one.")
        return f"{BEGIN}\n{body}\n{END}"
    rates = ceilings(groups)
    bandwidth, peak = rates
    gpu = next(b.info.get("gpu") for g in GROUPS for b in groups.get(g, {}).values())
    parts = ["## GPU (issue 6)", "",
             f"GPU: {gpu}. Measured in the same run: a device-to-device copy at "
             + (f"{bandwidth / 1e9:,.0f} GB/s (read + written)" if bandwidth else "(not measured)")
             + ", a float32 matrix product (TF32 off) at "
             + (f"{peak / 1e12:,.1f} TFLOP/s" if peak else "(not measured: torch without CUDA)") + ".", ""]
    goals = [[goal, "—" if value is None else f"{value:.2f}x", met(ok), metric]
             for goal, value, ok, metric in target_rows(groups, "median")]
    parts += [table(["goal", "measured (median)", "status", "metric"], goals, "lrll"), ""]
    for name in GROUPS:
        if groups.get(name):
            parts += [f"### {TITLES[name]}", "", _group_table(groups[name], rates, table, fmt_time, fmt_ratio,
                                                              fmt_xrt), ""]
    return f"{BEGIN}\n" + "\n".join(parts).rstrip() + f"\n{END}"


def kept(text: str) -> str | None:
    """The GPU section of an earlier RESULTS.md, markers included, or None."""
    start, end = text.find(BEGIN), text.find(END)
    return text[start:end + len(END)] if 0 <= start < end else None


def splice(text: str, block: str) -> str:
    """``text`` with its GPU section replaced by ``block`` (appended where it has none)."""
    old = kept(text)
    return text.replace(old, block) if old else text.rstrip() + "\n\n" + block + "\n"
