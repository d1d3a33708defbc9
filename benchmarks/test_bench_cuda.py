"""CPU-vs-GPU throughput (issue 6), skipped without a CUDA GPU (the simulator is not one).

Groups (rendered by benchmarks/report_cuda.py):

- ``gpu-ceilings``: the two rates the floors divide by, measured on this GPU: a device-to-device
  copy of 1 GiB (bytes read + written / time) and a float32 8192^3 matrix product through
  torch with TF32 off (2 n^3 / time; CUDA cores, where the FFT and the mel sums run).
- ``choi-logmel-gpu`` and ``choi-mfcc-gpu``: Choi's setting (``--choi-clips`` clips of 29.12 s
  at 12 kHz, n_fft 512, hop 256, 96 mels; log-mel, or 30 MFCCs with their first and second
  deltas). Peers: ``fasttag-cuda`` (audio already on the GPU, result left there), ``torch-cuda``
  (torch.stft + matmul on the same GPU: cuFFT + cuBLAS), ``fasttag-cpu-w2`` and
  ``fasttag-cpu-all`` (the C++ path with 2 and all threads); for log-mel also ``nnaudio-cuda``
  (nnAudio's MelSpectrogram, whose STFT is a cuDNN convolution with the DFT's rows, then the
  dB, in float32: TF32 off), the transfers alone (``copy-in`` of the audio, ``copy-out`` of
  the result) and ``fasttag-cuda-host`` (numpy in, numpy out: both copies included).
- ``chroma-gpu`` and ``tempogram-gpu``: librosa's defaults (22.05 kHz, n_fft 2048, hop 512; 12
  chroma bins, or 128 mels for the onset strength and 384 lags) on ``--choi-clips`` / 4 clips
  of 30 s. Peers: ``fasttag-cuda`` (audio on the GPU, result left there), ``fasttag-cpu-w2``;
  for chroma also ``torch-cuda`` (torch.stft, then the filterbank product and the per-frame
  maximum on the same GPU).
- ``kmeans-assign-gpu``: ``--gpu-kmeans-rows`` rows (default 1,000,000) x 90 float32 to K = 1024.
  Peers: ``fasttag-cuda``; ``torch-gemm``, the cuBLAS product X C^T of the same shape (the
  yardstick of the issue's goal); ``torch-assign`` (that product, then the argmin);
  ``fasttag-cpu-w2``.

Every GPU peer is synchronised before its clock stops. Every timed output is checked, against
fasttag's CPU result (itself tested against librosa) or float64 products; near-tied centroids
are accepted by distance. extra_info holds what the report divides: seconds of audio, the bytes
each computation must move at least (inputs read once, outputs written once) and its FLOP.
"""

from __future__ import annotations

import contextlib

import numpy as np
import pytest
import scipy.signal

import fasttag
import fasttag.cuda as fc
from fasttag import filters

pytestmark = pytest.mark.skipif(not fc.is_available() or fc.simulator(), reason="needs a CUDA GPU")

SR, N_FFT, HOP, N_MELS, N_MFCC, SECONDS = 12000, 512, 256, 96, 30, 29.12
KW = dict(sr=SR, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS)
DB_TOL = 2e-3  # dB, above each clip's peak - 80 dB
AMIN, TOP_DB = 1e-10, 80.0  # logmel's defaults, for the nnAudio peer
CEPSTRUM_RTOL = 2e-4  # max |error| / max |reference| for MFCCs and deltas
K, D = 1024, 90
DELTA_WIDTH = 9


def _sync():
    from numba import cuda

    cuda.synchronize()


def _torch_cuda():
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("torch has no CUDA device")
    return torch


@contextlib.contextmanager
def _float32_products(torch):
    """torch's float32 matrix products and convolutions in float32 on the CUDA cores (TF32 off),
    restored after."""
    matmul, cudnn = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = matmul, cudnn


def _gpu_name() -> str:
    from numba import cuda

    name = getattr(cuda.get_current_device(), "name", "Numba's CUDA simulator")
    return name.decode() if isinstance(name, bytes) else str(name)


# ----------------------------------------------------------------------------- ceilings


