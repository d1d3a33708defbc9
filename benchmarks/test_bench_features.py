"""Feature pipeline suite: log-mel (and MFCC) of whole clips, fasttag against its peers.

Two settings, each on seeded music-like audio generated once (conftest ``music``):

- ``choi``: Choi et al.'s tagger input, 64 clips x 29.12 s at 12 kHz, n_fft 512, hop 256,
  96 mels, log-mel (``--choi-clips`` changes the clip count);
- ``librosa-default``: one 600 s track at 22.05 kHz, n_fft 2048, hop 512, 128 mels: log-mel
  and 20 MFCCs.

Peers in each group compute the same thing on the same array: fasttag (workers 1 and 2),
librosa (``power_to_db(melspectrogram)`` per clip, BLAS held to one thread), torch per clip
(``torch.stft`` + power + matmul with librosa's mel basis + ``10 log10`` with the clamp and
``top_db``, at 1 and 2 intra-op threads), nnAudio per clip (its ``MelSpectrogram`` module, whose
STFT is a convolution with the DFT's rows, then the same dB; 1 thread), and a numpy + pyFFTW
pipeline (strided framing, window, FFTW_MEASURE rfft in cache-sized blocks, power, BLAS mel,
log). Every timed output is checked against librosa's on the same data. RESULTS.md turns
medians into x realtime (seconds of audio per second) and into ratios to fasttag on one thread.

The ``<setting>-fft-floor`` groups time FFTW's rfft alone on 256 windowed frames of the Choi
audio and of the librosa-default track (a cache-resident batch); scaled by the number of frames
in the setting it is the compute floor that the issue's target compares the whole log-mel
pipeline with (Choi), and a floor under any chroma or tempogram of that track (librosa-default).
"""

from __future__ import annotations

import contextlib
import dataclasses
import math

import numpy as np
import pytest

import fasttag

DB_TOL = 1e-3  # max |dB - librosa's dB| where librosa's value is above FLOOR_DB
FLOOR_DB = -80.0  # below this, float32 round-off of tiny powers dominates: not compared
MFCC_TOL_PER_DB = 1.0  # MFCC tolerance = sqrt(n_mels) * DB_TOL (an orthonormal DCT row has norm 1)
AMIN = 1e-10
TOP_DB = 80.0


@dataclasses.dataclass(frozen=True)
class Setting:
    name: str
    seconds: float  # per clip
    sr: int
    n_fft: int
    hop_length: int
    n_mels: int
    seed: int

    @property
    def kwargs(self) -> dict:
        return {"sr": self.sr, "n_fft": self.n_fft, "hop_length": self.hop_length, "n_mels": self.n_mels}

    def n_frames(self, n_samples: int) -> int:
        return fasttag.frame_count(n_samples, n_fft=self.n_fft, hop_length=self.hop_length, center=True)


CHOI = Setting("choi", 29.12, 12000, 512, 256, 96, seed=12)
DEFAULT = Setting("librosa-default", 600.0, 22050, 2048, 512, 128, seed=22)
N_MFCC = 20

PEERS = ("fasttag-w1", "fasttag-w2", "librosa", "torch-t1", "torch-t2", "nnaudio-t1", "numpy-pyfftw")


# ---------------------------------------------------------------------------------------------
# Data and references (session-scoped: computed once, outside every timing)


@dataclasses.dataclass
class Data:
    setting: Setting
    y: np.ndarray  # (n_clips, n_samples) float32, read-only
    ref_db: np.ndarray  # (n_clips, n_mels, n_frames): librosa's power_to_db(melspectrogram) per clip

    @property
    def audio_seconds(self) -> float:
        return self.y.shape[0] * self.y.shape[1] / self.setting.sr


def librosa_logmel(y: np.ndarray, s: Setting) -> np.ndarray:
    """librosa, clip by clip (its top_db is taken per call, fasttag's per clip)."""
    librosa = pytest.importorskip("librosa")
    return np.stack([librosa.power_to_db(librosa.feature.melspectrogram(y=clip, **s.kwargs), ref=1.0, amin=AMIN,
                                         top_db=TOP_DB) for clip in y])


@pytest.fixture(scope="session")
def choi(music, choi_clips) -> Data:
    y = music(choi_clips, CHOI.seconds, CHOI.sr, CHOI.seed)
    with blas_threads(1):
        return Data(CHOI, y, librosa_logmel(y, CHOI))


@pytest.fixture(scope="session")
def default(music) -> Data:
    y = music(1, DEFAULT.seconds, DEFAULT.sr, DEFAULT.seed)
    with blas_threads(1):
        return Data(DEFAULT, y, librosa_logmel(y, DEFAULT))


