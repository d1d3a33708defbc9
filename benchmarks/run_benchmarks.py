"""Run the benchmark suites with pytest-benchmark and write benchmarks/RESULTS.md.

Usage (from the repository root, as ``make bench`` does)::

    .venv/bin/python benchmarks/run_benchmarks.py [--choi-clips N] [--json PATH] [-- PYTEST_ARGS...]
    .venv/bin/python benchmarks/run_benchmarks.py --from-json PATH   # rewrite RESULTS.md only
    .venv/bin/python benchmarks/run_benchmarks.py --gpu-from-json PATH   # its GPU section only

All suites run in one pytest process (``--benchmark-json`` to a temporary file unless
``--json`` names one); the table is then built from that file alone: medians, x realtime or
time per frame, and every peer's time divided by fasttag's (single thread) from the same run.
The exit status is pytest's, so a failed correctness check fails ``make bench`` (its row is
still written, marked as failed).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import report_cuda
import report_extract
import report_kmeans
import report_rhythm
import report_startup

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "RESULTS.md"

# Run-wide pytest-benchmark settings; single groups raise them with their markers. Medians of
# at least 5 rounds; no extra warm-up rounds (the calibration call warms every benchmark).
BENCH_OPTIONS = ["--benchmark-min-rounds=5", "--benchmark-max-time=0.5", "--benchmark-sort=name",
                 "--benchmark-columns=median,iqr,min,rounds"]

# The targets (Choi setting, single thread).
TARGET_XRT = 20_000.0
TARGET_VS_LIBROSA = 5.7
TARGET_VS_TORCH = 6.8
TARGET_FLOOR = 1.5
TARGET_FFT_SIZES = (256, 512, 1024, 2048, 4096)

FFT_BACKENDS = ("dft", "fasttag", "numpy", "scipy", "pyfftw")
FFT_LABELS = {"dft": "fasttag.dft (O(N^2))", "fasttag": "fasttag.rfft", "numpy": "numpy.fft.rfft",
              "scipy": "scipy.fft.rfft (workers=1)", "pyfftw": "pyFFTW (FFTW_MEASURE, 1 thread)"}
FEATURE_PEERS = ("fasttag-w1", "fasttag-w2", "librosa", "torch-t1", "torch-t2", "nnaudio-t1", "numpy-pyfftw")
FEATURE_LABELS = {
    "fasttag-w1": "fasttag, workers=1",
    "fasttag-w2": "fasttag, workers=2",
    "librosa": "librosa (per clip, BLAS 1 thread)",
    "torch-t1": "torch.stft + matmul (per clip), 1 thread",
    "torch-t2": "torch.stft + matmul (per clip), 2 threads",
    "nnaudio-t1": "nnAudio MelSpectrogram (conv1d STFT, per clip), 1 thread",
    "numpy-pyfftw": "numpy framing + pyFFTW + BLAS mel (1 thread)",
}


def pytest_executable() -> list[str]:
    """The venv's pytest script: ``python -m pytest`` would put the source tree (no _core) on sys.path."""
    script = shutil.which("pytest", path=str(Path(sys.executable).parent))
    if script:
        return [script]
    if sys.version_info >= (3, 11):
        return [sys.executable, "-P", "-m", "pytest"]
    raise SystemExit("pytest not found next to this Python; install the bench extra: pip install '.[bench]'")


def run_suites(json_path: Path, junit_path: Path, choi_clips: int, extra: list[str]) -> tuple[int, list[str]]:
    cmd = pytest_executable() + [
        "benchmarks", "-p", "no:cacheprovider", "--benchmark-only", f"--benchmark-json={json_path}",
        f"--junitxml={junit_path}", f"--choi-clips={choi_clips}", *BENCH_OPTIONS, *extra,
    ]
    print("+", shlex.join(cmd), flush=True)
    return subprocess.run(cmd, cwd=ROOT, check=False).returncode, cmd


