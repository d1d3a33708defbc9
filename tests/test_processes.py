"""fasttag with threads: many at once, and processes that fork or end while other threads are
inside its C++ calls.

The fork and exit scenarios run in a fresh interpreter (`python -c`), so that a hang or an
abort shows as that child's timeout or exit status instead of taking pytest with it.
"""

from __future__ import annotations

import multiprocessing
import shutil
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

import fasttag

FORK_WHILE_HELD = """
import os, threading, time
import numpy as np
import fasttag
from fasttag import _core

x = np.random.default_rng(1).standard_normal((3, 96)).astype(np.float32)
expected = np.fft.rfft(x.astype(np.float64))
holder = threading.Thread(target=_core._hold_plan_cache_lock, args=(1.0,))
holder.start()
time.sleep(0.2)  # the other thread holds the plan caches' lock now
pid = os.fork()
if pid == 0:  # the child's first FFT takes that lock
    ok = np.allclose(fasttag.rfft(x), expected, rtol=1e-4, atol=1e-3)
    os._exit(0 if ok else 1)
for _ in range(200):
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        raise SystemExit(os.waitstatus_to_exitcode(status))
    time.sleep(0.05)
os.kill(pid, 9)
os.waitpid(pid, 0)
raise SystemExit("the forked child hung in its first FFT")
"""

EXIT_WITH_DAEMONS = """
import threading, time
import numpy as np
import fasttag

y = np.random.default_rng(2).standard_normal(200_000).astype(np.float32)

def features_forever():
    while True:
        fasttag.logmel(y, sr=22050, n_fft=2048, hop_length=64, workers=2)

for _ in range(3):
    threading.Thread(target=features_forever, daemon=True).start()
time.sleep(0.3)  # then the interpreter ends with the daemon threads inside fasttag
"""

CTRL_C_WHILE_THE_FORK_SERVER_STARTS = """
import os, signal, time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import forkserver
from fasttag.extraction import runners

context = runners._pool_context()
time.sleep(0.3)
os.kill(forkserver._forkserver._forkserver_pid, signal.SIGINT)  # a Ctrl-C while the server imports fasttag
with ProcessPoolExecutor(1, mp_context=context, initializer=runners._start_worker, initargs=(os.getpid(),)) as pool:
    assert pool.submit(os.getpid).result() != os.getpid()
    try:
        pool.submit(signal.raise_signal, signal.SIGINT).result()
    except KeyboardInterrupt:
        pass
    else:
        raise SystemExit("a Ctrl-C did not interrupt the worker's track")
"""

ABANDONED_WORKER = """
import sys
from multiprocessing import context, synchronize
from fasttag.extraction import _fork_server, runners

class GoneSemaphore:
    # Unpickles as a Lock whose semaphore is gone, as a worker finds the pool's after a Ctrl-C.
    def __init__(self, state):
        self.state = state

    def __reduce__(self):
        return object.__new__, (synchronize.Lock,), self.state

forkserver = runners._pool_context()
lock = forkserver.Lock()
context.set_spawning_popen(object())  # a lock's state is given only while a process starts
try:
    state = lock.__getstate__()
finally:
    context.set_spawning_popen(None)
state = tuple("/fasttag-no-such-semaphore" if part == lock._semlock.name else part for part in state)
worker = forkserver.Process(target=print, args=(GoneSemaphore(state),))
worker.start()
worker.join()
print("worker exit", worker.exitcode, file=sys.stderr)
try:
    raise ValueError("any other error")
except ValueError:
    _fork_server._quiet_when_abandoned(*sys.exc_info())  # printed as Python prints it
"""


def run_script(source: str, cwd) -> subprocess.CompletedProcess:
    """``source`` in a new interpreter started in ``cwd``: outside the repository, where
    ``import fasttag`` would find the source tree instead of the installed, built package."""
    return subprocess.run([sys.executable, "-W", "ignore::DeprecationWarning", "-c", textwrap.dedent(source)],
                          capture_output=True, text=True, timeout=120, cwd=cwd)  # fmt: skip


def test_a_child_forked_while_another_thread_holds_the_plan_cache_can_transform(tmp_path):
    """The child inherited the lock held, by a thread it does not have, and hung for good
    (a DataLoader worker forked while a prefetch thread ran an FFT)."""
    done = run_script(FORK_WHILE_HELD, tmp_path)
    assert done.returncode == 0, done.stderr


