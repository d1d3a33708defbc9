"""CPU-vs-GPU throughput on the Choi setting (12 kHz, n_fft 512, hop 256, 96 mels, 29.12 s
clips; ``--choi-clips`` of them) and for the bag-of-frames codebook assignment (K = 1024).

Skipped without a CUDA GPU (the simulator is not a GPU: it is skipped there too).

Peers in each group compute the same thing on the same data:

- ``fasttag-cuda``: fasttag's fused kernel on audio already on the GPU (a Numba device
  array); the result stays on the GPU; timed to the end of the kernels (synchronised);
- ``fasttag-cuda-host``: the same from host numpy to host numpy (the copies included);
- ``torch-cuda``: ``fasttag.torch_transforms.LogMel`` (torch.stft = cuFFT, power, matmul,
  dB) on a CUDA tensor on the same GPU;
- ``fasttag-cpu``: fasttag's C++ path with all CPU threads.

Every timed output is checked against fasttag's CPU result (the CPU path is itself tested
against librosa). Setup and compilation (one warm-up call) stay outside the timings.
"""

from __future__ import annotations

import numpy as np
import pytest

import fasttag
import fasttag.cuda as fc

pytestmark = pytest.mark.skipif(not fc.is_available() or fc.simulator(), reason="needs a CUDA GPU")

SR, N_FFT, HOP, N_MELS, SECONDS = 12000, 512, 256, 96, 29.12
KW = dict(sr=SR, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS)
DB_TOL = 2e-3  # dB, above peak - 80 dB


@pytest.fixture(scope="module")
def choi(music, choi_clips):
    y = np.ascontiguousarray(music(choi_clips, SECONDS, SR, 12))
    return y, fasttag.logmel(y, workers=-1, **KW)


def _check(got, expected):
    got = np.asarray(got)
    assert got.shape == expected.shape
    mask = expected > expected.max(axis=(-2, -1), keepdims=True) - 80
    assert np.max(np.abs(got - expected)[mask]) <= DB_TOL


def _numba_sync():
    from numba import cuda

    cuda.synchronize()


@pytest.mark.parametrize("peer", ["fasttag-cuda", "fasttag-cuda-host", "torch-cuda", "fasttag-cpu"])
@pytest.mark.benchmark(group="choi-logmel-gpu", min_rounds=5, max_time=1.0)
def test_choi_logmel(benchmark, choi, peer):
    y, expected = choi
    if peer == "fasttag-cuda":
        from numba import cuda

        y_gpu = cuda.to_device(y)

        def run():
            out = fasttag.logmel(y_gpu, device="cuda", **KW)
            _numba_sync()
            return out

        run()
        _check(benchmark(run).copy_to_host(), expected)
    elif peer == "fasttag-cuda-host":
        fasttag.logmel(y[:1], device="cuda", **KW)
        _check(benchmark(fasttag.logmel, y, device="cuda", **KW), expected)
    elif peer == "torch-cuda":
        torch = pytest.importorskip("torch")
        if not torch.cuda.is_available():
            pytest.skip("torch has no CUDA device")
        from fasttag.torch_transforms import LogMel

        module = LogMel(**KW).cuda()
        y_gpu = torch.from_numpy(y).cuda()

        def run():
            with torch.no_grad():
                out = module(y_gpu)
            torch.cuda.synchronize()
            return out

        run()
        _check(benchmark(run).cpu().numpy(), expected)
    else:
        _check(benchmark(fasttag.logmel, y, workers=-1, **KW), expected)
    benchmark.extra_info["audio_seconds"] = y.shape[0] * y.shape[1] / SR


@pytest.fixture(scope="module")
def codebook():
    rng = np.random.default_rng(7)
    X = rng.standard_normal((100_000, 90)).astype(np.float32)
    centers = rng.standard_normal((1024, 90)).astype(np.float32)
    km = fasttag.KMeans(1024, workers=-1)
    km.cluster_centers_, km.n_features_in_ = centers, 90
    return X, centers, km.predict(X)


@pytest.mark.parametrize("peer", ["fasttag-cuda", "torch-cuda", "fasttag-cpu"])
@pytest.mark.benchmark(group="kmeans-assign-gpu", min_rounds=3, max_time=1.0)
def test_kmeans_assignment(benchmark, codebook, peer):
    X, centers, expected = codebook
    if peer == "fasttag-cuda":
        from numba import cuda

        X_gpu, c_gpu = cuda.to_device(X), cuda.to_device(centers)

        def run():
            labels, _ = fc.nearest(X_gpu, c_gpu)
            _numba_sync()
            return labels

        run()
        labels = benchmark(run).copy_to_host()
    elif peer == "torch-cuda":
        torch = pytest.importorskip("torch")
        if not torch.cuda.is_available():
            pytest.skip("torch has no CUDA device")
        X_gpu, c_gpu = torch.from_numpy(X).cuda(), torch.from_numpy(centers).cuda()

        def run():
            d = (c_gpu * c_gpu).sum(1) - 2 * X_gpu @ c_gpu.T
            out = d.argmin(1)
            torch.cuda.synchronize()
            return out

        run()
        labels = benchmark(run).cpu().numpy()
    else:
        km = fasttag.KMeans(1024, workers=-1)
        km.cluster_centers_, km.n_features_in_ = centers, 90
        labels = benchmark(km.predict, X)
    assert np.mean(labels == expected) > 0.999
