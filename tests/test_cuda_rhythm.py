"""onset_strength and tempogram on the GPU (fasttag.cuda.rhythm) against the CPU path, through
``device="cuda"``.

Runs where CUDA runs: in Numba's CUDA simulator on small inputs (``tests/test_cuda_sim.py``
launches this file that way in every plain test run) and on a GPU at librosa's defaults on
30 s clips. Every output is poisoned with NaN before the kernels run.
"""

from __future__ import annotations

import numpy as np
import pytest

import fasttag
import fasttag.cuda as fc

pytestmark = pytest.mark.usefixtures("cuda_kernels")  # from conftest.py: skips without CUDA

SIM = fc.simulator()
SIZE = dict(sr=8000, n_samples=4000, n_fft=256, hop=64, n_mels=16, win=16) if SIM else \
    dict(sr=22050, n_samples=30 * 22050, n_fft=2048, hop=512, n_mels=128, win=384)


def to_host(x):
    return x if isinstance(x, np.ndarray) else x.copy_to_host()


def _onset_kwargs(**changes):
    return dict(sr=SIZE["sr"], n_fft=SIZE["n_fft"], hop_length=SIZE["hop"], n_mels=SIZE["n_mels"], **changes)


@pytest.mark.parametrize("dtype, changes", [
    (np.float32, {}),
    (np.float64, dict(lag=2, max_size=3)),
    (np.float32, dict(detrend=True, center=False)),
    (np.float64, dict(max_size=2 * SIZE["n_mels"] + 3)),  # the band filter reflects more than once
    (np.float64, dict(detrend=True, lag=3)),
])
def test_onset_strength_matches_cpu(music, tol, dtype, changes):
    y = music(SIZE["n_samples"], sr=SIZE["sr"], dtype=dtype, shape=(2,))
    kwargs = _onset_kwargs(**changes)
    got = fasttag.onset_strength(y, device="cuda", **kwargs)
    expected = fasttag.onset_strength(y, **kwargs)
    assert isinstance(got, np.ndarray) and got.dtype == dtype and got.shape == expected.shape
    tol.assert_close(got, expected, 4 * tol(dtype).spec, f"onset_strength {dtype.__name__} {changes}")
    assert np.abs(got[0] - got[1]).max() > 0.1 * np.abs(got).max()  # the clips differ


def test_onset_strength_from_spectrograms_and_references(rng, tol):
    from numba import cuda

    S = rng.standard_normal((2, 3, 9, 40)).cumsum(axis=-1)
    ref = S + rng.standard_normal(S.shape)
    for kwargs in (dict(S=S[0, 0]), dict(S=S, max_size=4), dict(S=S, ref=ref, lag=3),
                   dict(S=S.astype(np.float32), ref=ref)):  # float32 - float64: float64, as on the CPU
        got, expected = fasttag.onset_strength(device="cuda", **kwargs), fasttag.onset_strength(**kwargs)
        assert got.dtype == expected.dtype
        tol.assert_close(got, expected, tol(np.float64).spec, f"onset_strength {sorted(kwargs)}")
    on_gpu = fasttag.onset_strength(S=cuda.to_device(S), ref=cuda.to_device(ref), device="cuda")
    assert fc.on_device(on_gpu)
    tol.assert_close(on_gpu.copy_to_host(), fasttag.onset_strength(S=S, ref=ref), tol(np.float64).spec,
                     "onset_strength of GPU arrays")


