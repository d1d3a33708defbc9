"""chroma_stft on the GPU (fasttag.cuda.chroma) against the CPU path, through ``device="cuda"``.

Runs where CUDA runs: in Numba's CUDA simulator on small inputs (``tests/test_cuda_sim.py``
launches this file that way in every plain test run) and on a GPU at a full clip's size.
Every output is poisoned with NaN before the kernels run.
"""

from __future__ import annotations

import numpy as np
import pytest

import fasttag
import fasttag.cuda as fc

pytestmark = pytest.mark.usefixtures("cuda_kernels")  # from conftest.py: skips without CUDA

SIM = fc.simulator()
# tiny in the simulator; on a GPU, librosa's defaults on 30 s clips
SIZE = dict(sr=8000, n_samples=3000, n_fft=256, hop=100) if SIM else \
    dict(sr=22050, n_samples=30 * 22050, n_fft=2048, hop=512)


def _kwargs(**changes):
    return dict(sr=SIZE["sr"], n_fft=SIZE["n_fft"], hop_length=SIZE["hop"], **changes)


@pytest.mark.parametrize("dtype, norm, tuning, center", [
    (np.float32, np.inf, 0.0, True),
    (np.float64, 2, 0.25, False),
    (np.float32, -np.inf, -0.1, True),
    (np.float64, 0, 0.0, True),
    (np.float32, 1.5, 0.0, True),
    (np.float64, None, 0.0, True),
])
def test_chroma_matches_cpu(music, tol, dtype, norm, tuning, center):
    y = music(SIZE["n_samples"], sr=SIZE["sr"], dtype=dtype, shape=(2,))
    kwargs = _kwargs(norm=norm, tuning=tuning, center=center)
    got = fasttag.chroma_stft(y, device="cuda", **kwargs)
    expected = fasttag.chroma_stft(y, **kwargs)
    assert isinstance(got, np.ndarray) and got.dtype == dtype
    tol.assert_close(got, expected, 4 * tol(dtype).spec, f"chroma_stft {dtype.__name__} {kwargs}")
    assert np.abs(got[0] - got[1]).max() > 0.1 * np.abs(got).max()  # the clips differ


def _detuned_clips(rng, cents):
    """One clip per detuning (cents from A440): six harmonic partials of random levels, and noise."""
    t = np.arange(SIZE["n_samples"]) / SIZE["sr"]
    clips = []
    for c in cents:
        partials = 440 * 2 ** (c / 1200) * np.array([0.5, 0.75, 1, 1.5, 2, 3])
        levels = rng.uniform(0.3, 1, (partials.size, 1))
        clips.append((levels * np.sin(2 * np.pi * partials[:, None] * t)).sum(0) + 0.01 * rng.standard_normal(t.size))
    return np.stack(clips)


def test_estimated_tunings_per_clip_from_audio_and_spectrogram(rng, tol):
    """tuning=None: each clip's own estimate (on the CPU), the clips that share one projected in
    one launch: a run of two equal estimates, then others."""
    from numba import cuda

    y = _detuned_clips(rng, [30, 30, -20, 10])
    y[1] = 0.5 * y[0]  # the same tuning as clip 0
    tunings = fasttag.estimate_tuning(y, sr=SIZE["sr"], n_fft=SIZE["n_fft"])
    assert tunings[0] == tunings[1] and len(np.unique(tunings)) >= 3
    kwargs = _kwargs(tuning=None)
    expected = fasttag.chroma_stft(y, **kwargs)
    tol.assert_close(fasttag.chroma_stft(y, device="cuda", **kwargs), expected, 4 * tol(np.float64).spec,
                     "chroma_stft(y, tuning=None)")
    on_gpu = fasttag.chroma_stft(cuda.to_device(y), device="cuda", **kwargs)
    assert fc.on_device(on_gpu)
    tol.assert_close(on_gpu.copy_to_host(), expected, 4 * tol(np.float64).spec, "chroma_stft(GPU y)")
    S = np.abs(fasttag.stft(y, n_fft=SIZE["n_fft"], hop_length=SIZE["hop"])) ** 2
    tol.assert_close(fasttag.chroma_stft(S=S, device="cuda", sr=SIZE["sr"], tuning=None),
                     fasttag.chroma_stft(S=S, sr=SIZE["sr"], tuning=None), 4 * tol(np.float64).spec,
                     "chroma_stft(S=..., tuning=None)")


def test_chroma_gpu_errors(rng):
    y = rng.standard_normal(SIZE["n_samples"]).astype(np.float32)
    with pytest.raises(fasttag.ParameterError, match="n_fft=1000 must be a power of two"):
        fasttag.chroma_stft(y, n_fft=1000, device="cuda")
    with pytest.raises(fasttag.ParameterError, match="norm=-1 must be None"):
        fasttag.chroma_stft(y, norm=-1, device="cuda")
    with pytest.raises(fasttag.ParameterError, match="exactly one of y"):
        fasttag.chroma_stft(y, S=np.ones((5, 3)), device="cuda")
    with pytest.raises(fasttag.ParameterError, match="1 frequency bin"):
        fasttag.chroma_stft(S=np.ones((1, 3)), device="cuda")
    with pytest.raises(fasttag.ParameterError, match="tuning=nan must be a finite number"):
        fasttag.chroma_stft(y, tuning=np.nan, device="cuda")
    for device in ("cpu", "cuda"):
        with pytest.raises(fasttag.ParameterError, match="n_chroma=-3 must be a positive integer"):
            fasttag.chroma_stft(y, n_chroma=-3, device=device)
