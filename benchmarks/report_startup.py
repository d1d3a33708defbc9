"""The start-up part of RESULTS.md: the ``startup`` group (benchmarks/test_bench_startup.py), read from
the pytest-benchmark JSON by run_benchmarks.py."""

from __future__ import annotations

LABELS = {
    "python": "python -c 'import numpy' (the floor)",
    "fasttag": "import fasttag; fasttag.logmel(y)",
    "librosa": "import librosa; power_to_db(melspectrogram(y))",
}


def section(groups, table, fmt_time, fmt_ratio) -> str:
    """Markdown: each peer's process wall time, and its ratio to fasttag's."""
    group = groups.get("startup", {})
    ours = group.get("fasttag")
    rows = [[label, fmt_time(bench.median), fmt_time(bench.min),
             fmt_ratio(bench.median / ours.median if ours else None), bench.status()]
            for peer, label in LABELS.items() if (bench := group.get(peer)) is not None]
    if not rows:
        return ""
    return "\n".join([
        "## Start-up: a fresh Python, one log-mel", "",
        "A new process per round (as a script, a CLI call or a spawned DataLoader worker): import, then the log-mel "
        "of 1 s of noise with librosa's defaults. The means printed are checked against librosa's log-mel.", "",
        table(["process", "median", "min", "time / fasttag's", "check"], rows, "lrrrl")])