def failures(junit_path: Path) -> dict[str, str]:
    """{test name: first line of its failure message} from the JUnit XML report."""
    if not junit_path.exists():
        return {}
    found = {}
    for case in ET.parse(junit_path).getroot().iter("testcase"):
        for tag in ("failure", "error"):
            node = case.find(tag)
            if node is not None:
                message = (node.get("message") or node.text or tag).strip().splitlines()
                found[case.get("name", "?")] = message[0] if message else tag
    return found


# ---------------------------------------------------------------------------------------------
# Formatting


def fmt_time(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.3f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.1f} µs"


def fmt_ratio(r: float | None) -> str:
    return "—" if r is None else f"{r:.2f}x"


def fmt_xrt(x: float) -> str:
    return f"{x:,.0f}x"


def table(header: list[str], rows: list[list[str]], align: str | None = None) -> str:
    align = align or "l" + "r" * (len(header) - 1)
    rule = ["---:" if a == "r" else "---" for a in align]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(rule) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def met(ok: bool | None) -> str:
    return "n/a" if ok is None else ("**met**" if ok else "not met")


# ---------------------------------------------------------------------------------------------
# Reading the pytest-benchmark JSON


class Bench:
    def __init__(self, raw: dict, failed: dict[str, str]):
        self.name = raw["name"]
        self.group = raw.get("group") or ""
        self.params = raw.get("params") or {}
        self.info = raw.get("extra_info") or {}
        self.stats = raw["stats"]
        self.median = float(self.stats["median"])
        self.min = float(self.stats["min"])
        self.failure = failed.get(self.name)

    @property
    def key(self) -> str:
        return self.params.get("backend") or self.params.get("peer") or self.name

    def status(self) -> str:
        return "FAILED: " + self.failure.replace("|", "\\|") if self.failure else "ok"


def by_group(benches: list[Bench]) -> dict[str, dict[str, Bench]]:
    groups: dict[str, dict[str, Bench]] = {}
    for b in benches:
        groups.setdefault(b.group, {})[b.key] = b
    return groups


# ---------------------------------------------------------------------------------------------
# Sections of RESULTS.md


def feature_section(title: str, group: dict[str, Bench], note: str) -> str:
    base = group.get("fasttag-w1")
    rows = []
    for peer in FEATURE_PEERS:
        b = group.get(peer)
        if b is None:
            rows.append([FEATURE_LABELS[peer], "not run", "", "", "", "", "", "", ""])
            continue
        audio = b.info.get("audio_seconds")
        per_audio = b.median / audio if audio else None
        ratio = None
        if base is not None and audio and base.info.get("audio_seconds"):
            ratio = per_audio / (base.median / base.info["audio_seconds"])
        err = b.info.get("max_err")
        rows.append([
            FEATURE_LABELS[peer], fmt_time(b.median), fmt_time(b.min), fmt_time(float(b.stats["iqr"])),
            str(b.stats["rounds"]),
            fmt_xrt(audio / b.median) if audio else "?", fmt_ratio(ratio),
            "?" if err is None else f"{err:.1e} (tol {b.info.get('tol', float('nan')):.0e})", b.status(),
        ])
    header = ["peer", "median", "min", "IQR", "rounds", "x realtime", "time / fasttag w1",
              "max abs err vs librosa", "check"]
    return f"### {title}\n\n{note}\n\n" + table(header, rows, "lrrrrrrrl")


def floor_numbers(groups) -> dict | None:
    floor = groups.get("choi-fft-floor", {})
    fftw = floor.get("pyfftw")
    if fftw is None:
        return None
    out = {}
    for backend, b in floor.items():
        scale = b.info["total_frames"] / b.info["rows"]
        out[backend] = {"per_call": b.median, "per_frame": b.median / b.info["rows"], "total": b.median * scale,
                        "xrt": b.info["audio_seconds"] / (b.median * scale), "bench": b}
    return out