@pytest.mark.parametrize("s_on_gpu", [True, False])
def test_onset_strength_mixes_gpu_and_host_arrays(rng, tol, s_on_gpu):
    """One of S and ref on the GPU, the other a numpy array: the host one is validated on the host and
    copied beside the other (a numpy ref beside a GPU S went to numba's as_cuda_array, an AttributeError)."""
    from numba import cuda

    S = rng.standard_normal((2, 9, 30)).cumsum(axis=-1)
    ref = S + rng.standard_normal(S.shape)
    got = fasttag.onset_strength(S=cuda.to_device(S) if s_on_gpu else S, ref=ref if s_on_gpu else cuda.to_device(ref),
                                 device="cuda")
    assert fc.on_device(got) == s_on_gpu  # the result lives where S does
    tol.assert_close(to_host(got), fasttag.onset_strength(S=S, ref=ref), tol(np.float64).spec, "onset_strength")
    with pytest.raises(fasttag.ParameterError, match="ref contains NaN"):
        fasttag.onset_strength(S=cuda.to_device(S), ref=np.where(S > 0, np.nan, S), device="cuda")


@pytest.mark.parametrize("dtype, changes", [
    (np.float32, {}),
    (np.float64, dict(center=False, norm=2)),
    (np.float32, dict(norm=None, window="hamming")),
    (np.float64, dict(norm=1.5)),
])
def test_tempogram_matches_cpu(rng, tol, dtype, changes):
    env = np.abs(rng.standard_normal((2, 5 * SIZE["win"]))).astype(dtype)
    kwargs = dict(win_length=SIZE["win"], **changes)
    got = fasttag.tempogram(onset_envelope=env, device="cuda", **kwargs)
    expected = fasttag.tempogram(onset_envelope=env, **kwargs)
    assert isinstance(got, np.ndarray) and got.dtype == dtype and got.shape == expected.shape
    tol.assert_close(got, expected, 4 * tol(dtype).spec, f"tempogram {dtype.__name__} {changes}")


def test_tempogram_from_audio_stays_on_the_gpu(music, tol):
    from numba import cuda

    y = music(SIZE["n_samples"], sr=SIZE["sr"], shape=(2,))
    kwargs = dict(sr=SIZE["sr"], hop_length=SIZE["hop"], win_length=SIZE["win"] - 1)  # odd: pads differ by one
    got = fasttag.tempogram(cuda.to_device(y), device="cuda", **kwargs)
    assert fc.on_device(got)
    tol.assert_close(got.copy_to_host(), fasttag.tempogram(y, **kwargs), 4 * tol(np.float32).spec, "tempogram(y)")


def test_rhythm_gpu_errors(rng):
    y = rng.standard_normal(SIZE["n_samples"]).astype(np.float32)
    S = rng.standard_normal((4, 30))
    with pytest.raises(fasttag.ParameterError, match="aggregate=.* cannot run on device='cuda'"):
        fasttag.onset_strength(S=S, aggregate=np.median, device="cuda")
    got = fasttag.onset_strength(S=S, lag=30, device="cuda")  # no frame has a predecessor 30 back: zeros,
    np.testing.assert_array_equal(got, fasttag.onset_strength(S=S, lag=30))  # as librosa (it was an error)
    assert got.shape == (30,) and not got.any()
    got = fasttag.onset_strength(S=S, lag=33, center=False, device="cuda")  # was (30,): the CPU's and librosa's
    np.testing.assert_array_equal(got, fasttag.onset_strength(S=S, lag=33, center=False))  # lag columns
    assert got.shape == (33,) and not got.any()
    with pytest.raises(fasttag.ParameterError, match="ref has shape"):
        fasttag.onset_strength(S=S, ref=S[:, :5], device="cuda")
    with pytest.raises(fasttag.ParameterError, match=r"\['n_mels'\] only apply to y"):
        fasttag.onset_strength(S=S, n_mels=4, device="cuda")
    with pytest.raises(fasttag.ParameterError, match="fewer than win_length=384"):
        fasttag.tempogram(onset_envelope=np.ones(100), center=False, device="cuda")
    with pytest.raises(fasttag.ParameterError, match="exactly one of y"):
        fasttag.tempogram(y, onset_envelope=np.ones(100), device="cuda")
    with pytest.raises(fasttag.ParameterError, match="device='gpu' must be 'cpu' or 'cuda'"):
        fasttag.tempogram(y, device="gpu")
