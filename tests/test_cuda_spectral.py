"""The GPU feature chain (fasttag.cuda: stft, melspectrogram, logmel, power_to_db, mfcc, delta)
against the CPU path, through the public ``device="cuda"`` dispatch.

Runs where CUDA runs: in Numba's CUDA simulator (``NUMBA_ENABLE_CUDASIM=1`` set before numba
is imported; ``tests/test_cuda_sim.py`` launches this file that way in every plain test run)
on small inputs, and on a GPU at full size (Choi's setting: 12 kHz, n_fft 512, hop 256,
96 mels, 29.1 s clips). Every output is poisoned with NaN before the kernels run (see
``fasttag.cuda._runtime.POISON``), so an element a kernel leaves unwritten fails the test.
"""

from __future__ import annotations

import collections

import numpy as np
import pytest

import fasttag
import fasttag.cuda as fc

pytestmark = pytest.mark.usefixtures("cuda_kernels")  # from conftest.py: skips without CUDA

SIM = fc.simulator()
# (sr, n_samples, n_fft, hop, n_mels, clips): tiny for the simulator, Choi's setting on a GPU
SIZE = dict(sr=8000, n_samples=1100, n_fft=128, hop=50, n_mels=16, clips=2) if SIM else \
    dict(sr=12000, n_samples=349440, n_fft=512, hop=256, n_mels=96, clips=4)


def to_host(x):
    return x if isinstance(x, np.ndarray) else x.copy_to_host()


# ----------------------------------------------------------------------------- stft