def floor_section(groups) -> str:
    numbers = floor_numbers(groups)
    if numbers is None:
        return "FFTW compute floor: not run.\n"
    rows = []
    for backend in ("pyfftw", "fasttag"):
        n = numbers.get(backend)
        if n:
            b = n["bench"]
            rows.append([FFT_LABELS[backend], fmt_time(n["per_call"]), f"{n['per_frame'] * 1e6:.3f} µs",
                         fmt_time(n["total"]), fmt_xrt(n["xrt"]), b.status()])
    b = numbers["pyfftw"]["bench"]
    note = (f"rfft alone of {b.info['rows']} Hann-windowed Choi frames (n_fft {b.info['n']}; input and output "
            f"together about 1 MiB: L2/L3-resident), timed per call; scaled to all "
            f"{b.info['total_frames']:,} frames of the setting it is the compute floor of the log-mel pipeline.")
    header = ["rfft of the frames", f"median per {b.info['rows']} frames", "per frame", "scaled to the setting",
              "x realtime", "check"]
    return "### FFT compute floor (Choi frames)\n\n" + note + "\n\n" + table(header, rows, "lrrrrl")


def fft_section(groups) -> str:
    sizes = sorted((int(g.removeprefix("rfft-")) for g in groups if g.startswith("rfft-")),
                   key=lambda n: (n not in (64, 128, 256, 512, 1024, 2048, 4096), n))
    if not sizes:
        return "## FFT suite\n\nnot run.\n"
    rows, ratio_rows = [], []
    for n in sizes:
        group = groups[f"rfft-{n}"]
        per_frame = {k: b.median / b.info.get("rows", 256) for k, b in group.items()}
        rows.append([str(n)] + [f"{per_frame[k] * 1e6:.3f}" if k in per_frame else "—" for k in FFT_BACKENDS])
        base = per_frame.get("fasttag")
        ratio_rows.append([str(n)] + [
            fmt_ratio(per_frame[k] / base) if (base and k in per_frame) else "—"
            for k in ("dft", "numpy", "scipy", "pyfftw")
        ] + [fmt_ratio(group["pyfftw"].min / group["fasttag"].min) if {"pyfftw", "fasttag"} <= group.keys() else "—"])
    rows_per_batch = next(iter(groups[f"rfft-{sizes[0]}"].values())).info.get("rows", 256)
    text = ["## FFT suite (time per frame)", "",
            f"Real-input FFT of a batch of {rows_per_batch} frames x N float32 (the same array for every backend), "
            "one thread, median time per call divided by the frames in the batch. 1000 = 2^3 5^3; 1009 is "
            "prime (fasttag: Bluestein). Every result is checked against numpy.fft on the float64 input "
            "(relative 2-norm error per row <= 1e-5).", "",
            table(["N"] + [f"{FFT_LABELS[k]} µs" for k in FFT_BACKENDS], rows), "",
            "Ratios peer time / fasttag.rfft time (same run; above 1 means fasttag is faster; DFT/FFT is the "
            "speed-up of the FFT over the direct sum):", "",
            table(["N", "DFT / FFT", "numpy / fasttag", "scipy / fasttag", "pyFFTW / fasttag",
                   "pyFFTW / fasttag (min times)"], ratio_rows)]
    failed = [b for g in sizes for b in groups[f"rfft-{g}"].values() if b.failure]
    if failed:
        text += ["", "**Failed checks:** " + "; ".join(f"`{b.name}`: {b.failure}" for b in failed)]
    return "\n".join(text)


def fft_detail(groups) -> str:
    parts = ["## Per-group detail (FFT)", ""]
    for n in sorted(int(g.removeprefix("rfft-")) for g in groups if g.startswith("rfft-")):
        group = groups[f"rfft-{n}"]
        base = group.get("fasttag")
        rows = []
        for k in FFT_BACKENDS:
            b = group.get(k)
            if b is None:
                continue
            rows_per_call = b.info.get("rows", 256)
            rows.append([FFT_LABELS[k], fmt_time(b.median), f"{b.median / rows_per_call * 1e6:.3f} µs",
                         f"{b.min / rows_per_call * 1e6:.3f} µs", str(b.stats["rounds"]),
                         fmt_ratio(b.median / base.median if base else None),
                         f"{b.info.get('rel_err', float('nan')):.1e}", b.status()])
        parts += [f"`rfft-{n}`", "",
                  table(["backend", "median per batch", "per frame", "per frame (min)", "rounds", "time / fasttag",
                         "rel err", "check"], rows, "lrrrrrrl"), ""]
    return "\n".join(parts)


