"""Running: the worker (one track -> an array file and a manifest record), inline, in a
process pool, or on Dask. The worker task is spawn-safe: module level."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import tempfile
import threading
import time
from collections import deque
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from fasttag.errors import FasttagError, MissingDependencyError

from .decode import _extract_file
from .params import ExtractParams


def _failed(task: dict, error: str) -> dict:
    return {"id": task["id"], "path": task["path"], "file": None, "status": "failed", "error": error,
            "warning": None, "params": task["digest"], **task["stat"]}  # fmt: skip


def _extract_task(task: dict) -> dict:
    """Extract one track and write its array atomically; never raises for a bad file."""
    hook = task.get("kill_on")  # the test hook, read in the main process (workers may predate it)
    if hook and hook in os.path.basename(task["path"]):
        os.kill(os.getpid(), signal.SIGKILL)
    started = time.perf_counter()
    try:
        params = ExtractParams.from_dict(task["params"])
        X, info = _extract_file(task["path"], params)
        from fasttag.store import save_array  # here: the store module imports this one

        save_array(task["array"], X, tmp_dir=task["tmp_dir"], durable=False)  # the writer syncs in bulk
    except Exception as error:  # noqa: BLE001 -- a bad file is recorded, never fatal
        record = _failed(task, f"{type(error).__name__}: {' '.join(str(error).split())}")
    else:
        record = {"id": task["id"], "path": task["path"], "file": task["file"], "status": "done", "error": None,
                  "warning": info.pop("warning"), "params": task["digest"], **task["stat"],
                  "shape": list(X.shape), **info}  # fmt: skip
    record["elapsed"] = round(time.perf_counter() - started, 4)
    return record


#: Characters of what a decoder wrote to stderr kept in a track's record.
_SAID_CHARACTERS = 400


def _extract_task_quietly(task: dict) -> dict:
    """`_extract_task` in a pool worker, with file descriptor 2 sent to a temporary file: what the
    C decoders write there (libmpg123's "Note: Illegal Audio-MPEG-Header ..." on a damaged MP3)
    goes into the track's record instead of through the main process's progress bar.

    Only in a pool worker: the task is all the process runs then (its watchdog thread writes
    nothing), whereas elsewhere other threads and the caller's own output share the descriptor.
    """
    with tempfile.TemporaryFile() as sink:
        sys.stderr.flush()
        saved = os.dup(2)
        os.dup2(sink.fileno(), 2)
        try:
            record = _extract_task(task)
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
        sink.seek(0)
        said = " ".join(sink.read(4 * _SAID_CHARACTERS).decode(errors="replace").split())
    return _with_decoder_output(record, said)


def _with_decoder_output(record: dict, said: str) -> dict:
    """``record`` with what the decoder wrote to stderr (``said``, one line) added to its error or warning."""
    if not said:
        return record
    said = f"the decoder said: {said[:_SAID_CHARACTERS]}" + (" ..." if len(said) > _SAID_CHARACTERS else "")
    field = "error" if record["status"] == "failed" else "warning"
    record[field] = "; ".join(text for text in (record[field], said) if text)
    return record


def _run_inline(tasks, on_result) -> None:
    for task in tasks:
        on_result(_extract_task(task))


_DIED = "WorkerDied: the worker process died on this file (a crash in the decoder, or killed)"


def _start_worker(main: int) -> None:
    """Worker initializer: Ctrl-C interrupts the track in hand (the fork server, whose
    disposition a worker inherits, ignores it), and the worker exits when the main process is
    gone (killed) instead of lingering.

    (A forkserver worker's parent is the fork server, which itself lives as long as any of
    its workers: the main process's pid is what tells.)
    """
    signal.signal(signal.SIGINT, signal.default_int_handler)

    def alive() -> bool:
        try:
            os.kill(main, 0)
        except ProcessLookupError:
            return False
        except PermissionError:  # pragma: no cover - a pid reused by another user's process
            return True
        return True

    def watch():
        while alive():
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="fasttag-extract-watchdog", daemon=True).start()


def _pool_context():
    """forkserver where there is one (workers fork from a server that has imported fasttag
    once: a fast start, and no threads or locks inherited from this process), else spawn."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["fasttag.extraction._fork_server", "fasttag.extraction", "fasttag.store"])
        _start_forkserver()
        return context
    return multiprocessing.get_context("spawn")


def _start_forkserver() -> None:
    """Start the fork server (once per process) with SIGINT ignored from its first instruction, and
    without the working directory on its sys.path.

    A terminal's Ctrl-C reaches the whole process group; the server ignores it only once it
    has imported fasttag (a second), and before that it died printing a KeyboardInterrupt
    traceback under the main process's "interrupted". (Only the main thread may set handlers:
    elsewhere the server starts as multiprocessing starts it.)

    Python 3.11's fork server does not take the parent's sys.path but ``-c``'s, which starts with
    the working directory: run from a source checkout of fasttag (as the tests are), it imported
    that tree, without the compiled core, instead of the installed package, and its workers died
    as they started. PYTHONSAFEPATH (Python 3.11+) leaves the working directory out.
    """
    from multiprocessing import forkserver

    if threading.current_thread() is not threading.main_thread():
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # inherited through exec, unlike a handler
    safe_path = os.environ.get("PYTHONSAFEPATH")
    os.environ["PYTHONSAFEPATH"] = "1"
    try:
        forkserver.ensure_running()
    finally:
        signal.signal(signal.SIGINT, previous)
        if safe_path is None:
            del os.environ["PYTHONSAFEPATH"]
        else:
            os.environ["PYTHONSAFEPATH"] = safe_path


def _run_pool(tasks, workers: int, on_result) -> None:
    """A process pool (`_pool_context`); a worker that dies (a crash in a decoder, a kill)
    does not end the run: the tracks in flight are retried one at a time, and the one
    whose worker dies again alone is recorded as failed. A pool whose workers cannot even
    start (e.g. a main script read from stdin, which spawned workers cannot re-import)
    ends the run with an error before any track is tried."""
    context = _pool_context()
    queue = deque(tasks)
    suspects: deque = deque()
    limit = 2 * workers
    while queue or suspects:
        pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker,
                                   initargs=(os.getpid(),))
        try:
            pool.submit(os.getpid).result()
        except BrokenProcessPool:
            pool.shutdown(wait=True, cancel_futures=True)
            raise FasttagError("the extraction worker processes die as they start (can they import fasttag and "
                               "the main module?): try workers=1") from None  # fmt: skip
        inflight: dict = {}
        broken = False
        try:
            while (queue or suspects or inflight) and not broken:
                try:
                    if suspects:
                        if not inflight:
                            future = pool.submit(_extract_task, suspects[0])  # popped once submitted; a crash is heard
                            inflight[future] = (suspects.popleft(), True)
                    else:
                        while queue and len(inflight) < limit:
                            future = pool.submit(_extract_task_quietly, queue[0])
                            inflight[future] = (queue.popleft(), False)
                except BrokenProcessPool:  # a worker died before its future told us
                    broken = True
                done, _ = wait(inflight, return_when=FIRST_COMPLETED) if inflight else (set(), set())
                for future in done:
                    task, alone = inflight.pop(future)
                    try:
                        record = future.result()
                    except BrokenProcessPool:
                        broken = True
                        if alone:
                            on_result(_failed(task, _DIED))
                        else:
                            suspects.append(task)
                    except Exception as error:  # noqa: BLE001 -- e.g. a result that did not pickle
                        on_result(_failed(task, f"{type(error).__name__}: {error}"))
                    else:
                        on_result(record)
            if broken:  # the rest of the flight went down with the pool
                for task, alone in inflight.values():
                    if alone:
                        on_result(_failed(task, _DIED))
                    else:
                        suspects.append(task)
                inflight.clear()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def _run_dask(tasks, scheduler, workers: int, on_result) -> None:
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise MissingDependencyError("a Dask run needs dask.distributed: pip install 'fasttag[dask]'") from None
    cluster = None
    if scheduler is True:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
        address = cluster.scheduler_address
    else:
        address = scheduler
    try:
        try:
            client = Client(address)
        except (ValueError, OSError) as error:  # a malformed address, or no scheduler there
            raise FasttagError(f"scheduler={address!r}: {error}") from None
        with client:
            queue = deque(tasks)
            limit = max(4, 2 * sum(client.nthreads().values()))
            futures = {}
            pending = as_completed()
            while queue and len(futures) < limit:
                task = queue.popleft()
                future = client.submit(_extract_task, task, pure=False)
                futures[future.key] = task
                pending.add(future)
            for future in pending:
                task = futures.pop(future.key)
                try:
                    on_result(future.result())
                except Exception as error:  # noqa: BLE001 -- e.g. KilledWorker: record it, go on
                    on_result(_failed(task, f"WorkerDied: {type(error).__name__}: {error}"))
                future.release()
                if queue:
                    task = queue.popleft()
                    nxt = client.submit(_extract_task, task, pure=False)
                    futures[nxt.key] = task
                    pending.add(nxt)
    finally:
        if cluster is not None:
            cluster.close()
