"""Batching, worker-count invariance, memory layouts and thread safety of the core API.

Every operation runs on a batch and on each clip alone, with 1, 2, 3 and all CPUs, on
C-ordered, Fortran-ordered, sliced, reversed and unaligned inputs, and from many Python
threads at once: the results must be bit-identical (np.array_equal) in every case.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import fasttag


def _cpus() -> int:
    """CPUs available to this process (what workers=-1 means)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _power(y, **kw):
    return np.abs(fasttag.stft(y, n_fft=512, hop_length=128, **kw)) ** 2


# Each takes a signal (..., n_samples) and workers=; the S-path ones derive S from y first.
OPS = {
    "rfft": lambda y, **kw: fasttag.rfft(y, **kw),
    "rfft_bluestein": lambda y, **kw: fasttag.rfft(y, n=1009, **kw),
    "dft": lambda y, **kw: fasttag.dft(y[..., :600], **kw),
    "stft": lambda y, **kw: fasttag.stft(y, n_fft=512, hop_length=128, **kw),
    "stft_reflect": lambda y, **kw: fasttag.stft(y, n_fft=1000, hop_length=160, win_length=800, window="hamming",
                                                 pad_mode="reflect", **kw),
    "stft_no_center": lambda y, **kw: fasttag.stft(y, n_fft=256, hop_length=100, center=False, **kw),
    "melspectrogram": lambda y, **kw: fasttag.melspectrogram(y, sr=22050, n_fft=1024, hop_length=256, n_mels=64,
                                                             **kw),
    "melspectrogram_power1": lambda y, **kw: fasttag.melspectrogram(y, sr=22050, n_fft=512, hop_length=100,
                                                                    power=1.0, n_mels=40, htk=True, **kw),
    "logmel": lambda y, **kw: fasttag.logmel(y, sr=22050, n_fft=512, hop_length=256, n_mels=96, **kw),
    "mfcc": lambda y, **kw: fasttag.mfcc(y, sr=22050, n_mfcc=20, n_fft=1024, hop_length=256, **kw),
    "power_to_db": lambda y, **kw: fasttag.power_to_db(_power(y, **kw), ref=np.max, top_db=60.0, **kw),
    "melspectrogram_from_S": lambda y, **kw: fasttag.melspectrogram(S=_power(y, **kw), sr=22050, n_mels=32, **kw),
    "mfcc_from_S": lambda y, **kw: fasttag.mfcc(S=fasttag.logmel(y, sr=22050, n_fft=512, hop_length=128, n_mels=40,
                                                                 **kw), n_mfcc=13, lifter=22, **kw),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("op", sorted(OPS))
def test_batch_equals_per_clip_calls(music, op, dtype):
    y = music(9000, dtype=dtype, shape=(2, 3))
    batch = OPS[op](y)
    assert batch.shape[:2] == (2, 3)
    clips = [batch[i] for i in np.ndindex(2, 3)]
    for i, clip in zip(np.ndindex(2, 3), clips):
        single = OPS[op](y[i])
        assert single.shape == batch.shape[2:]
        assert np.array_equal(batch[i], single), f"{op}: batch item {i} differs from the clip computed alone"
    for a in range(len(clips)):
        for b in range(a + 1, len(clips)):
            assert not np.array_equal(clips[a], clips[b]), "test signals must differ per clip"


@pytest.mark.parametrize("op", sorted(OPS))
def test_batch_of_one_and_extra_axes(music, op):
    y = music(7000)
    single = OPS[op](y)
    assert np.array_equal(OPS[op](y[None]), single[None])
    assert np.array_equal(OPS[op](y[None, None, None]), single[None, None, None])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("op", sorted(OPS))
def test_results_do_not_depend_on_worker_count(music, op, dtype):
    batch = music(30000, dtype=dtype, shape=(5,))
    one_clip = batch[0]
    for y in (batch, one_clip):  # split over clips and over the frames of one clip
        expected = OPS[op](y, workers=1)
        for workers in (2, 3, 16, -1, -2 if _cpus() > 1 else -1):
            got = OPS[op](y, workers=workers)
            assert np.array_equal(got, expected), f"{op}: workers={workers} differs from workers=1 ({y.shape})"


@pytest.mark.parametrize("transform", ["rfft", "dft"])
def test_transform_of_many_rows_does_not_depend_on_worker_count(rng, transform):
    x = rng.standard_normal((37, 250)).astype(np.float32)
    func = getattr(fasttag, transform)
    expected = func(x, workers=1)
    assert np.array_equal(func(x, workers=2), expected)
    assert np.array_equal(func(x, workers=-1), expected)
    # Rows computed together in a SIMD block equal rows computed alone.
    for r in (0, 7, 8, 36):
        assert np.array_equal(func(x[r]), expected[r])


def test_set_workers_context(music):
    y = music(20000, shape=(3,))
    expected = OPS["logmel"](y, workers=1)
    assert fasttag.get_workers() == 1
    with fasttag.set_workers(2):
        assert fasttag.get_workers() == 2
        assert np.array_equal(OPS["logmel"](y), expected)
        with fasttag.set_workers(-1):
            assert fasttag.get_workers() == _cpus()
            assert np.array_equal(OPS["logmel"](y), expected)
        assert fasttag.get_workers() == 2
        assert np.array_equal(OPS["logmel"](y, workers=1), expected)
    assert fasttag.get_workers() == 1


def test_set_workers_restores_after_an_exception():
    with pytest.raises(RuntimeError, match="inside"):
        with fasttag.set_workers(3):
            assert fasttag.get_workers() == 3
            raise RuntimeError("inside")
    assert fasttag.get_workers() == 1


def test_set_workers_is_per_thread():
    entered, checked = threading.Event(), threading.Event()
    seen = {}

    def other_thread():
        entered.wait(timeout=30)
        seen["other"] = fasttag.get_workers()
        with fasttag.set_workers(5):
            seen["other_inside"] = fasttag.get_workers()
        checked.set()

    thread = threading.Thread(target=other_thread)
    thread.start()
    with fasttag.set_workers(2):
        entered.set()
        assert checked.wait(timeout=30)
        assert fasttag.get_workers() == 2
    thread.join()
    assert seen == {"other": 1, "other_inside": 5}
    assert fasttag.get_workers() == 1


# ----------------------------------------------------------------------------- memory layouts


def _layouts(base: np.ndarray) -> dict[str, np.ndarray]:
    """Views of (rows, n) data that are not plain C-contiguous arrays, each with its own values."""
    rows, n = base.shape
    unaligned = np.frombuffer(bytearray(base.nbytes + 1), dtype=np.uint8)[1:].view(base.dtype).reshape(base.shape)
    unaligned[...] = base
    return {
        "fortran": np.asfortranarray(base),
        "every_other_sample": base[:, ::2],
        "offset": base[:, 5:],
        "every_other_row": base[::2],
        "reversed": base[:, ::-1],
        "column_of_transpose": np.ascontiguousarray(base.T)[:, 1],
        "unaligned": unaligned,
        "readonly": np.frombuffer(base.tobytes(), dtype=base.dtype).reshape(base.shape),
    }


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("op", sorted(OPS))
def test_memory_layouts_give_identical_results(music, op, dtype):
    base = music(16000, dtype=dtype, shape=(4,))
    for name, view in _layouts(base).items():
        if name == "unaligned":
            assert not view.flags.aligned
        if name == "readonly":
            assert not view.flags.writeable
        before = view.copy()
        got = OPS[op](view)
        expected = OPS[op](np.ascontiguousarray(view))
        assert np.array_equal(got, expected), f"{op}: {name} input differs from its C-contiguous copy"
        assert np.array_equal(view, before), f"{op}: {name} input was modified"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("func", ["power_to_db", "melspectrogram", "mfcc", "delta"])
def test_spectrogram_layouts_give_identical_results(music, dtype, func):
    y = music(12000, dtype=dtype, shape=(3,))
    S = fasttag.melspectrogram(y, sr=22050, n_fft=512, hop_length=128, n_mels=40) if func != "melspectrogram" \
        else np.abs(fasttag.stft(y, n_fft=512, hop_length=128)) ** 2
    if func == "mfcc":
        S = fasttag.power_to_db(S)
    call = {
        "power_to_db": lambda S: fasttag.power_to_db(S, ref=np.max),
        "melspectrogram": lambda S: fasttag.melspectrogram(S=S, sr=22050, n_mels=30),
        "mfcc": lambda S: fasttag.mfcc(S=S, n_mfcc=13),
        "delta": lambda S: fasttag.delta(S, order=2),
    }[func]
    expected = call(np.ascontiguousarray(S))
    views = {
        "fortran": np.asfortranarray(S),
        "transposed_twice": np.ascontiguousarray(np.swapaxes(S, -1, -2)).swapaxes(-1, -2),
        "left_half_of_wider": np.concatenate([S, S], axis=-1)[..., : S.shape[-1]],
    }
    for name, view in views.items():
        np.testing.assert_array_equal(view, S)
        assert np.array_equal(call(view), expected), f"{func}: {name} input differs"
    frames = np.repeat(S, 2, axis=-1)[..., ::2]
    assert not frames.flags.c_contiguous
    assert np.array_equal(call(frames), call(np.ascontiguousarray(frames)))


# ----------------------------------------------------------------------------- threads


def test_concurrent_calls_match_serial_calls(music):
    signals = [music(int(n), dtype=dtype) for n, dtype in
               zip([15000, 22050, 9000, 30000, 12345, 18000], [np.float32, np.float64] * 3)]
    jobs = [(op, i, workers) for i in range(len(signals)) for op in sorted(OPS) for workers in (1, 2)]
    serial = {job: OPS[job[0]](signals[job[1]], workers=job[2]) for job in jobs}

    def run(job):
        op, i, workers = job
        return job, OPS[op](signals[i], workers=workers)

    for _ in range(2):
        with ThreadPoolExecutor(max_workers=6) as pool:
            results = list(pool.map(run, jobs[::-1]))
        assert len(results) == len(jobs)
        for job, out in results:
            assert np.array_equal(out, serial[job]), f"concurrent {job} differs from the serial call"


def test_threads_with_their_own_worker_contexts(music):
    y = music(40000, shape=(2,))
    expected = OPS["mfcc"](y, workers=1)
    barrier = threading.Barrier(4)

    def run(workers):
        with fasttag.set_workers(workers):
            barrier.wait(timeout=60)
            assert fasttag.get_workers() == workers
            return [OPS["mfcc"](y) for _ in range(3)]

    with ThreadPoolExecutor(max_workers=4) as pool:
        for outs in pool.map(run, [1, 2, 3, 4]):
            for out in outs:
                assert np.array_equal(out, expected)


# ----------------------------------------------------------------------------- dtypes


@pytest.mark.parametrize("op", sorted(OPS))
def test_precision_follows_the_input(music, op):
    y = music(8000, dtype=np.float64)
    out64 = OPS[op](y)
    out32 = OPS[op](y.astype(np.float32))
    complex_out = op.startswith(("rfft", "dft", "stft"))
    assert out64.dtype == (np.complex128 if complex_out else np.float64)
    assert out32.dtype == (np.complex64 if complex_out else np.float32)
    assert out32.shape == out64.shape