def target_rows(groups, benches, stat: str) -> list[tuple[str, float | None, bool | None, str]]:
    """(target, value, met?, detail) for each target of the issue, from the ``stat`` ("median" or "min")."""
    t = lambda b: getattr(b, stat)  # noqa: E731
    choi = groups.get("choi-logmel", {})
    ft = choi.get("fasttag-w1")
    rows = []
    xrt = ft.info["audio_seconds"] / t(ft) if ft else None
    rows.append((f"log-mel, Choi setting, 1 thread: >= {TARGET_XRT:,.0f}x realtime", xrt,
                 None if xrt is None else xrt >= TARGET_XRT, "x realtime"))
    for peer, goal, label in (("librosa", TARGET_VS_LIBROSA, "librosa"),
                              ("torch-t1", TARGET_VS_TORCH, "torch (1 thread)")):
        b = choi.get(peer)
        r = t(b) / t(ft) if (b and ft) else None
        rows.append((f">= {goal}x faster than {label}", r, None if r is None else r >= goal, "peer / fasttag"))
    floor = groups.get("choi-fft-floor", {}).get("pyfftw")
    if floor and ft:
        floor_time = t(floor) * floor.info["total_frames"] / floor.info["rows"]
        r = t(ft) / floor_time
        floor_xrt = floor.info["audio_seconds"] / floor_time
        rows.append((f"within {TARGET_FLOOR}x of the FFTW compute floor", r, r <= TARGET_FLOOR,
                     f"fasttag / floor (floor {fmt_time(floor_time)} = {fmt_xrt(floor_xrt)} realtime)"))
    for n in TARGET_FFT_SIZES:
        g = groups.get(f"rfft-{n}", {})
        if "fasttag" in g and "pyfftw" in g:
            r = t(g["pyfftw"]) / t(g["fasttag"])
            ours, fftw = (t(g[k]) / g[k].info["rows"] * 1e6 for k in ("fasttag", "pyfftw"))
            rows.append((f"rfft N={n}: at least as fast as pyFFTW (FFTW_MEASURE)", r, r >= 1.0,
                         f"pyFFTW / fasttag (fasttag {ours:.3f}, pyFFTW {fftw:.3f} µs/frame)"))
    return (rows + report_kmeans.target_rows(groups, stat) + report_rhythm.target_rows(benches, stat)
            + report_extract.target_rows(groups, stat))


def targets_section(groups, benches) -> str:
    rows = []
    for (target, value, ok, detail), (_, value_min, ok_min, _) in zip(target_rows(groups, benches, "median"),
                                                                       target_rows(groups, benches, "min")):
        def show(v):
            return "—" if v is None else (fmt_xrt(v) if detail == "x realtime" else f"{v:.2f}x")

        rows.append([target, show(value), met(ok), f"{show(value_min)} ({met(ok_min)})", detail])
    return ("## Targets (from the issue) and where we stand\n\n"
            "Measured on medians (the figure of record); the min-time column shows the same metric from each "
            "benchmark's fastest round, which is less disturbed by other jobs on this shared machine. The "
            "chroma, tempogram and per-core extraction ratios come from paired rounds (both peers timed back to "
            "back in every round, the order alternating): the median of the round ratios, and in the min column "
            "the fastest round of one over the fastest round of the other.\n\n"
            + table(["target", "measured (median)", "status", "from min times", "metric"], rows, "lrlll"))