@pytest.mark.parametrize("peer", ["copy", "sgemm"])
@pytest.mark.benchmark(group="gpu-ceilings", min_rounds=10, max_time=0.5)
def test_ceilings(benchmark, peer):
    benchmark.extra_info["gpu"] = _gpu_name()
    if peer == "copy":
        from numba import cuda

        src = cuda.to_device(np.random.default_rng(3).random(1 << 28, dtype=np.float32))  # 1 GiB
        dst = cuda.device_array_like(src)

        def run():
            dst.copy_to_device(src)
            _sync()

        run()
        benchmark(run)
        picks = np.random.default_rng(4).integers(0, src.size, 4096)
        assert np.array_equal(dst.copy_to_host()[picks], src.copy_to_host()[picks])
        benchmark.extra_info["bytes"] = 2 * src.nbytes
        return
    torch = _torch_cuda()
    n = 8192
    with _float32_products(torch):  # the CUDA cores, where the FFT runs
        generator = torch.Generator(device="cuda").manual_seed(5)
        a = torch.randn(n, n, device="cuda", generator=generator)
        b = torch.randn(n, n, device="cuda", generator=generator)

        def run():
            out = a @ b
            torch.cuda.synchronize()
            return out

        run()
        out = benchmark(run)
    rows = a[:8].double() @ b.double()
    assert torch.linalg.norm(out[:8].double() - rows) <= 1e-5 * torch.linalg.norm(rows)
    benchmark.extra_info["flops"] = 2 * n**3


# ----------------------------------------------------------------------------- Choi log-mel and MFCC


