"""The README's Python usage example runs as written, on a generated collection in its place."""

import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

README = Path(__file__).resolve().parents[1] / "README.md"


def usage_example() -> str:
    """The first Python block under the README's "## Usage" heading."""
    usage = README.read_text(encoding="utf-8").split("\n## Usage", 1)[1]
    return re.search(r"```python\n(.*?)```", usage, re.S).group(1)


def music(rng, seconds: float, sr: int = 22050) -> np.ndarray:
    """Noise under random decaying notes: float32 mono."""
    n = int(seconds * sr)
    t = np.arange(sr // 4) / sr
    y = 0.05 * rng.standard_normal(n)
    for onset in rng.integers(0, n - t.size, int(seconds * 4)):
        y[onset : onset + t.size] += 0.3 * np.sin(2 * np.pi * rng.uniform(80, 2000) * t) * np.exp(-8 * t)
    return (0.8 * y / np.abs(y).max()).astype(np.float32)


@pytest.mark.skipif("MP3" not in sf.available_formats(), reason="libsndfile cannot write MP3")
def test_usage_example_runs(rng, tmp_path, monkeypatch):
    (tmp_path / "music").mkdir()
    sf.write(tmp_path / "track.mp3", music(rng, 30.0), 22050, format="MP3")
    for i in range(4):
        sf.write(tmp_path / "music" / f"song{i}.mp3", music(rng, 31.0 + i), 22050, format="MP3")
    monkeypatch.chdir(tmp_path)
    names = {}
    exec(compile(usage_example(), str(README), "exec"), names)
    assert names["X"].shape == (96, names["F"].shape[1]) and names["F"].shape[0] == 90
    assert names["S"].shape == (2, 96, 1366) and names["D"].shape == (2, 257, 1366)
    H = names["H"]
    assert H.shape == (2, 1024) and np.allclose(H.sum(axis=1), 1.0)
    assert names["km"].cluster_centers_.shape == (1024, 90)