def test_the_interpreter_ends_cleanly_with_daemon_threads_inside_fasttag(tmp_path):
    """CPython ends such threads with pthread_exit when they ask for the GIL back; in
    py::gil_scoped_release's destructor that was std::terminate: exit status 134."""
    for _ in range(3):
        done = run_script(EXIT_WITH_DAEMONS, tmp_path)
        assert done.returncode == 0 and "terminate called" not in done.stderr, (done.returncode, done.stderr)


def test_threads_filling_the_caches_at_once_get_the_serial_results(rng):
    """Plans, windows and filterbanks of many sizes built by 8 threads at once (more FFT sizes
    than the plan cache keeps), with workers 1 and 2: bit-identical to the same calls in turn."""
    y = rng.standard_normal((2, 6000)).astype(np.float32)
    calls = [(n_fft, workers, n_mels) for n_fft in (256, 300, 400, 500, 512, 600, 640, 1000, 1024, 2048)
             for workers in (1, 2) for n_mels in (20, 40)]  # fmt: skip

    def features(call):
        n_fft, workers, n_mels = call
        return (fasttag.stft(y, n_fft=n_fft, hop_length=128, workers=workers),
                fasttag.logmel(y, sr=16000, n_fft=n_fft, hop_length=128, n_mels=n_mels, workers=workers))

    with ThreadPoolExecutor(8) as pool:
        together = list(pool.map(features, calls * 2))
    for call, got in zip(calls * 2, together):
        for a, b in zip(got, features(call)):
            np.testing.assert_array_equal(a, b, err_msg=str(call))


@pytest.mark.skipif("forkserver" not in multiprocessing.get_all_start_methods(), reason="no fork server here")
def test_a_ctrl_c_while_the_extraction_fork_server_starts_prints_no_traceback(tmp_path):
    """The server died of it with a KeyboardInterrupt traceback while it imported fasttag; its
    workers must still take a Ctrl-C as an interrupt of the track in hand."""
    done = run_script(CTRL_C_WHILE_THE_FORK_SERVER_STARTS, tmp_path)
    assert done.returncode == 0 and "Traceback" not in done.stderr, (done.returncode, done.stderr)


@pytest.mark.skipif("forkserver" not in multiprocessing.get_all_start_methods(), reason="no fork server here")
def test_a_worker_abandoned_as_it_starts_ends_without_a_traceback(tmp_path):
    """After a Ctrl-C the main process may remove the pool's semaphores before a worker it
    asked for reads them; that worker printed a FileNotFoundError traceback."""
    done = run_script(ABANDONED_WORKER, tmp_path)
    assert done.returncode == 0, done.stderr
    worker_part, rest = done.stderr.split("worker exit 1\n")
    assert "Traceback" not in worker_part and "FileNotFoundError" not in worker_part, worker_part
    assert rest.startswith("Traceback") and rest.rstrip().endswith("ValueError: any other error"), rest


EXTRACT_BESIDE_A_SHADOW_TREE = """
import numpy as np, soundfile
from fasttag import extract

if __name__ == "__main__":  # the workers import this script again
    soundfile.write("a.wav", 0.1 * np.random.default_rng(0).standard_normal(8000), 8000)
    soundfile.write("b.wav", 0.1 * np.random.default_rng(1).standard_normal(8000), 8000)
    summary = extract(["a.wav", "b.wav"], "store", workers=2, sr=8000, n_fft=256, hop_length=128, n_mels=16)
    print(summary.done, summary.failed)
"""


@pytest.mark.skipif("forkserver" not in multiprocessing.get_all_start_methods(), reason="no fork server here")
@pytest.mark.skipif(sys.version_info < (3, 11), reason="PYTHONSAFEPATH is Python 3.11's")
def test_extraction_workers_ignore_a_fasttag_tree_in_the_working_directory(tmp_path):
    """Python 3.11's fork server puts the working directory first on its sys.path: run from a source
    checkout (CI runs the tests there), it imported that tree, without the compiled core, and every
    worker died as it started. (An editable install's import hook wins over the path anyway, so this
    fails without the fix only where fasttag is installed as a wheel, as in CI.)"""
    source = Path(fasttag.__file__).parent  # a checkout: the package's Python files without the compiled core
    shutil.copytree(source, tmp_path / "work" / "fasttag",
                    ignore=shutil.ignore_patterns("*.so", "*.pyd", "__pycache__"))
    script = tmp_path / "script" / "run.py"  # the script's folder, not the working directory, leads sys.path
    script.parent.mkdir()
    script.write_text(EXTRACT_BESIDE_A_SHADOW_TREE)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path / "work")
    assert done.returncode == 0 and done.stdout.split() == ["2", "0"], done.stderr[-3000:]