def _logmel_flops(frames: int, basis=None) -> float:
    """FLOP of one log-mel frame x frames: a real FFT of n_fft (2.5 N log2 N), the power
    (3 per bin), the sums (2 per nonzero weight of the basis, Choi's mel one by default) and
    one per band (the dB, or the normalisation)."""
    basis = filters.mel(sr=SR, n_fft=N_FFT, n_mels=N_MELS) if basis is None else basis
    n_fft = 2 * (basis.shape[1] - 1)
    per_frame = 2.5 * n_fft * np.log2(n_fft) + 3 * (n_fft // 2 + 1) + 2 * np.count_nonzero(basis) + basis.shape[0]
    return frames * per_frame


@pytest.fixture(scope="module")
def choi(music, choi_clips):
    """(audio (clips, samples) float32, fasttag's CPU log-mel of it)."""
    y = np.ascontiguousarray(music(choi_clips, SECONDS, SR, 12))
    return y, fasttag.logmel(y, workers=-1, **KW)


def _check_db(got, expected):
    got = np.asarray(got)
    assert got.shape == expected.shape
    mask = expected > expected.max(axis=(-2, -1), keepdims=True) - 80
    assert np.max(np.abs(got - expected)[mask]) <= DB_TOL


def _record(benchmark, y, out_nbytes: int, flops: float, *, sr: int = SR, setting: str = ""):
    setting = setting or f"{y.shape[0]} clips x 29.12 s at 12 kHz, n_fft 512, hop 256, 96 mels"
    benchmark.extra_info.update(audio_seconds=y.size / sr, clips=y.shape[0], bytes=y.nbytes + out_nbytes,
                                flops=flops, gpu=_gpu_name(), setting=setting)


def _gpu_peer(y, compute):
    """run() for a fasttag-cuda peer: ``compute(audio already on the GPU)``, synchronised."""
    from numba import cuda

    y_gpu = cuda.to_device(y)

    def run():
        result = compute(y_gpu)
        _sync()
        return result

    run()
    return run


@pytest.mark.parametrize("peer", ["fasttag-cuda", "torch-cuda", "nnaudio-cuda", "copy-in", "copy-out",
                                  "fasttag-cuda-host", "fasttag-cpu-w2", "fasttag-cpu-all"])
@pytest.mark.benchmark(group="choi-logmel-gpu", min_rounds=5, max_time=1.0)
def test_choi_logmel(benchmark, choi, peer):
    y, expected = choi
    _record(benchmark, y, expected.nbytes, _logmel_flops(expected.shape[0] * expected.shape[-1]))
    if peer in ("fasttag-cuda", "copy-out"):
        run = _gpu_peer(y, lambda y_gpu: fasttag.logmel(y_gpu, device="cuda", **KW))
        if peer == "copy-out":
            _check_db(benchmark(run().copy_to_host), expected)
        else:
            _check_db(benchmark(run).copy_to_host(), expected)
    elif peer == "copy-in":
        from numba import cuda

        def run():
            on_gpu = cuda.to_device(y)
            _sync()
            return on_gpu

        run()
        assert np.array_equal(benchmark(run).copy_to_host(), y)
    elif peer == "fasttag-cuda-host":
        fasttag.logmel(y[:1], device="cuda", **KW)
        _check_db(benchmark(fasttag.logmel, y, device="cuda", **KW), expected)
    elif peer == "torch-cuda":
        torch = _torch_cuda()
        from fasttag.torch import LogMel

        module = LogMel(**KW).cuda()
        y_gpu = torch.from_numpy(y).cuda()

        def run():
            with torch.no_grad():
                out = module(y_gpu)
            torch.cuda.synchronize()
            return out

        run()
        _check_db(benchmark(run).cpu().numpy(), expected)
    elif peer == "nnaudio-cuda":
        _check_db(_nnaudio_logmel(benchmark, y).cpu().numpy(), expected)
    else:
        workers = 2 if peer == "fasttag-cpu-w2" else -1
        _check_db(benchmark(fasttag.logmel, y, workers=workers, **KW), expected)


def _nnaudio_logmel(benchmark, y):
    """nnAudio's MelSpectrogram of the clips on the GPU, then 10 log10 with the amin clamp and
    each clip's 80 dB floor (as fasttag.logmel), timed; returns the (clips, mels, frames) tensor."""
    torch = _torch_cuda()
    features = pytest.importorskip("nnAudio.features")
    module = features.MelSpectrogram(sr=SR, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS, center=True,
                                     pad_mode="constant", verbose=False).cuda()
    y_gpu = torch.from_numpy(y).cuda()

    def run():
        with torch.no_grad():
            db = 10.0 * torch.log10(torch.clamp(module(y_gpu), min=AMIN))
            out = torch.maximum(db, db.amax(dim=(1, 2), keepdim=True) - TOP_DB)
        torch.cuda.synchronize()
        return out

    with _float32_products(torch):  # cuDNN would take the convolution in TF32
        run()
        return benchmark(run)


@pytest.fixture(scope="module")
def choi_mfcc(choi):
    """(audio, [MFCC, delta, delta-delta] from fasttag's CPU path)."""
    y, _ = choi
    return y, _cpu_mfcc_and_deltas(y, workers=-1)


def _check_cepstra(got, expected, edge: int = 0):
    """MFCC and deltas within CEPSTRUM_RTOL of the CPU's; deltas without ``edge`` frames at each
    end (the torch peer pads its convolution by repeating the edge, librosa interpolates)."""
    for i, (g, e) in enumerate(zip(got, expected)):
        g = np.asarray(g)
        assert g.shape == e.shape
        if i and edge:
            g, e = g[..., edge:-edge], e[..., edge:-edge]
        assert np.max(np.abs(g - e)) <= CEPSTRUM_RTOL * np.max(np.abs(e)), f"output {i}"


def _cpu_mfcc_and_deltas(y, workers):
    """[MFCC, delta, delta-delta] of the clips by fasttag's CPU path."""
    mfcc = fasttag.mfcc(y, n_mfcc=N_MFCC, workers=workers, **KW)
    return [mfcc] + [fasttag.delta(mfcc, width=DELTA_WIDTH, order=order) for order in (1, 2)]


@pytest.mark.parametrize("peer", ["fasttag-cuda", "torch-cuda", "fasttag-cpu-w2", "fasttag-cpu-all"])
@pytest.mark.benchmark(group="choi-mfcc-gpu", min_rounds=5, max_time=1.0)
def test_choi_mfcc(benchmark, choi_mfcc, peer):
    y, expected = choi_mfcc
    frames = expected[0].shape[0] * expected[0].shape[-1]
    dct_flops = 2 * N_MFCC * N_MELS * frames
    delta_flops = 2 * 2 * DELTA_WIDTH * N_MFCC * frames
    _record(benchmark, y, sum(e.nbytes for e in expected), _logmel_flops(frames) + dct_flops + delta_flops)
    if peer == "fasttag-cuda":
        def cepstra(y_gpu):
            mfcc = fasttag.mfcc(y_gpu, n_mfcc=N_MFCC, device="cuda", **KW)
            return [mfcc] + [fasttag.delta(mfcc, width=DELTA_WIDTH, order=order, device="cuda") for order in (1, 2)]

        _check_cepstra([a.copy_to_host() for a in benchmark(_gpu_peer(y, cepstra))], expected)
    elif peer == "torch-cuda":
        torch = _torch_cuda()
        import torch.nn.functional as F

        from fasttag.torch import LogMel

        module = LogMel(**KW).cuda()
        dct = torch.from_numpy(filters.dct(N_MFCC, N_MELS)).cuda()
        half = DELTA_WIDTH // 2
        kernels = torch.from_numpy(np.stack([
            scipy.signal.savgol_coeffs(DELTA_WIDTH, order, deriv=order, use="dot") for order in (1, 2)
        ]).astype(np.float32)[:, None, :]).cuda()  # (2 orders, 1, width)
        y_gpu = torch.from_numpy(y).cuda()

        def run():
            with torch.no_grad():
                mfcc = torch.matmul(dct, module(y_gpu))  # (clips, n_mfcc, frames)
                rows = F.pad(mfcc.reshape(-1, 1, mfcc.shape[-1]), (half, half), mode="replicate")
                deltas = F.conv1d(rows, kernels).reshape(*mfcc.shape[:-1], 2, -1)
            torch.cuda.synchronize()
            return mfcc, deltas[..., 0, :], deltas[..., 1, :]

        run()
        _check_cepstra([a.cpu().numpy() for a in benchmark(run)], expected, edge=half)
    else:
        workers = 2 if peer == "fasttag-cpu-w2" else -1
        _check_cepstra(benchmark(_cpu_mfcc_and_deltas, y, workers), expected)


# ----------------------------------------------------------------------------- chroma and tempogram


LIBROSA_SR, LIBROSA_SECONDS = 22050, 30.0


@pytest.fixture(scope="module")
def librosa_clips(music, choi_clips):
    """(choi_clips / 4 clips of 30 s at 22.05 kHz float32, the setting's description)."""
    y = np.ascontiguousarray(music(max(1, choi_clips // 4), LIBROSA_SECONDS, LIBROSA_SR, 13))
    return y, f"{y.shape[0]} clips x {LIBROSA_SECONDS:g} s at 22.05 kHz, n_fft 2048, hop 512"


@pytest.fixture(scope="module")
def chroma_reference(librosa_clips):
    """fasttag's CPU chromagram of the clips (itself tested against librosa)."""
    return fasttag.chroma_stft(librosa_clips[0], sr=LIBROSA_SR, workers=-1)


@pytest.fixture(scope="module")
def tempogram_reference(librosa_clips):
    return fasttag.tempogram(librosa_clips[0], sr=LIBROSA_SR, workers=-1)


@pytest.mark.parametrize("peer", ["fasttag-cuda", "torch-cuda", "fasttag-cpu-w2"])
@pytest.mark.benchmark(group="chroma-gpu", min_rounds=5, max_time=1.0)
def test_chroma(benchmark, librosa_clips, chroma_reference, peer):
    (y, setting), expected = librosa_clips, chroma_reference
    basis = filters.chroma(sr=LIBROSA_SR, n_fft=2048)
    _record(benchmark, y, expected.nbytes, _logmel_flops(expected.shape[0] * expected.shape[-1], basis),
            sr=LIBROSA_SR, setting=setting + ", 12 chroma bins")
    if peer == "fasttag-cuda":
        run = _gpu_peer(y, lambda y_gpu: fasttag.chroma_stft(y_gpu, sr=LIBROSA_SR, device="cuda"))
        got = benchmark(run).copy_to_host()
    elif peer == "torch-cuda":
        torch = _torch_cuda()
        window = torch.hann_window(2048, periodic=True, device="cuda")
        fb = torch.from_numpy(basis).cuda()
        y_gpu = torch.from_numpy(y).cuda()

        def run():
            with _float32_products(torch), torch.no_grad():
                spectrum = torch.stft(y_gpu, 2048, hop_length=512, window=window, center=True, pad_mode="constant",
                                      return_complex=True)
                raw = torch.matmul(fb, spectrum.real.square() + spectrum.imag.square())
                out = raw / raw.amax(dim=-2, keepdim=True).clamp_min(np.finfo(np.float32).tiny)
            torch.cuda.synchronize()
            return out

        run()
        got = benchmark(run).cpu().numpy()
    else:
        got = benchmark(fasttag.chroma_stft, y, sr=LIBROSA_SR, workers=2)
    assert got.shape == expected.shape
    assert np.max(np.abs(got - expected)) <= 1e-4  # each frame's maximum is 1


@pytest.mark.parametrize("peer", ["fasttag-cuda", "fasttag-cpu-w2"])
@pytest.mark.benchmark(group="tempogram-gpu", min_rounds=3, max_time=1.0)
def test_tempogram(benchmark, librosa_clips, tempogram_reference, peer):
    (y, setting), expected = librosa_clips, tempogram_reference
    lags = expected.shape[-2]
    columns = expected.shape[0] * expected.shape[-1]
    # 3 products and a sum per term, in float64: the floor divides them by the float32 product rate,
    # twice the float64 one on an H100/H200, so it is optimistic by up to 2x
    autocorrelation_flops = columns * 4 * lags * (lags + 1) / 2
    _record(benchmark, y, expected.nbytes, _logmel_flops(columns, filters.mel(sr=LIBROSA_SR, n_fft=2048))
            + autocorrelation_flops, sr=LIBROSA_SR, setting=setting + ", 128 mels, 384 lags")
    if peer == "fasttag-cuda":
        run = _gpu_peer(y, lambda y_gpu: fasttag.tempogram(y_gpu, sr=LIBROSA_SR, device="cuda"))
        got = benchmark(run).copy_to_host()
    else:
        got = benchmark(fasttag.tempogram, y, sr=LIBROSA_SR, workers=2)
    assert got.shape == expected.shape
    assert np.max(np.abs(got - expected)) <= 1e-4  # each column's lag 0 is 1


# ----------------------------------------------------------------------------- k-means assignment


@pytest.fixture(scope="module")
def codebook(request):
    """(frames (n, 90) float32, K = 1024 centroids drawn from them, a row sample for the checks)."""
    n = request.config.getoption("--gpu-kmeans-rows")
    rng = np.random.default_rng(7)
    X = rng.standard_normal((n, D), dtype=np.float32) * np.linspace(3, 0.3, D, dtype=np.float32)
    centers = X[rng.choice(n, K, replace=False)] + rng.normal(0, 0.1, (K, D)).astype(np.float32)
    return X, np.ascontiguousarray(centers), np.sort(rng.choice(n, min(n, 20_000), replace=False))


def _check_labels(labels, X, centers, sample):
    """Each sampled row's label is a nearest centroid in float64, up to float32 rounding of the distances."""
    x = X[sample].astype(np.float64)
    c = centers.astype(np.float64)
    d = (x * x).sum(1)[:, None] - 2 * x @ c.T + (c * c).sum(1)[None, :]
    chosen = d[np.arange(len(sample)), np.asarray(labels)[sample]]
    assert np.all(chosen <= d.min(axis=1) + 1e-5 * (x * x).sum(1) + 1e-6)


@pytest.mark.parametrize("peer", ["fasttag-cuda", "torch-gemm", "torch-assign", "fasttag-cpu-w2"])
@pytest.mark.benchmark(group="kmeans-assign-gpu", min_rounds=3, max_time=1.0)
def test_kmeans_assignment(benchmark, codebook, peer):
    X, centers, sample = codebook
    benchmark.extra_info.update(rows=X.shape[0], bytes=X.nbytes + centers.nbytes + X.shape[0] * (8 + 4),
                                flops=2 * X.shape[0] * K * D, gpu=_gpu_name())
    if peer == "fasttag-cuda":
        from numba import cuda

        X_gpu, c_gpu = cuda.to_device(X), cuda.to_device(centers)

        def run():
            labels, _ = fc.nearest(X_gpu, c_gpu)
            _sync()
            return labels

        run()
        _check_labels(benchmark(run).copy_to_host(), X, centers, sample)
    elif peer in ("torch-gemm", "torch-assign"):
        torch = _torch_cuda()
        with _float32_products(torch):
            X_gpu, c_gpu = torch.from_numpy(X).cuda(), torch.from_numpy(centers).cuda()
            c_norms = (c_gpu * c_gpu).sum(1)

            def run():
                product = X_gpu @ c_gpu.T
                out = product if peer == "torch-gemm" else (c_norms - 2 * product).argmin(1)
                torch.cuda.synchronize()
                return out

            run()
            out = benchmark(run).cpu().numpy()
        if peer == "torch-gemm":
            exact = X[sample].astype(np.float64) @ centers.T.astype(np.float64)
            assert np.linalg.norm(out[sample] - exact) <= 1e-5 * np.linalg.norm(exact)
        else:
            _check_labels(out, X, centers, sample)
    else:
        km = fasttag.KMeans(K, workers=2)
        km.cluster_centers_, km.n_features_in_ = centers, D
        _check_labels(benchmark(km.predict, X), X, centers, sample)