def machine_section(info: dict, meta: dict) -> str:
    m = info.get("lscpu", {})
    simd = ", ".join(f"{k} {'yes' if v else 'no'}" for k, v in m.get("simd", {}).items())
    versions = ", ".join(f"{k} {v}" for k, v in info.get("versions", {}).items())
    lines = [
        "## Machine and software", "",
        f"- CPU: {m.get('model', '?')}, {m.get('cpus', '?')} CPUs ({m.get('threads_per_core', '?')} thread(s) per "
        f"core), L1d {m.get('l1d', '?')}, L2 {m.get('l2', '?')}, L3 {m.get('l3', '?')}"
        + (f"; virtualised ({m['hypervisor']})" if m.get("hypervisor") else ""),
        f"- SIMD flags: {simd}",
        f"- fasttag._core.isa(): `{info.get('isa', '?')}`",
        f"- Versions: {versions}; Python {m.get('python', '?')}",
        f"- Platform: {m.get('platform', '?')}",
    ]
    if meta.get("loadavg_before") is not None:
        lines.append(f"- Load average (1 min) before / after the run: {meta['loadavg_before']:.2f} / "
                     f"{meta['loadavg_after']:.2f} on {m.get('cpus', '?')} CPUs. The machine is shared: other jobs "
                     "run at the same time, so absolute times are noisy and multi-thread figures (workers=2, "
                     "2 torch threads) suffer most; ratios compare medians of the same run.")
    return "\n".join(lines)