@pytest.mark.parametrize("pad_mode, center, dtype, win_fraction", [
    ("constant", True, np.float32, 1.0),
    ("edge", True, np.float64, 0.75),
    ("reflect", True, np.float32, 1.0),
    ("constant", False, np.float32, 0.75),
])
def test_stft_matches_cpu(rng, tol, pad_mode, center, dtype, win_fraction):
    n_fft = SIZE["n_fft"]
    y = rng.standard_normal((SIZE["clips"], SIZE["n_samples"])).astype(dtype)
    kwargs = dict(n_fft=n_fft, hop_length=SIZE["hop"], win_length=int(n_fft * win_fraction), center=center,
                  pad_mode=pad_mode)
    got = fasttag.stft(y, device="cuda", **kwargs)
    expected = fasttag.stft(y, **kwargs)
    assert got.dtype == expected.dtype and isinstance(got, np.ndarray)
    tol.assert_close(got, expected, 2 * tol(dtype).spec, f"stft {kwargs}")
    assert np.abs(got[0] - got[1]).max() > 0.1 * np.abs(got).max()  # the clips differ


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_fft", [8, 16, 64, 256])
def test_stft_every_fft_shape(rng, tol, n_fft, dtype):
    """The FFT runs two radix-2 stages per pass and a last single stage when log2(n_fft / 2) is
    odd: n_fft 8 gives one pass only; 16, 64 and 256 end with the single stage. (The other
    tests' n_fft, 128 in the simulator and 512 on a GPU, give passes only.)"""
    y = rng.standard_normal((2, 3 * n_fft + 5)).astype(dtype)
    kwargs = dict(n_fft=n_fft, hop_length=n_fft // 2 + 1)
    got = fasttag.stft(y, device="cuda", **kwargs)
    tol.assert_close(got, fasttag.stft(y, **kwargs), tol(dtype).spec, f"stft n_fft={n_fft} {dtype.__name__}")


@pytest.mark.parametrize("n_fft", [2, 4, 32])
def test_stft_small_and_reflect_beyond_the_signal(rng, tol, n_fft):
    # pads longer than the signal reflect again and again (numpy's rule); tiny transforms
    y = rng.standard_normal(3 if n_fft == 32 else 7).astype(np.float64)
    kwargs = dict(n_fft=n_fft, hop_length=1, pad_mode="reflect")
    if n_fft > y.size:
        with pytest.warns(UserWarning, match="too large"):
            expected = fasttag.stft(y, **kwargs)
        with pytest.warns(UserWarning, match="too large"):
            got = fasttag.stft(y, device="cuda", **kwargs)
    else:
        expected = fasttag.stft(y, **kwargs)
        got = fasttag.stft(y, device="cuda", **kwargs)
    tol.assert_close(got, expected, tol(np.float64).spec, f"stft n_fft={n_fft}")


# ----------------------------------------------------------------------------- mel chain


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_logmel_matches_cpu_per_clip(music, tol, dtype):
    y = music(SIZE["n_samples"], sr=SIZE["sr"], dtype=dtype, shape=(SIZE["clips"],))
    y[1] *= 1e-3  # 60 dB quieter: the top_db floor must be per clip
    kwargs = dict(sr=SIZE["sr"], n_fft=SIZE["n_fft"], hop_length=SIZE["hop"], n_mels=SIZE["n_mels"])
    got = fasttag.logmel(y, device="cuda", **kwargs)
    expected = fasttag.logmel(y, **kwargs)
    assert got.dtype == dtype
    for clip in range(SIZE["clips"]):
        tol.assert_db_close(got[clip], expected[clip], tol(dtype).db, what=f"logmel clip {clip}")
        assert got[clip].min() >= got[clip].max() - 80 - 1e-3


def test_melspectrogram_power_and_spectrogram_input(rng, tol):
    y = rng.standard_normal((SIZE["clips"], SIZE["n_samples"])).astype(np.float32)
    kwargs = dict(sr=SIZE["sr"], n_fft=SIZE["n_fft"], hop_length=SIZE["hop"], n_mels=SIZE["n_mels"])
    for power in (1.0, 1.5):
        got = fasttag.melspectrogram(y, device="cuda", power=power, htk=True, **kwargs)
        tol.assert_close(got, fasttag.melspectrogram(y, power=power, htk=True, **kwargs), 2 * tol(np.float32).spec,
                         f"melspectrogram power={power}")
    S = np.abs(fasttag.stft(y, n_fft=SIZE["n_fft"], hop_length=SIZE["hop"])) ** 2
    got = fasttag.melspectrogram(S=S, device="cuda", sr=SIZE["sr"], n_mels=SIZE["n_mels"], norm=None)
    expected = fasttag.melspectrogram(S=S, sr=SIZE["sr"], n_mels=SIZE["n_mels"], norm=None)
    tol.assert_close(got, expected, tol(np.float32).spec, "melspectrogram(S=...)")


def test_power_to_db_per_item(rng, tol):
    S = rng.random((2, 3, 5, 7)) ** 8
    S[0, 1] *= 1e-6
    got = fasttag.power_to_db(S, ref=0.5, top_db=40.0, device="cuda")
    expected = fasttag.power_to_db(S, ref=0.5, top_db=40.0)
    tol.assert_close(got, expected, tol(np.float64).spec, "power_to_db")
    got = fasttag.power_to_db(S[0, 0].astype(np.float32), top_db=None, device="cuda")
    tol.assert_db_close(got, fasttag.power_to_db(S[0, 0].astype(np.float32), top_db=None), tol(np.float32).db,
                        top_db=200.0)


@pytest.mark.parametrize("dct_type, norm, lifter", [(2, "ortho", 0), (3, None, 22)])
def test_mfcc_matches_cpu(music, tol, dct_type, norm, lifter):
    y = music(SIZE["n_samples"], sr=SIZE["sr"], shape=(SIZE["clips"],))
    kwargs = dict(sr=SIZE["sr"], n_fft=SIZE["n_fft"], hop_length=SIZE["hop"], n_mels=SIZE["n_mels"], n_mfcc=13,
                  dct_type=dct_type, norm=norm, lifter=lifter)
    got = fasttag.mfcc(y, device="cuda", **kwargs)
    expected = fasttag.mfcc(y, **kwargs)
    tol.assert_close(got, expected, 20 * tol(np.float32).cepstrum, f"mfcc {kwargs}")
    S = fasttag.logmel(y, sr=SIZE["sr"], n_fft=SIZE["n_fft"], hop_length=SIZE["hop"], n_mels=SIZE["n_mels"])
    tol.assert_close(fasttag.mfcc(S=S, n_mfcc=5, device="cuda"), fasttag.mfcc(S=S, n_mfcc=5),
                     tol(np.float32).cepstrum, "mfcc(S=...)")


@pytest.mark.parametrize("width, order, axis", [(9, 1, -1), (5, 2, -1), (3, 1, 0)])
def test_delta_matches_cpu(rng, tol, width, order, axis):
    data = rng.standard_normal((4, 3, 11)).cumsum(axis=-1)
    got = fasttag.delta(data, width=width, order=order, axis=axis, device="cuda")
    tol.assert_close(got, fasttag.delta(data, width=width, order=order, axis=axis), tol(np.float64).cepstrum,
                     f"delta width={width} order={order} axis={axis}")
    with pytest.raises(fasttag.ParameterError, match="mode='nearest' runs on the CPU only"):
        fasttag.delta(data, width=width, mode="nearest", device="cuda")


# ----------------------------------------------------------------------------- where arrays live


def test_device_arrays_stay_on_the_device(rng):
    from numba import cuda

    y = rng.standard_normal((SIZE["clips"], SIZE["n_samples"])).astype(np.float32)
    kwargs = dict(sr=SIZE["sr"], n_fft=SIZE["n_fft"], hop_length=SIZE["hop"], n_mels=SIZE["n_mels"])
    on_gpu = fasttag.logmel(cuda.to_device(y), device="cuda", **kwargs)
    assert not isinstance(on_gpu, np.ndarray) and fc.on_device(on_gpu)
    np.testing.assert_array_equal(on_gpu.copy_to_host(), fasttag.logmel(y, device="cuda", **kwargs))
    C = fasttag.mfcc(S=on_gpu, n_mfcc=4, device="cuda")
    assert fc.on_device(C) and tuple(C.shape) == (SIZE["clips"], 4, tuple(on_gpu.shape)[-1])
    D = fasttag.delta(C, device="cuda", width=3)
    assert fc.on_device(D) and np.isfinite(to_host(D)).all()


def test_torch_cuda_tensors_stay_torch_tensors(rng, tol):
    torch = pytest.importorskip("torch")
    if SIM or not torch.cuda.is_available():
        pytest.skip("needs torch with a CUDA GPU")
    y = rng.standard_normal((SIZE["clips"], SIZE["n_samples"])).astype(np.float32)
    kwargs = dict(sr=SIZE["sr"], n_fft=SIZE["n_fft"], hop_length=SIZE["hop"], n_mels=SIZE["n_mels"])
    got = fasttag.logmel(torch.from_numpy(y).cuda(), device="cuda", **kwargs)
    assert torch.is_tensor(got) and got.is_cuda and got.dtype == torch.float32
    tol.assert_db_close(got.cpu().numpy()[0], fasttag.logmel(y[0], **kwargs), tol(np.float32).db)
    D = fasttag.stft(torch.from_numpy(y).cuda()[:, ::2], n_fft=SIZE["n_fft"], device="cuda")  # strided in
    assert torch.is_tensor(D) and D.is_cuda and D.dtype == torch.complex64


def test_torch_cuda_tensors_that_require_grad_are_refused():
    """torch withholds ``__cuda_array_interface__`` from a CUDA tensor that requires grad: such a tensor was taken
    for host input and numpy's conversion failed with torch's RuntimeError. A fake CUDA tensor stands in for a real
    one (torch's FakeTensorMode needs no GPU)."""
    torch = pytest.importorskip("torch")
    fake_tensor = pytest.importorskip("torch._subclasses.fake_tensor")  # private: torch.compile's, since torch 2.0

    from fasttag.cuda import _runtime

    with fake_tensor.FakeTensorMode():
        y = torch.zeros(SIZE["n_samples"], device="cuda", requires_grad=True)
    assert fc.on_device(y)
    home = _runtime.Home(np.zeros(SIZE["n_samples"], np.float32))
    with pytest.raises(fasttag.ParameterError, match=r"requires grad .* pass x\.detach\(\)"):
        home.device_view(y)


# ----------------------------------------------------------------------------- constants kept between calls


@pytest.fixture
def counted_builds(monkeypatch):
    """No kept constants to begin with; counts the host builds of sparse rows (mel and DCT) and
    Savitzky-Golay matrices from then on."""
    from fasttag.cuda import _constants, spectral

    _constants.clear()
    counts = collections.Counter()
    for name in ("_sparse_rows", "_savgol_matrix"):
        def counted(*args, _build=getattr(spectral, name), _name=name):
            counts[_name] += 1
            return _build(*args)

        monkeypatch.setattr(spectral, name, counted)
    yield counts
    _constants.clear()


def test_kept_constants_follow_every_parameter(rng, tol, counted_builds):
    """A call after calls with other parameters gives its own result (a parameter missing from the
    kept constants' key would give another's), and the same parameters build nothing again."""
    y = rng.standard_normal((2, SIZE["n_samples"]))
    base = dict(sr=SIZE["sr"], n_fft=SIZE["n_fft"], hop_length=SIZE["hop"], n_mels=SIZE["n_mels"])
    mel_variants = [{}, dict(n_mels=SIZE["n_mels"] // 2), dict(htk=True), dict(fmin=300.0), dict(fmax=3000.0),
                    dict(norm=None), dict(sr=SIZE["sr"] * 2), dict(window="hamming"), {}]
    for dtype in (np.float32, np.float64):
        for variant in mel_variants:
            kwargs = {**base, **variant}
            tol.assert_close(fasttag.melspectrogram(y.astype(dtype), device="cuda", **kwargs),
                             fasttag.melspectrogram(y.astype(dtype), **kwargs), 2 * tol(dtype).spec,
                             f"melspectrogram {dtype.__name__} {variant}")
    # the window variant and the repeated first call build no mel rows
    assert counted_builds["_sparse_rows"] == 2 * (len(mel_variants) - 2)
    S = fasttag.logmel(y, **base)
    for variant in [{}, dict(lifter=22), dict(dct_type=3), dict(norm=None), dict(n_mfcc=4), {}]:
        kwargs = {"n_mfcc": 5, **variant}
        tol.assert_close(fasttag.mfcc(S=S, device="cuda", **kwargs), fasttag.mfcc(S=S, **kwargs),
                         tol(np.float64).cepstrum, f"mfcc {variant}")
    assert counted_builds["_sparse_rows"] == 2 * (len(mel_variants) - 2) + 5
    for width, order in [(5, 1), (5, 2), (7, 2), (5, 1)]:
        tol.assert_close(fasttag.delta(S, width=width, order=order, device="cuda"),
                         fasttag.delta(S, width=width, order=order), tol(np.float64).cepstrum,
                         f"delta width={width} order={order}")
    assert counted_builds["_savgol_matrix"] == 3


def test_kept_constants_drop_the_oldest(rng, tol, counted_builds, monkeypatch):
    from fasttag.cuda import _constants

    monkeypatch.setattr(_constants, "KEPT", 2)  # window and twiddles, and one set of mel rows
    y = rng.standard_normal((2, SIZE["n_samples"])).astype(np.float32)
    base = dict(sr=SIZE["sr"], n_fft=SIZE["n_fft"], hop_length=SIZE["hop"])
    for n_mels in (8, 12, 8):
        tol.assert_close(fasttag.melspectrogram(y, device="cuda", n_mels=n_mels, **base),
                         fasttag.melspectrogram(y, n_mels=n_mels, **base), 2 * tol(np.float32).spec,
                         f"melspectrogram n_mels={n_mels}")
    assert counted_builds["_sparse_rows"] == 3 and len(_constants._entries) == 2


def test_kept_constants_keep_validation(rng, counted_builds):
    """Values equal to kept ones but of another type are validated, not taken from the kept
    constants; values that cannot be hashed (an array) are built every time."""
    y = rng.standard_normal(SIZE["n_samples"]).astype(np.float32)
    base = dict(sr=SIZE["sr"], n_fft=SIZE["n_fft"], hop_length=SIZE["hop"])
    fasttag.logmel(y, device="cuda", n_mels=8, **base)
    with pytest.raises(fasttag.ParameterError, match=r"n_mels=8.0 must be a positive integer"):
        fasttag.logmel(y, device="cuda", n_mels=8.0, **base)
    for _ in range(2):
        got = fasttag.melspectrogram(y, device="cuda", n_mels=8, fmax=np.array(3000.0), **base)
        np.testing.assert_allclose(got, fasttag.melspectrogram(y, n_mels=8, fmax=3000.0, **base), rtol=1e-4,
                                   atol=1e-4 * float(np.abs(got).max()))
    assert counted_builds["_sparse_rows"] == 3


def test_kept_constants_warn_at_every_call(rng, counted_builds):
    """The CPU path warns about empty mel bands at every call; so does the GPU, built once."""
    y = rng.standard_normal(SIZE["n_samples"]).astype(np.float32)
    kwargs = dict(sr=8000, n_fft=128, hop_length=50, n_mels=20, fmax=300.0)
    for _ in range(2):
        with pytest.warns(UserWarning, match="Empty mel filters"):
            got = fasttag.melspectrogram(y, device="cuda", **kwargs)
        with pytest.warns(UserWarning, match="Empty mel filters"):
            expected = fasttag.melspectrogram(y, **kwargs)
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5 * float(np.abs(expected).max()))
    assert counted_builds["_sparse_rows"] == 1


def test_kept_constants_lifetimes_on_a_gpu(monkeypatch):
    """With a stand-in for numba.cuda (the simulator has one context and no streams): the device
    is synchronised after each copy (a pageable copy may still be in flight when it returns) and
    before an entry is dropped; after numba.cuda.close(), a new context on the same device gets
    its own copies, and the old context's are retired, never freed (their memory went with it)."""
    from types import SimpleNamespace

    from fasttag.cuda import _constants

    _constants.clear()
    monkeypatch.setattr(_constants, "_contexts", {})
    monkeypatch.setattr(_constants, "_retired", [])
    old, new = (SimpleNamespace(device=SimpleNamespace(id=0)) for _ in range(2))
    events = []
    fake = SimpleNamespace(current_context=lambda: current, to_device=lambda a: events.append("copy") or a.copy(),
                           synchronize=lambda: events.append("sync"))
    current = old
    first = _constants.device_constants(fake, ("k", 1), lambda: (np.arange(3),), simulated=False)
    assert _constants.device_constants(fake, ("k", 1), lambda: (np.zeros(3),), simulated=False) is first
    assert events == ["copy", "sync"]
    current = new
    second = _constants.device_constants(fake, ("k", 1), lambda: (np.ones(3),), simulated=False)
    assert second is not first and np.array_equal(second[0], np.ones(3))
    assert [entry.arrays for entry in _constants._retired] == [first]
    monkeypatch.setattr(_constants, "KEPT", 1)
    events.clear()
    _constants.device_constants(fake, ("k", 2), lambda: (np.ones(2),), simulated=False)
    assert events == ["copy", "sync", "sync"] and len(_constants._entries) == 1  # copied, then dropped one
    _constants.clear()


# ----------------------------------------------------------------------------- errors


@pytest.mark.skipif(not SIM, reason="counts the stores in the simulator")
def test_finite_flags_are_stored_once_per_block():
    """The input check's flags were stored by every thread that found a negative (or non-finite) value: on a GPU
    the stores of all warps queue on one word (2.8 million for Choi's batch of 256 clips, half of whose samples
    are negative). Each block now stores each flag once, and still sets both."""
    from numba import cuda
    from numba.cuda.simulator.cudadrv.devicearray import FakeCUDAArray

    from fasttag.cuda import _kernels

    class CountedStores(FakeCUDAArray):
        stores = 0

        def __setitem__(self, index, value):
            CountedStores.stores += 1
            super().__setitem__(index, value)

    blocks, threads = 2, 32
    x = np.full(blocks * threads * 3, -1.0, np.float32)
    x[5] = np.inf
    flags = CountedStores(np.zeros(2, np.int32))
    _kernels.finite_kernel[blocks, threads](cuda.to_device(x), flags)
    np.testing.assert_array_equal(flags.copy_to_host(), [1, 1])
    assert CountedStores.stores <= 2 * blocks


def test_gpu_parameter_errors(rng):
    from numba import cuda

    y = rng.standard_normal(SIZE["n_samples"]).astype(np.float32)
    with pytest.raises(fasttag.ParameterError, match=r"n_fft=100 must be a power of two"):
        fasttag.stft(y, n_fft=100, device="cuda")
    with pytest.raises(fasttag.ParameterError, match="n_fft=8192 exceeds 4096, .*; use device='cpu'"):
        fasttag.logmel(np.zeros(9000, np.float32), n_fft=8192, device="cuda")
    with pytest.raises(fasttag.ParameterError, match="device='gpu' must be 'cpu' or 'cuda'"):
        fasttag.logmel(y, device="gpu")
    with pytest.raises(fasttag.ParameterError, match="pad_mode='symmetric' runs on the CPU only"):
        fasttag.logmel(y, n_fft=SIZE["n_fft"], pad_mode="symmetric", device="cuda")
    with pytest.raises(fasttag.ParameterError, match="ref=.* must be a number"):
        fasttag.power_to_db(np.ones((2, 2)), ref=np.max, device="cuda")
    bad = y.copy()
    bad[7] = np.nan
    with pytest.raises(fasttag.ParameterError, match="y contains NaN"):
        fasttag.logmel(bad, n_fft=SIZE["n_fft"], device="cuda")
    with pytest.raises(fasttag.ParameterError, match="y contains NaN"):
        fasttag.logmel(cuda.to_device(bad), n_fft=SIZE["n_fft"], device="cuda")
    with pytest.raises(fasttag.ParameterError, match="float32 or float64, got dtype int16"):
        fasttag.stft(cuda.to_device(np.zeros(300, np.int16)), n_fft=SIZE["n_fft"], device="cuda")
    with pytest.raises(fasttag.ParameterError, match="numpy arrays or GPU arrays"):
        fasttag.stft(collections.deque([0.0] * 300), n_fft=SIZE["n_fft"], device="cuda")
    with pytest.raises(fasttag.ParameterError, match="y must be a numpy.ndarray, got list"):  # the CPU's message
        fasttag.stft([0.0] * 300, n_fft=SIZE["n_fft"], device="cuda")


def test_numbers_and_lists_are_host_input_as_on_the_cpu():
    """Numbers, 0-d arrays and lists, which the CPU functions take, are host input on the GPU too: they
    were refused as neither numpy nor GPU arrays, and a 0-d array came back 1-d."""
    for S in (3.0, np.float32(3.0), np.full((), 3.0), [3.0, 4.0]):
        got, expected = fasttag.power_to_db(S, device="cuda"), fasttag.power_to_db(S)
        assert type(got) is type(expected) and np.shape(got) == np.shape(expected), f"power_to_db({S!r})"
        np.testing.assert_allclose(got, expected, rtol=1e-6)
    data = [[0.0, 1.0, 3.0, 2.0, 5.0], [1.0, 0.0, 2.0, 2.0, 4.0]]
    np.testing.assert_allclose(fasttag.delta(data, width=3, device="cuda"), fasttag.delta(data, width=3), rtol=1e-12)
    with pytest.raises(fasttag.ParameterError, match=r"ref=.* must be a number on device='cuda'; a callable or array "
                                                     r"ref needs device='cpu'"):
        fasttag.power_to_db([3.0, 4.0], ref=np.max, device="cuda")


@pytest.mark.parametrize("on_gpu", [False, True])
def test_gpu_refuses_what_the_cpu_refuses(rng, on_gpu):
    """A negative power (a dB array given as power) and an amin below float32's smallest normal
    number: refused wherever S lives, with the CPU's message (they were -100 dB and a silent clamp)."""
    from numba import cuda

    place = cuda.to_device if on_gpu else np.asarray
    S = rng.uniform(0, 1, (2, 5, 7)).astype(np.float32)
    in_db = fasttag.power_to_db(S)  # negative values
    for device in ("cpu", "cuda"):
        with pytest.raises(fasttag.ParameterError, match=r"S must be a non-negative power spectrogram .* already in dB"):
            fasttag.power_to_db(place(in_db) if device == "cuda" else in_db, device=device)
        with pytest.raises(fasttag.ParameterError, match=r"amin=1e-40 is below the smallest normal float32 number"):
            fasttag.power_to_db(place(S) if device == "cuda" else S, amin=1e-40, device=device)
        with pytest.raises(fasttag.ParameterError, match=r"amin=1e\+39 is above the largest float32 number"):  # was inf
            fasttag.power_to_db(place(S) if device == "cuda" else S, amin=1e39, device=device)
    y = rng.standard_normal(SIZE["n_samples"]).astype(np.float32)
    with pytest.raises(fasttag.ParameterError, match=r"amin=1e-40 is below the smallest normal float32 number"):
        fasttag.logmel(place(y), sr=SIZE["sr"], n_fft=SIZE["n_fft"], n_mels=SIZE["n_mels"], amin=1e-40, device="cuda")
    with pytest.raises(fasttag.ParameterError, match=r"amin=1e\+39 is above the largest float32 number"):
        fasttag.logmel(place(y), sr=SIZE["sr"], n_fft=SIZE["n_fft"], n_mels=SIZE["n_mels"], amin=1e39, device="cuda")
    channels_last = rng.standard_normal((1500, 2)).astype(np.float32)  # soundfile's (n_samples, n_channels)
    with pytest.raises(fasttag.ParameterError, match=r"y has shape \(1500, 2\): 2 samples per signal .* pass y\.T"):
        fasttag.logmel(place(channels_last), sr=SIZE["sr"], n_fft=SIZE["n_fft"], n_mels=SIZE["n_mels"], device="cuda")
    got = fasttag.power_to_db(place(S), amin=1e-30, device="cuda")  # a normal float32 floor is kept as it is
    expected = fasttag.power_to_db(S, amin=1e-30)
    np.testing.assert_allclose(got.copy_to_host() if on_gpu else got, expected, rtol=1e-5, atol=1e-4)