@pytest.fixture(scope="session")
def default_mfcc_ref(default) -> np.ndarray:
    librosa = pytest.importorskip("librosa")
    with blas_threads(1):
        return np.stack([librosa.feature.mfcc(y=clip, n_mfcc=N_MFCC, **default.setting.kwargs) for clip in default.y])


def dct_basis(n_mfcc: int, n_mels: int) -> np.ndarray:
    """(n_mfcc, n_mels) orthonormal DCT-II, librosa's ``scipy.fft.dct(S, axis=-2, norm="ortho")[:n_mfcc]``."""
    import scipy.fft

    return scipy.fft.dct(np.eye(n_mels), axis=0, norm="ortho")[:n_mfcc].astype(np.float32)


# ---------------------------------------------------------------------------------------------
# Thread control for the peers (set before the timing, restored after)


@contextlib.contextmanager
def blas_threads(n: int):
    """numpy's BLAS held to n threads (librosa's mel projection is an einsum through BLAS)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        yield
        return
    with threadpool_limits(limits=n, user_api="blas"):
        yield


@contextlib.contextmanager
def torch_threads(n: int):
    torch = pytest.importorskip("torch")
    previous = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def peer_threads(peer: str):
    if peer.startswith(("torch-t", "nnaudio-t")):
        return torch_threads(int(peer.rsplit("-t", 1)[1]))
    if peer in ("librosa", "numpy-pyfftw"):
        return blas_threads(1)
    return contextlib.nullcontext()


# ---------------------------------------------------------------------------------------------
# The peers: each returns a zero-argument callable giving (n_clips, n_out, n_frames) float32


class TorchLogmel:
    """torch.stft -> |.|^2 -> librosa's mel basis (matmul) -> 10 log10(clamp) -> top_db, clip by clip.

    Clip by clip because it is the faster way for torch here: one stft of all 64 Choi clips
    makes ~0.5 GB of intermediates and ran 2.7x slower than the loop (1 thread, this machine).
    """

    def __init__(self, data: Data, dct: np.ndarray | None = None):
        self.torch = torch = pytest.importorskip("torch")
        librosa = pytest.importorskip("librosa")
        s = data.setting
        self.s = s
        self.y = torch.from_numpy(np.array(data.y))  # a writable copy: torch warns on read-only arrays
        self.window = torch.hann_window(s.n_fft, periodic=True, dtype=torch.float32)
        self.basis = torch.from_numpy(librosa.filters.mel(sr=s.sr, n_fft=s.n_fft, n_mels=s.n_mels))
        self.dct = None if dct is None else torch.from_numpy(dct)
        n_out = s.n_mels if dct is None else dct.shape[0]
        self.shape = (data.y.shape[0], n_out, s.n_frames(data.y.shape[-1]))

    def mel_power(self, y):
        """(n_mels, n_frames) mel power spectrogram of one clip."""
        torch, s = self.torch, self.s
        spec = torch.stft(y, s.n_fft, s.hop_length, window=self.window, center=True, pad_mode="constant",
                          return_complex=True)
        return self.basis @ (spec.real.square() + spec.imag.square())

    def clip(self, y):
        torch = self.torch
        db = 10.0 * torch.log10(torch.clamp(self.mel_power(y), min=AMIN))
        db = torch.maximum(db, db.max() - TOP_DB)
        return db if self.dct is None else self.dct @ db

    def __call__(self) -> np.ndarray:
        out = np.empty(self.shape, dtype=np.float32)
        with self.torch.inference_mode():
            for c in range(self.shape[0]):
                out[c] = self.clip(self.y[c]).numpy()
        return out


class NnAudioLogmel(TorchLogmel):
    """nnAudio's MelSpectrogram (its STFT a conv1d with the windowed DFT's rows, librosa's mel
    basis), then the same dB as TorchLogmel, clip by clip."""

    def __init__(self, data: Data, dct: np.ndarray | None = None):
        super().__init__(data, dct)
        features = pytest.importorskip("nnAudio.features")
        s = data.setting
        self.module = features.MelSpectrogram(sr=s.sr, n_fft=s.n_fft, hop_length=s.hop_length, n_mels=s.n_mels,
                                              center=True, pad_mode="constant", verbose=False)

    def mel_power(self, y):
        return self.module(y)[0]


class FftwLogmel:
    """numpy framing + FFTW (pyFFTW, FFTW_MEASURE, 1 thread) in blocks of frames + BLAS mel + log."""

    BLOCK = 256  # frames per FFTW call: a few hundred KiB, L2-resident

    def __init__(self, data: Data, dct: np.ndarray | None = None):
        pyfftw = pytest.importorskip("pyfftw")
        librosa = pytest.importorskip("librosa")
        s = data.setting
        self.s, self.y, self.dct = s, data.y, dct
        self.n_frames = s.n_frames(data.y.shape[-1])
        self.window = librosa.filters.get_window("hann", s.n_fft, fftbins=True).astype(np.float32)
        self.basis_t = np.ascontiguousarray(librosa.filters.mel(sr=s.sr, n_fft=s.n_fft, n_mels=s.n_mels).T)
        bins = s.n_fft // 2 + 1
        self.plans = {}
        for rows in {min(self.BLOCK, self.n_frames), self.n_frames % self.BLOCK or self.BLOCK}:
            src = pyfftw.empty_aligned((rows, s.n_fft), dtype=np.float32)
            dst = pyfftw.empty_aligned((rows, bins), dtype=np.complex64)
            self.plans[rows] = pyfftw.FFTW(src, dst, axes=(-1,), flags=("FFTW_MEASURE",), threads=1)
        self.power = np.empty((self.BLOCK, bins), dtype=np.float32)
        self.scratch = np.empty((self.BLOCK, bins), dtype=np.float32)

    def __call__(self) -> np.ndarray:
        s, pad = self.s, self.s.n_fft // 2
        n_out = s.n_mels if self.dct is None else self.dct.shape[0]
        out = np.empty((self.y.shape[0], n_out, self.n_frames), dtype=np.float32)
        mel = np.empty((self.n_frames, s.n_mels), dtype=np.float32)
        for c, clip in enumerate(self.y):
            frames = np.lib.stride_tricks.sliding_window_view(np.pad(clip, pad), s.n_fft)[::s.hop_length]
            for start in range(0, self.n_frames, self.BLOCK):
                rows = min(self.BLOCK, self.n_frames - start)
                plan = self.plans[rows]
                np.multiply(frames[start:start + rows], self.window, out=plan.input_array)
                spec = plan()
                power, scratch = self.power[:rows], self.scratch[:rows]
                np.multiply(spec.real, spec.real, out=power)
                np.multiply(spec.imag, spec.imag, out=scratch)
                power += scratch
                np.matmul(power, self.basis_t, out=mel[start:start + rows])
            np.maximum(mel, AMIN, out=mel)
            np.log10(mel, out=mel)
            mel *= 10.0
            np.maximum(mel, mel.max() - TOP_DB, out=mel)
            out[c] = mel.T if self.dct is None else self.dct @ mel.T
        return out


def make_peer(peer: str, data: Data, *, mfcc: bool = False):
    s, y = data.setting, data.y
    if peer.startswith("fasttag-w"):
        workers = int(peer.removeprefix("fasttag-w"))
        if mfcc:
            return lambda: fasttag.mfcc(y, n_mfcc=N_MFCC, workers=workers, **s.kwargs)
        return lambda: fasttag.logmel(y, workers=workers, **s.kwargs)
    dct = dct_basis(N_MFCC, s.n_mels) if mfcc else None
    if peer == "librosa":
        librosa = pytest.importorskip("librosa")
        if mfcc:
            return lambda: np.stack([librosa.feature.mfcc(y=clip, n_mfcc=N_MFCC, **s.kwargs) for clip in y])
        return lambda: librosa_logmel(y, s)
    if peer.startswith("torch-t"):
        return TorchLogmel(data, dct)
    if peer.startswith("nnaudio-t"):
        return NnAudioLogmel(data, dct)
    if peer == "numpy-pyfftw":
        return FftwLogmel(data, dct)
    raise ValueError(f"unknown peer {peer!r}")


# ---------------------------------------------------------------------------------------------
# Checks


def max_error(out: np.ndarray, ref: np.ndarray, mask: np.ndarray) -> float:
    """max |out - ref| over the entries where mask holds."""
    assert out.shape == ref.shape, f"shape {out.shape} != librosa's {ref.shape}"
    assert np.isfinite(out).all()
    return float(np.max(np.abs(out.astype(np.float64) - ref)[np.broadcast_to(mask, ref.shape)]))


def record(benchmark, peer: str, data: Data, out: np.ndarray, ref: np.ndarray, tol: float, what: str) -> None:
    """Check out against librosa's ref and put the error and the audio length in extra_info.

    Compared: log-mel entries where librosa's dB is above FLOOR_DB; MFCC frames whose whole
    librosa log-mel column is above FLOOR_DB.
    """
    above = data.ref_db > FLOOR_DB
    mask = above if what == "logmel" else above.all(axis=-2, keepdims=True)
    compared = float(mask.mean())
    err = max_error(out, ref, mask)
    benchmark.extra_info.update(kind="feature", setting=data.setting.name, feature=what, peer=peer,
                                clips=data.y.shape[0], audio_seconds=data.audio_seconds,
                                n_frames=int(ref.shape[-1]) * data.y.shape[0], max_err=err, tol=tol,
                                compared=compared)
    assert compared > 0.99, f"only {compared:.1%} of librosa's values are above {FLOOR_DB} dB"
    assert err <= tol, f"{peer} {what} ({data.setting.name}): max |error| {err:.3g} > {tol} vs librosa"


# ---------------------------------------------------------------------------------------------
# Benchmarks


@pytest.mark.parametrize("peer", PEERS)
@pytest.mark.benchmark(group="choi-logmel", min_rounds=5, max_time=1.0)
def test_choi_logmel(benchmark, choi, peer):
    fn = make_peer(peer, choi)
    with peer_threads(peer):
        out = benchmark(fn)
    record(benchmark, peer, choi, out, choi.ref_db, DB_TOL, "logmel")


@pytest.mark.parametrize("peer", PEERS)
@pytest.mark.benchmark(group="librosa-default-logmel", min_rounds=5, max_time=1.0)
def test_default_logmel(benchmark, default, peer):
    fn = make_peer(peer, default)
    with peer_threads(peer):
        out = benchmark(fn)
    record(benchmark, peer, default, out, default.ref_db, DB_TOL, "logmel")


@pytest.mark.parametrize("peer", PEERS)
@pytest.mark.benchmark(group="librosa-default-mfcc", min_rounds=5, max_time=1.0)
def test_default_mfcc(benchmark, default, default_mfcc_ref, peer):
    fn = make_peer(peer, default, mfcc=True)
    with peer_threads(peer):
        out = benchmark(fn)
    tol = MFCC_TOL_PER_DB * math.sqrt(default.setting.n_mels) * DB_TOL
    record(benchmark, peer, default, out, default_mfcc_ref, tol, "mfcc")


FLOOR_ROWS = 256  # frames per call: 256 x 512 float32 in, 256 x 257 complex64 out (~1 MiB together)


@pytest.mark.parametrize("backend", ["pyfftw", "fasttag"])
@pytest.mark.parametrize("setting", ["choi", "default"])
@pytest.mark.benchmark(min_rounds=5, max_time=0.5)
def test_fft_floor(benchmark, request, setting, backend):
    """rfft alone of FLOOR_ROWS windowed frames of ``setting``; x (frames in the setting / FLOOR_ROWS) = the floor."""
    data = request.getfixturevalue(setting)
    s = data.setting
    benchmark.group = f"{s.name}-fft-floor"
    clip = data.y[0]
    frames = np.lib.stride_tricks.sliding_window_view(np.pad(clip, s.n_fft // 2), s.n_fft)[::s.hop_length]
    window = fasttag.filters.get_window("hann", s.n_fft, n_fft=s.n_fft, dtype=np.float32)
    x = np.ascontiguousarray(frames[:FLOOR_ROWS] * window)
    if backend == "pyfftw":
        pyfftw = pytest.importorskip("pyfftw")
        src = pyfftw.empty_aligned(x.shape, dtype=np.float32)
        dst = pyfftw.empty_aligned((FLOOR_ROWS, s.n_fft // 2 + 1), dtype=np.complex64)
        fn = pyfftw.FFTW(src, dst, axes=(-1,), flags=("FFTW_MEASURE",), threads=1)
        src[:] = x
    else:
        fn = lambda: fasttag.rfft(x, workers=1)  # noqa: E731
    out = benchmark(fn)
    ref = np.fft.rfft(x.astype(np.float64), axis=-1)
    err = float(np.max(np.linalg.norm(out - ref, axis=-1) / np.linalg.norm(ref, axis=-1)))
    total_frames = data.y.shape[0] * s.n_frames(clip.shape[-1])
    benchmark.extra_info.update(kind="floor", setting=s.name, backend=backend, rows=FLOOR_ROWS, n=s.n_fft,
                                total_frames=total_frames, audio_seconds=data.audio_seconds, rel_err=err)
    assert err <= 1e-5, f"{backend} rfft of the {s.name} frames: relative error {err:.3g}"