# Written by hand from an instruction profile (not re-measured by this script): update it
# when the kernels change. Reproduce with valgrind --tool=callgrind on one
# fasttag._core.melspectrogram call (4 Choi clips, workers=1), toggling collection on
# '*melspectrogram_kernel*', and callgrind_annotate.
LIMITS = """## What limits fasttag (the Choi log-mel kernel; profiles of 2026-11-30 and 2026-12-02)

- Kernel builds: this machine runs the AVX-512 build (16 float32 frames per register, radix-8 passes); the
  AVX2 build (8 frames) and the portable one are what CPUs without AVX-512 run (`FASTTAG_KERNELS` forces
  one). Alternating paired rounds of 2026-12-02, AVX-512 time / AVX2 time (median): log-mel 0.68, chroma
  0.70, k-means assignment 0.54. rfft stays on the AVX2 code in the AVX-512 build: 16 rows 4 KiB apart
  share one L1 set (12 ways on Zen 5), which made an AVX-512 rfft 1.13-1.30x slower at N = 1024..4096 (0.78x
  at N = 256); frame kernels read frames a hop apart and do not meet this.
- Where the time went before the changes of 2026-12-02 afternoon (`perf record -e cpu-clock`, a C++ driver of
  the AVX-512 kernel, 64 clips, 1 thread): framing 33 %, mostly waiting on input (the same clips read from
  cache ran 1.38x faster: a block reads 16 frames 1 KiB apart, streams too short to train the hardware
  prefetchers); the element-by-element path of the two blocks per clip that touch padding 7.5 %; the FFT
  passes 23 %; mel projection, dB and stores 15 %; the separate top_db pass over the 33 MB output 5.5 %.
  Since then each tile load prefetches the next block's line, padded frames are copied and take the fast
  loads, top_db floors each clip while it is in cache, and the FFT's two work buffers sit 2 KiB apart
  modulo 4 KiB (page-aligned, a pass's loads and stores met in the same L1 sets): 0.665x the time in
  alternating paired rounds, outputs bit-identical. What remains (input in cache): FFT passes about 27 %,
  projection, dB and stores about 20 %, framing about 15 %, top_db 3-4 %.
- Outside the kernel, the kernel zeroing the freshly allocated output's pages (33 MB for 64 clips, numpy
  asks for transparent huge pages) costs 2-3 ms per call, about 12 % of the new kernel's time; only reusing
  output memory across calls would avoid it.
- The AVX2 instruction profile of 2026-11-30 (callgrind, about 4,300 instructions per 512-sample frame)
  put the FFT at about 40 % and framing at 13 %; framing was dearer than its instruction share (its NaN/Inf
  check then waited on store-to-load forwarding, fixed on 2026-12-02 morning: rfft 1.5-2.1x, log-mel 1.15x),
  which instruction counts do not show.
- Against FFTW: FFTW runs fully unrolled codelets within one frame; ours runs radix passes across 8 (or 16)
  frames per register and pays for the transposes into and out of that layout; since 2026-12-02 ours is
  about twice as fast at every N from 256 to 4096 (the rfft rows above; rfft runs the AVX2 code here).
- A radix-8 pass spills registers with 16 live complex vectors on AVX2 (16 registers) and was slower; the
  AVX-512 build (32 registers) uses it: log-mel 0.84x, chroma 0.93x of the time with radix 4. Reversing the
  radix order made both 1.14-1.17x slower.
- Against torch: its single-thread figure, measured here clip by clip, was 5,000-5,500x realtime on 2026-11-30
  and 8,600-11,000x in the runs of 2026-12-01 and 2026-12-02 (the issue quoted 2,900x); the targets table
  above has this run's.

## What limits k-means, chroma and the tempogram (2026-12-01)

- k-means assignment: 4 x 3 register tiles (12 AVX2 FMA accumulators, 90 FMAs deep for 90 features) with a
  running argmin per tile; 8 x 3 in the AVX-512 build (24 accumulators of 32 registers), 185 GFLOP/s on one
  Zen 5 core on 2026-12-02 (2.1x faiss). One core reaches 72-84 GFLOP/s on quiet runs on Zen 3, against about 93 GFLOP/s
  measured for 12 independent FMA chains there, and 103 GFLOP/s on the Zen 4 of 2026-12-01. The rest goes to
  the argmin step after each tile and the row norms. A 10-iteration Lloyd fit runs 11 assignments (the last
  one gives labels for the final centers, as scikit-learn does) and 10 centroid-sum passes of 3.5 ms each.
- chroma_stft(tuning=0): the 2048-point FFT is about 85 % of our time. In the quiet run of 2026-12-01
  11:00, FFTW's rfft of the track's frames alone took librosa's time / 4.6 and our whole chroma librosa's
  time / 4.3 (paired rounds). So 10x librosa needed an FFT about 2.2x faster than FFTW's. With the kernels
  of 2026-12-02 morning (the framing fix, AVX-512) ours is about twice FFTW's and the chroma reached 8.1x.
  A profile then: projection 27 %, FFT 42 % (the two middle radix-8 passes over 128 KiB buffers 27 %),
  framing 20 %. Since 2026-12-02 afternoon the dense basis (12 x 1025) is projected 6 rows at a time (each
  |X|^2 bin loaded once per 6 rows), frames overlapping by whole segments (n_fft = 4 hop) are transposed
  once and shifted a lane per segment, and the FFT's buffers no longer share L1 sets: 0.666x the time in
  alternating paired rounds, outputs bit-identical.
- chroma_stft(tuning=None): two fused passes over the audio and no stored spectrogram. The first finds
  librosa's piptrack peaks (FFT, |X|^2, a scan of the band across 8 frames per register, the parabolic
  refinement only at the peaks); the second is the chroma pass with the estimated tuning. Each pass is
  mostly the same 2048-point FFT, so two FFT passes at FFTW's speed (about 2 x 57 ms) took more than
  librosa's time / 10 (about 93 ms in the quiet run); at twice FFTW's speed (2026-12-02) it reaches 14.6x. Storing the 106 MB power spectrogram instead of the
  second pass was the approach before 2026-11-30 and was slower (254 ms).
- tempogram: the onset strength (a 2048-point log-mel and the spectral flux) is most of our time; its FFT
  alone at FFTW's speed is librosa's time / 11. The hop-1 autocorrelation uses running sums for cosine-sum
  windows (Hann by default; float64, 4 lags per AVX2 register) and its default norm runs in the same
  kernel. 10x librosa left under 10 % of librosa's time for everything but the FFT at FFTW's speed; with
  the faster FFT of 2026-12-02 it measures 10.9x. Since 2026-12-02
  the running sums restart every 8 windows (still 2,048 frames at the default 384 lags) and a column whose
  error bound is too large is summed directly (none on ordinary onset envelopes): the kernel alone on a 600 s
  track, 1 thread, min of 15 runs, took 26.6 ms before and 27.4 ms after, within this machine's noise.
- extraction, per core (one 29.12 s crop of a 44.1 kHz stereo MP3, thread CPU time in-process, quiet Zen 4,
  2026-12-01): decoding and the seek to the crop about 25-27 ms (decode-only pays both), soxr's HQ resampling
  to 12 kHz 4.1 ms (4.2-5.2 ms among the decoding), the log-mel 0.8-1.1 ms, the downmix 0.25 ms hot (up to
  1 ms among the decoding; one compiled pass since 2026-12-01, 2.5x numpy's), the store 0.3-0.5 ms. A
  pipeline of one read, one resampling and one log-mel measures 1.25-1.28x of decode-only, so 1.3x leaves
  under 1 ms per track for blocks and the store. soxr_hq is the resampler librosa.load uses, kept for
  identical results. Blocks are decoded by libsndfile's read into one buffer: soundfile's read seeks after
  every call and mpg123 resynchronises on that seek (about 50 us a block); this and the compiled downmix
  moved the paired per-core ratio from 1.32x (two runs) to 1.27-1.32x (four runs, median 1.30x). Arrays are
  not fsynced one by one (the store syncs in bulk with its manifest).
"""


