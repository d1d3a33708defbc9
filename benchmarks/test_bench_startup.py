"""Start-up suite: a fresh Python that imports the library and computes one log-mel, as a script,
a CLI call or a spawned DataLoader worker does before its first clip.

Every peer of group ``startup`` runs ``python -c`` on the same 1 s of seeded noise (22.05 kHz,
librosa's default log-mel: n_fft 2048, hop 512, 128 mels, top_db 80) and prints the log-mel's
mean; "python" imports numpy only (the floor). Each round is a new process, the timing is the
wall time of the whole process. The printed means are checked against librosa's log-mel computed
in this process.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

SIGNAL = "import numpy as np\ny = 0.1 * np.random.default_rng(0).standard_normal(22050).astype(np.float32)\n"
SCRIPTS = {
    "python": SIGNAL + "print('nan')",
    "fasttag": "import fasttag\n" + SIGNAL + "print(float(fasttag.logmel(y, sr=22050).mean()))",
    "librosa": "import librosa\n" + SIGNAL
               + "print(float(librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=22050), top_db=80).mean()))",
}
TOL_DB = 1e-3  # the mean of float32 log-mels computed two ways


def run_script(peer: str) -> float:
    """Run peer's script in a fresh interpreter (outside the repository, so the installed package is
    imported) and return the mean it prints."""
    done = subprocess.run([sys.executable, "-c", SCRIPTS[peer]], capture_output=True, text=True, check=True,
                          cwd="/")
    return float(done.stdout.strip().splitlines()[-1])


@pytest.mark.benchmark(group="startup", min_rounds=5, max_time=2.0, warmup=False)
@pytest.mark.parametrize("peer", list(SCRIPTS))
def test_startup(benchmark, peer):
    librosa = pytest.importorskip("librosa")
    y = 0.1 * np.random.default_rng(0).standard_normal(22050).astype(np.float32)
    expected = float(librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=22050), top_db=80).mean())
    got = benchmark.pedantic(run_script, args=(peer,), rounds=5, iterations=1, warmup_rounds=1)
    if peer != "python":
        assert abs(got - expected) < TOL_DB, (peer, got, expected)
