"""End-to-end extraction suite: a folder of MP3s -> Choi log-mel crops, `fasttag.extract` against its peers.

The collection: seeded music-like audio (`stereo_music`) written once per session as
MP3s at 44.1 kHz stereo, ``FASTTAG_BENCH_EXTRACT_TRACKS`` tracks (default 32) of
``FASTTAG_BENCH_EXTRACT_SECONDS`` seconds (default 120, a song's length). The output: 12 kHz
log-mel, n_fft 512, hop 256, 96 mels, one centred crop of 29.12 s per track (96 x 1366).

Peers in the ``extract-mp3`` group, each over the whole folder on ``W`` processes
(``FASTTAG_BENCH_EXTRACT_WORKERS``, default all CPUs):

- ``fasttag[W]``: ``fasttag.extract(folder, store, duration=29.12, workers=W)`` into a fresh store
  (the store's writes included); ``fasttag[1]`` the same in this one process, the per-core figure;
- ``librosa-joblib``: the common loop, ``librosa.load(path, sr=12000)`` (the whole track), the
  centred crop, ``power_to_db(melspectrogram(...))``, over ``joblib.Parallel(n_jobs=W)``;
- ``librosa-joblib-crop``: the same, but ``librosa.load`` decodes only the crop (offset and
  duration), as fasttag does;
- ``decode-only-1``: soundfile seeks to and decodes the crop's window of every track on ONE
  process, nothing else: the per-core decode limit.

The targets (issue 5): ``fasttag[1]`` within 1.3x of ``decode-only-1`` (one core each), and
``fasttag[W]`` >= 2x ``librosa-joblib``. The per-core ratio is taken from paired rounds
(group ``extract-mp3-paired``): decode-only and ``fasttag[1]`` back to back in each round, in
alternating order, so that both halves of a ratio see the same machine load. ``extra_info``
carries tracks, crop seconds and track seconds so that RESULTS.md can turn medians into tracks/s
and x realtime. Every timed result is checked.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
import soundfile

import fasttag
from fasttag.extraction import extract
from fasttag.store import FeatureStore

SR_IN = 44100
SR = 12000
N_FFT, HOP, N_MELS = 512, 256, 96
CROP_S = 29.12
TRACKS = int(os.environ.get("FASTTAG_BENCH_EXTRACT_TRACKS", "32"))
SECONDS = float(os.environ.get("FASTTAG_BENCH_EXTRACT_SECONDS", "120"))
WORKERS = int(os.environ.get("FASTTAG_BENCH_EXTRACT_WORKERS", "0")) or (os.cpu_count() or 1)
PAIRED_ROUNDS = 7  # rounds of (decode-only, fasttag[1]) for the per-core ratio
DB_MEDIAN_TOL = 0.5  # median |dB difference| to librosa over the crop (the two crop at a slightly different sample)

pytestmark = [
    # librosa.load imports audioread, which imports modules Python 3.11+ deprecates
    pytest.mark.filterwarnings("ignore:'(aifc|sunau|audioop)' is deprecated:DeprecationWarning"),
    pytest.mark.skipif("MP3" not in soundfile.available_formats(),
                                reason=f"libsndfile {soundfile.__libsndfile_version__} cannot write MP3 "
                                       "(needs >= 1.1 built with LAME/mpg123)"),  # fmt: skip
]


def stereo_music(n: int, sr: int, seed: int) -> np.ndarray:
    """(n, 2) float32: decaying harmonic notes at random onsets, different per channel, over noise."""
    rng = np.random.default_rng(seed)
    y = 0.01 * rng.standard_normal((n, 2))
    length = sr // 2
    t = np.arange(length) / sr
    for onset in range(0, n, sr // 8):
        if rng.random() < 0.6:
            f0 = 440.0 * 2.0 ** ((rng.integers(36, 84) - 69) / 12)
            tone = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in range(1, 5) if f0 * k < sr / 2)
            note = rng.uniform(0.05, 0.3) * tone * np.exp(-t * rng.choice([3.0, 6.0, 12.0]))
            seg = min(length, n - onset)
            y[onset:onset + seg] += note[:seg, None] * rng.uniform(0.3, 1.0, 2)
    return (0.7 * y / np.abs(y).max()).astype(np.float32)


@pytest.fixture(scope="session")
def mp3_folder():
    """TRACKS seeded stereo MP3s at 44.1 kHz in a temporary folder (removed at the end)."""
    if SECONDS < CROP_S:
        pytest.skip(f"FASTTAG_BENCH_EXTRACT_SECONDS={SECONDS} is shorter than the {CROP_S} s crop")
    root = Path(tempfile.mkdtemp(prefix="fasttag-bench-mp3-"))
    n = int(SECONDS * SR_IN)
    for i in range(TRACKS):
        soundfile.write(root / f"track{i:03d}.mp3", stereo_music(n, SR_IN, seed=500 + i), SR_IN, format="MP3")
    yield root
    shutil.rmtree(root, ignore_errors=True)


def crop_window(path) -> tuple[int, int]:
    """(start, frames) of the centred crop in the file's own frames, as fasttag computes it."""
    info = soundfile.info(path)
    frames = int(round(CROP_S * info.samplerate))
    return max(0, (info.frames - frames) // 2), frames


def librosa_track(path: str, crop_only: bool) -> np.ndarray:
    import librosa

    n = int(round(CROP_S * SR))
    if crop_only:
        start, frames = crop_window(path)
        y, _ = librosa.load(path, sr=SR, offset=start / SR_IN, duration=frames / SR_IN)
    else:
        y, _ = librosa.load(path, sr=SR)
        start = max(0, (y.size - n) // 2)
        y = y[start:start + n]
    y = np.pad(y[:n], (0, max(0, n - y.size)))
    S = librosa.feature.melspectrogram(y=y, sr=SR, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS)
    return librosa.power_to_db(S, top_db=80.0)


def decode_window(path: str) -> int:
    start, frames = crop_window(path)
    with soundfile.SoundFile(path) as f:
        f.seek(start)
        return f.read(frames, dtype="float32").shape[0]


def files_of(folder) -> list[str]:
    return sorted(str(p) for p in Path(folder).glob("*.mp3"))


def check(stack: np.ndarray, reference: np.ndarray) -> None:
    assert stack.shape == reference.shape == (TRACKS, N_MELS, fasttag.frame_count(int(round(CROP_S * SR)),
                                                                                  n_fft=N_FFT, hop_length=HOP))
    assert np.median(np.abs(stack - reference)) < DB_MEDIAN_TOL


@pytest.fixture(scope="session")
def librosa_reference(mp3_folder):
    pytest.importorskip("librosa")
    return np.stack([librosa_track(p, crop_only=True) for p in files_of(mp3_folder)])


def _info(benchmark, workers: int) -> None:
    benchmark.extra_info.update(tracks=TRACKS, crop_seconds=TRACKS * CROP_S, track_seconds=TRACKS * SECONDS,
                                workers=workers, sr_in=SR_IN, channels=2)  # fmt: skip


@pytest.mark.benchmark(group="extract-mp3")
@pytest.mark.parametrize("workers", sorted({1, WORKERS}))
def test_fasttag_extract(benchmark, mp3_folder, librosa_reference, tmp_path, workers):
    stores = iter(range(10**6))

    def run():
        store = tmp_path / f"store{next(stores)}"
        summary = extract(mp3_folder, store, feature="logmel", sr=SR, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS,
                          duration=CROP_S, crop="center", workers=workers)  # fmt: skip
        return store, summary

    _info(benchmark, workers)
    # One warm-up round, as joblib's: the worker pool (a fork server that has imported fasttag) starts once.
    store, summary = benchmark.pedantic(run, rounds=3, iterations=1, warmup_rounds=1)
    assert summary.done == TRACKS and summary.failed == 0
    check(np.stack(list(FeatureStore(store))), librosa_reference)


@pytest.mark.benchmark(group="extract-mp3")
@pytest.mark.parametrize("crop_only", [False, True], ids=["whole-load", "crop-load"])
def test_librosa_joblib(benchmark, mp3_folder, librosa_reference, crop_only):
    joblib = pytest.importorskip("joblib")
    pytest.importorskip("librosa")
    cloudpickle = pytest.importorskip("cloudpickle")  # joblib's pickler (a requirement of joblib 1.6)
    files = files_of(mp3_folder)
    # pytest imports this file by path (--import-mode=importlib), under a name that joblib's workers cannot
    # import: librosa_track and what it calls go to them by value.
    cloudpickle.register_pickle_by_value(sys.modules[librosa_track.__module__])

    def run():
        tasks = (joblib.delayed(librosa_track)(p, crop_only) for p in files)
        return np.stack(joblib.Parallel(n_jobs=WORKERS)(tasks))

    _info(benchmark, WORKERS)
    check(benchmark.pedantic(run, rounds=3, iterations=1, warmup_rounds=1), librosa_reference)


@pytest.mark.benchmark(group="extract-mp3")
def test_decode_only_one_core(benchmark, mp3_folder):
    files = files_of(mp3_folder)
    _info(benchmark, 1)
    frames = benchmark.pedantic(lambda: [decode_window(p) for p in files], rounds=3, iterations=1, warmup_rounds=1)
    assert frames == [crop_window(p)[1] for p in files]


@pytest.mark.benchmark(group="extract-mp3-paired")
def test_per_core_paired(benchmark, mp3_folder, librosa_reference, tmp_path, paired_rounds):
    """fasttag[1] and decode-only-1 in paired rounds (conftest's ``paired_rounds``): the per-core ratio."""
    files = files_of(mp3_folder)
    stores = iter(range(10**6))

    def ours() -> Path:
        store = tmp_path / f"store{next(stores)}"
        summary = extract(mp3_folder, store, feature="logmel", sr=SR, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS,
                          duration=CROP_S, crop="center", workers=1)  # fmt: skip
        assert summary.done == TRACKS and summary.failed == 0
        return store

    _info(benchmark, 1)
    store, frames = paired_rounds(benchmark, ours, lambda: [decode_window(p) for p in files], PAIRED_ROUNDS)
    assert frames == [crop_window(p)[1] for p in files]
    check(np.stack(list(FeatureStore(store))), librosa_reference)
