"""The k-means part of RESULTS.md: tables and targets of the ``kmeans-*`` benchmark groups
(benchmarks/test_bench_kmeans.py), read from the pytest-benchmark JSON by run_benchmarks.py."""

from __future__ import annotations

TARGET_VS_FAISS = 1.3  # assignment and 10-iteration fit, 1 and 2 threads
THREADS = (1, 2)
LABELS = {
    "fasttag": "fasttag (C++ tiles, running argmin)",
    "sklearn": "scikit-learn KMeans (lloyd)",
    "faiss": "faiss (IndexFlatL2 / faiss.Kmeans)",
    "numpy": "numpy: argmin(||c||^2 - 2 X C^T) (BLAS GEMM)",
}
KINDS = (("assign", "Assignment of 100,000 x 90 float32 to K = 1024 (`predict`)"),
         ("fit10", "10 Lloyd iterations from the same initial centroids (`fit`)"))


def target_rows(groups, stat: str) -> list[tuple[str, float | None, bool | None, str]]:
    """(target, faiss time / fasttag time, met?, detail) for each k-means target."""
    rows = []
    for kind, title in KINDS:
        for threads in THREADS:
            group = groups.get(f"kmeans-{kind}-t{threads}", {})
            ours, faiss = group.get("fasttag"), group.get("faiss")
            ratio = getattr(faiss, stat) / getattr(ours, stat) if ours and faiss else None
            what = "assignment" if kind == "assign" else "10-iteration fit"
            rows.append((f"k-means {what}, {threads} thread(s): >= {TARGET_VS_FAISS}x faster than faiss", ratio,
                         None if ratio is None else ratio >= TARGET_VS_FAISS, "faiss / fasttag"))
    return rows


def section(groups, table, fmt_time, fmt_ratio) -> str:
    """Markdown: one table per kind, every backend at each thread count, with GFLOP/s."""
    parts = ["## k-means (bag-of-frames codebook)", "",
             "Frames: 100,000 x 90 float32, MFCC-like scales with clumps (seeded); K = 1024 centroids drawn from "
             "them. One assignment is 2 n K d = 18.4 GFLOP. Labels are checked against float64 nearest centroids "
             "(>= 99.9 % equal; the rest are near-ties), the fitted inertia against scikit-learn's.", ""]
    for kind, title in KINDS:
        rows = []
        for threads in THREADS:
            group = groups.get(f"kmeans-{kind}-t{threads}", {})
            ours = group.get("fasttag")
            for backend, label in LABELS.items():
                bench = group.get(backend)
                if bench is None:
                    continue
                gflops = bench.info.get("gflop", 0) / bench.median
                ratio = bench.median / ours.median if ours else None
                rows.append([f"{label}, {threads} thread(s)", fmt_time(bench.median), fmt_time(bench.min),
                             f"{gflops:.1f}", fmt_ratio(ratio), bench.status()])
        if rows:
            parts += [f"### {title}", "",
                      table(["backend", "median", "min", "GFLOP/s (median)", "time / fasttag's", "check"], rows,
                            "lrrrrl"), ""]
    return "\n".join(parts).rstrip()
