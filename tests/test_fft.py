"""fasttag.rfft and fasttag.dft against numpy.fft and a float64 O(N^2) DFT written here."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import fasttag

DTYPES = [np.float32, np.float64]
COMPLEX_OF = {np.float32: np.complex64, np.float64: np.complex128}

# Beyond 1..1024: powers of two, primes (Bluestein), and 2^a 3^b 5^c (mixed radix).
LARGE_SIZES = [2048, 4096, 8192, 16384, 32768, 65536, 1009, 4099, 65537, 1000, 1536, 3375, 46656, 1025, 10007]


def direct_rdft(x: np.ndarray) -> np.ndarray:
    """Reference real DFT in float64 by the O(N^2) sum: X[k] = sum_n x[n] exp(-2 pi i k n / N).

    The exponent (k n mod N) is reduced exactly in integers, so the twiddles are accurate
    to float64 rounding whatever N.
    """
    x = np.asarray(x, dtype=np.float64)
    n = x.shape[-1]
    k = np.arange(n // 2 + 1)
    phase = np.outer(k, np.arange(n)) % n
    basis = np.exp(-2j * np.pi * phase / n)
    return x @ basis.T


def test_direct_rdft_reference_is_a_dft():
    # The reference itself, on inputs whose transforms are known in closed form.
    n = 12
    impulse = np.zeros(n)
    impulse[3] = 1.0
    k = np.arange(n // 2 + 1)
    np.testing.assert_allclose(direct_rdft(impulse), np.exp(-2j * np.pi * 3 * k / n), atol=1e-15)
    np.testing.assert_allclose(direct_rdft(np.ones(n)), np.r_[n, np.zeros(n // 2)], atol=1e-13)
    cosine = np.cos(2 * np.pi * 2 * np.arange(n) / n)
    np.testing.assert_allclose(direct_rdft(cosine), np.where(k == 2, n / 2, 0), atol=1e-13)


def length_failures(rng, tol, dtype, func, reference, lengths, rows) -> list[str]:
    """One message per length n where func((rows, n) random) differs from reference."""
    failures = []
    for n in lengths:
        x = rng.standard_normal((rows, n)).astype(dtype)
        got = func(x)
        expected = reference(x)
        if got.dtype != COMPLEX_OF[dtype] or got.shape != expected.shape:
            failures.append(f"N={n}: dtype {got.dtype}, shape {got.shape}")
            continue
        err = tol.max_rel_err(got, expected)
        if not err <= tol(dtype).fft:
            failures.append(f"N={n}: max relative error {err:.3g}")
    return failures


@pytest.mark.parametrize("dtype", DTYPES)
def test_rfft_every_length_up_to_1024_matches_numpy(rng, tol, dtype):
    # 9 rows: one full SIMD block of rows plus a partial one, for float32 and float64.
    failures = length_failures(rng, tol, dtype, fasttag.rfft, lambda x: np.fft.rfft(x.astype(np.float64)),
                               range(1, 1025), rows=9)
    assert not failures, f"{len(failures)} lengths fail: " + "; ".join(failures[:20])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", LARGE_SIZES)
def test_rfft_large_lengths_match_numpy(rng, tol, dtype, n):
    x = rng.standard_normal((2, n)).astype(dtype)
    got = fasttag.rfft(x)
    expected = np.fft.rfft(x.astype(np.float64))
    assert got.dtype == COMPLEX_OF[dtype]
    tol.assert_close_in_norm(got, expected, tol(dtype).norm, f"rfft N={n}")
    tol.assert_close(got, expected, 10 * tol(dtype).fft, f"rfft N={n}")


@pytest.mark.parametrize("dtype", DTYPES)
def test_rfft_large_length_of_music(music, tol, dtype):
    # A long transform of a music-like signal: a wide dynamic range across the bins.
    y = music(65536, dtype=dtype)
    tol.assert_close_in_norm(fasttag.rfft(y), np.fft.rfft(y.astype(np.float64)), tol(dtype).norm)


REFERENCE_SIZES = list(range(1, 65)) + [96, 100, 121, 125, 127, 128, 243, 250, 255, 256, 257, 360, 384, 499, 500,
                                         509, 511, 512]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("transform", ["rfft", "dft"])
def test_against_direct_float64_dft(rng, tol, dtype, transform):
    failures = length_failures(rng, tol, dtype, getattr(fasttag, transform), direct_rdft, REFERENCE_SIZES, rows=5)
    assert not failures, f"{transform}: {len(failures)} lengths fail: " + "; ".join(failures[:20])


@pytest.mark.parametrize("n", [1000, 1009, 2048])
def test_dft_matches_numpy_for_larger_lengths(rng, tol, n):
    x = rng.standard_normal((2, n))
    tol.assert_close(fasttag.dft(x), np.fft.rfft(x), 100 * tol(np.float64).fft, f"dft N={n}")


@pytest.mark.parametrize("dtype", DTYPES)
def test_rfft_of_music_matches_direct_dft(music, tol, dtype):
    y = music(441, dtype=dtype, shape=(3,))
    expected = direct_rdft(y)
    tol.assert_close(fasttag.rfft(y), expected, tol(dtype).fft)
    tol.assert_close(fasttag.dft(y), expected, tol(dtype).fft)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n_in, n", [(100, 64), (100, 100), (100, 128), (100, 131), (64, 1), (7, 1000), (1, 16),
                                     (513, 512), (300, 1009)])
@pytest.mark.parametrize("transform", ["rfft", "dft"])
def test_n_crops_or_zero_pads_like_numpy(rng, tol, dtype, n_in, n, transform):
    x = rng.standard_normal((3, n_in)).astype(dtype)
    before = x.copy()
    got = getattr(fasttag, transform)(x, n)
    expected = np.fft.rfft(x.astype(np.float64), n=n)
    assert got.shape == (3, n // 2 + 1)
    assert got.dtype == COMPLEX_OF[dtype]
    tol.assert_close(got, expected, tol(dtype).fft, f"{transform}(n={n}) of {n_in} samples")
    np.testing.assert_array_equal(x, before)  # the input is not modified


@pytest.mark.parametrize("shape", [(7,), (2, 3, 50), (1, 1, 1, 16), (4, 1, 33)])
@pytest.mark.parametrize("transform", ["rfft", "dft"])
def test_leading_dimensions_are_kept(rng, tol, shape, transform):
    x = rng.standard_normal(shape)
    got = getattr(fasttag, transform)(x)
    assert got.shape == shape[:-1] + (shape[-1] // 2 + 1,)
    tol.assert_close(got, np.fft.rfft(x), tol(np.float64).fft)


@pytest.mark.parametrize("in_dtype, out_dtype", [
    (np.int16, np.complex128),
    (np.int32, np.complex128),
    (np.int64, np.complex128),
    (np.uint8, np.complex128),
    (np.bool_, np.complex128),
    (np.float16, np.complex64),
    (np.float32, np.complex64),
    (np.float64, np.complex128),
])
def test_output_dtype_follows_input(rng, tol, in_dtype, out_dtype):
    x = (rng.standard_normal((2, 60)) * 40).astype(in_dtype)
    got = fasttag.rfft(x)
    assert got.dtype == out_dtype
    rtol = tol(np.float32 if out_dtype == np.complex64 else np.float64).fft
    tol.assert_close(got, np.fft.rfft(x.astype(np.float64)), rtol, f"rfft of {np.dtype(in_dtype).name}")
    assert fasttag.dft(x).dtype == out_dtype


def test_list_input_is_accepted(tol):
    x = [0.5, -1.0, 2.0, 3.5, 0.0]
    tol.assert_close(fasttag.rfft(x), np.fft.rfft(x), tol(np.float64).fft)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [1, 2, 3, 16, 17, 1000])
def test_rfft_matches_dft(rng, tol, dtype, n):
    # The two implementations must agree with each other, not only with numpy.
    x = rng.standard_normal((4, n)).astype(dtype)
    tol.assert_close(fasttag.rfft(x), fasttag.dft(x).astype(np.complex128), 2 * tol(dtype).fft)


@pytest.mark.parametrize("dtype", DTYPES)
def test_linearity_and_shift(rng, tol, dtype):
    # Properties every DFT must have, checked on the FFT path with a non-smooth length.
    n = 97
    x, z = rng.standard_normal((2, n))
    a, b = 0.75, -1.25
    X, Z = fasttag.rfft(x.astype(dtype)), fasttag.rfft(z.astype(dtype))
    combined = fasttag.rfft((a * x + b * z).astype(dtype))
    tol.assert_close(combined, a * X.astype(np.complex128) + b * Z, 4 * tol(dtype).fft, "linearity")
    shifted = fasttag.rfft(np.roll(x, 5).astype(dtype))
    k = np.arange(n // 2 + 1)
    tol.assert_close(shifted, X * np.exp(-2j * np.pi * 5 * k / n), 4 * tol(dtype).fft, "circular shift")


def test_plans_shared_between_calls_serve_each_length(rng, tol):
    # The C++ core keeps the plans of the 8 lengths used last. Twelve lengths (powers of two, mixed
    # radix, Bluestein), revisited in four orders from four Python threads at once (the GIL is released
    # around each transform): every call must run its own length's plan, kept, rebuilt or evicted meanwhile.
    lengths = [512, 500, 1009, 2048, 384, 1000, 96, 4096, 243, 625, 1024, 30]
    inputs = {n: rng.standard_normal((9, n)).astype(np.float32) for n in lengths}
    expected = {n: np.fft.rfft(x.astype(np.float64)) for n, x in inputs.items()}

    def wrong_lengths(order):
        return [n for n in order
                if not tol.max_rel_err(fasttag.rfft(inputs[n], workers=2), expected[n]) <= tol(np.float32).fft]

    orders = [lengths * 3, lengths[::-1] * 3, lengths[::2] * 6, lengths[1::2] * 6]
    with ThreadPoolExecutor(len(orders)) as pool:
        failures = [n for wrong in pool.map(wrong_lengths, orders) for n in wrong]
    assert failures == []