def gpu_block(groups, previous: str = "") -> str:
    """The GPU section from this run's GPU groups; without any, the one already in ``previous``
    (the RESULTS.md being replaced), else a line saying that none was measured."""
    if not report_cuda.has_results(groups) and report_cuda.kept(previous):
        return report_cuda.kept(previous)
    return report_cuda.section(groups, table, fmt_time, fmt_ratio, fmt_xrt, met)


def render(data: dict, failed: dict[str, str], meta: dict, previous: str = "") -> str:
    benches = [Bench(raw, failed) for raw in data.get("benchmarks", [])]
    groups = by_group(benches)
    info = data.get("machine_info", {}).get("fasttag_bench", {})
    date = info.get("date") or data.get("datetime", "?")
    choi = groups.get("choi-logmel", {})
    any_choi = next(iter(choi.values()), None)
    clips = any_choi.info.get("clips", "?") if any_choi else "?"
    choi_note = (f"{clips} clips x 29.12 s at 12 kHz (music-like synthetic audio, seeded), n_fft 512, hop 256, "
                 "96 mels, Hann, center=True (constant padding), log-mel = power_to_db(melspectrogram, ref=1, "
                 "top_db=80) per clip. Every peer processes all clips in every round; x realtime = seconds of "
                 "audio / median seconds.")
    if clips != 64:
        choi_note += f" **Reduced from 64 to {clips} clips for this run** (`--choi-clips`)."
    default_note = ("One 600 s track at 22.05 kHz (music-like synthetic), n_fft 2048, hop 512, 128 mels, "
                    "log-mel as above.")
    mfcc_note = ("Same track: 20 MFCCs (DCT-II, ortho, of the log-mel); torch and numpy peers multiply by the same "
                 "DCT matrix. Tolerance sqrt(n_mels) x 1e-3.")
    wall = meta.get("wall_s")
    parts = [
        "# fasttag benchmark results", "",
        f"Generated {date} by `benchmarks/run_benchmarks.py`"
        + (f" in {wall:.0f} s wall time" if wall else "") + ". Reproduce from the repository root with",
        "", "    make bench", "",
        "which runs `.venv/bin/python benchmarks/run_benchmarks.py`, i.e.", "",
        "    " + meta.get("command", "(command not recorded)"), "",
        "Times are pytest-benchmark medians (at least 5 rounds, 3 for the O(N^2) DFT), one pytest process, the "
        "peers of a group run one after the other; every timed result is checked for correctness in the same test. "
        "Ratios are peer time / fasttag time from this run (above 1: fasttag is faster).",
    ]
    if failed:
        parts += ["", "**Failed tests in this run:**", ""] + [f"- `{k}`: {v}" for k, v in failed.items()]
    parts += [
        "", targets_section(groups, benches), "",
        LIMITS,
        "## Feature pipelines (x realtime)", "",
        feature_section("Choi setting: log-mel", choi, choi_note), "",
        floor_section(groups), "",
        feature_section("librosa defaults: log-mel", groups.get("librosa-default-logmel", {}), default_note), "",
        feature_section("librosa defaults: MFCC 20", groups.get("librosa-default-mfcc", {}), mfcc_note), "",
        "Checks: every output is compared with librosa's (same float32 input) where librosa's log-mel is above "
        "-80 dB; tolerance 1e-3 dB for log-mel.", "",
        fft_section(groups), "",
        report_rhythm.section(benches, table, fmt_time, fmt_ratio, fmt_xrt), "",
        report_kmeans.section(groups, table, fmt_time, fmt_ratio), "",
        report_extract.section(groups, table, fmt_time), "",
        report_startup.section(groups, table, fmt_time, fmt_ratio), "",
        gpu_block(groups, previous), "",
        machine_section(info, meta), "",
        fft_detail(groups),
    ]
    return "\n".join(parts).rstrip() + "\n"


RUN_KEY = "fasttag_run"  #: where a run keeps its meta and failures in the benchmark JSON


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--choi-clips", type=int, default=64, help="clips in the Choi setting (default 64)")
    parser.add_argument("--json", type=Path, help="keep pytest-benchmark's JSON here (default: a temporary file)")
    parser.add_argument("--from-json", type=Path, help="write RESULTS.md from this JSON without running")
    parser.add_argument("--gpu-from-json", type=Path,
                        help="replace only the GPU section of RESULTS.md with this JSON's (scripts/gpu_check.sh)")
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"default {RESULTS.relative_to(ROOT)}")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    args = parser.parse_args(argv)

    previous = args.out.read_text() if args.out.exists() else ""
    if args.gpu_from_json:
        raws = json.loads(args.gpu_from_json.read_text()).get("benchmarks", [])
        block = gpu_block(by_group([Bench(raw, {}) for raw in raws]))
        args.out.write_text(report_cuda.splice(previous, block))
        print(f"wrote the GPU section of {args.out}")
        return 0
    if args.from_json:  # the run's meta and failures, where the run kept them in its JSON
        data = json.loads(args.from_json.read_text())
        run = data.get(RUN_KEY, {"meta": {"command": f"(rendered from {args.from_json})"}, "failed": {}})
        args.out.write_text(render(data, run["failed"], run["meta"], previous))
        print(f"wrote {args.out}")
        return 0

    with tempfile.TemporaryDirectory(prefix="fasttag-bench-") as tmp:
        json_path = args.json or Path(tmp) / "bench.json"
        junit_path = Path(tmp) / "junit.xml"
        load_before = os.getloadavg()[0]
        start = time.perf_counter()
        rc, cmd = run_suites(json_path.resolve(), junit_path, args.choi_clips, args.pytest_args)
        wall = time.perf_counter() - start
        meta = {"wall_s": wall, "loadavg_before": load_before, "loadavg_after": os.getloadavg()[0],
                "command": shlex.join(
                    [os.path.relpath(cmd[0], ROOT) if cmd[0].startswith(str(ROOT)) else cmd[0]] + [
                        c for c in cmd[1:] if not c.startswith(("--benchmark-json=", "--junitxml="))
                    ] + ["--benchmark-json=bench.json"])}
        if not json_path.exists():
            print(f"pytest exited with {rc} and wrote no benchmark JSON; RESULTS.md not updated", file=sys.stderr)
            return rc or 1
        failed = failures(junit_path)
        data = json.loads(json_path.read_text())
        data[RUN_KEY] = {"meta": meta, "failed": failed}  # for --from-json
        json_path.write_text(json.dumps(data))
        args.out.write_text(render(data, failed, meta, previous))
    print(f"wrote {args.out} ({wall:.0f} s)")
    if failed:
        print(f"{len(failed)} benchmark check(s) failed: " + ", ".join(failed), file=sys.stderr)
    return rc


if __name__ == "__main__":
    sys.exit(main())
