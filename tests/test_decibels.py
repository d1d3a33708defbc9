"""amplitude_to_db, db_to_power and db_to_amplitude against librosa's, on random spectrograms."""

import librosa
import numpy as np
import pytest

import fasttag
from fasttag import ParameterError


def _magnitudes(rng, shape, dtype):
    """Random amplitude spectrogram with a wide dynamic range (some bins far below the top_db floor)."""
    return (rng.standard_normal(shape) * 10.0 ** rng.uniform(-6, 1, size=shape)).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("ref", "amin", "top_db"), [(1.0, 1e-5, 80.0), (np.max, 1e-5, 60.0), (0.3, 1e-3, None),
                                                     (np.median, 1e-5, 80.0), (-2.0, 1e-5, 80.0)])
def test_amplitude_to_db_matches_librosa(rng, dtype, ref, amin, top_db):
    S = _magnitudes(rng, (40, 57), dtype)
    got = fasttag.amplitude_to_db(S, ref=ref, amin=amin, top_db=top_db)
    want = librosa.amplitude_to_db(S, ref=ref, amin=amin, top_db=top_db)
    assert got.dtype == dtype and got.shape == S.shape
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-3 if dtype == np.float32 else 1e-9)


def test_amplitude_to_db_array_ref_broadcasts_as_librosa(rng):
    S = _magnitudes(rng, (30, 20), np.float64)
    ref = rng.uniform(0.1, 2.0, size=(30, 1))
    np.testing.assert_allclose(fasttag.amplitude_to_db(S, ref=ref), librosa.amplitude_to_db(S, ref=ref), atol=1e-9)


def test_amplitude_to_db_takes_a_batch_item_by_item(rng):
    S = _magnitudes(rng, (3, 2, 25, 31), np.float32)
    got = fasttag.amplitude_to_db(S, ref=np.max, top_db=50.0)
    for index in np.ndindex(S.shape[:2]):
        want = librosa.amplitude_to_db(S[index], ref=np.max, top_db=50.0)
        np.testing.assert_allclose(got[index], want, atol=1e-3)


def test_amplitude_to_db_of_an_stft_is_power_to_db_of_its_power(rng):
    y = fasttag.datasets.example_audio(seconds=1.0, sr=22050, seed=int(rng.integers(1000)))
    magnitude = np.abs(fasttag.stft(y))
    np.testing.assert_allclose(fasttag.amplitude_to_db(magnitude, ref=np.max),
                               fasttag.power_to_db(magnitude ** 2, ref=np.max), atol=1e-3)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_db_to_power_and_amplitude_match_librosa(rng, dtype):
    S_db = rng.uniform(-100, 40, size=(12, 17)).astype(dtype)
    pairs = ((fasttag.db_to_power, librosa.db_to_power), (fasttag.db_to_amplitude, librosa.db_to_amplitude))
    for ours, theirs in pairs:
        for ref in (1.0, 0.25, 3.0):
            got = ours(S_db, ref=ref)
            assert got.dtype == dtype and got.shape == S_db.shape
            np.testing.assert_allclose(got, theirs(S_db, ref=ref), rtol=3e-6 if dtype == np.float32 else 1e-12)


def test_the_conversions_invert_each_other_above_the_floors(rng):
    S = rng.uniform(0.01, 10.0, size=(20, 30))
    np.testing.assert_allclose(fasttag.db_to_amplitude(fasttag.amplitude_to_db(S, ref=0.5, top_db=None), ref=0.5), S,
                               rtol=1e-12)
    P = S ** 2
    np.testing.assert_allclose(fasttag.db_to_power(fasttag.power_to_db(P, ref=2.0, top_db=None), ref=2.0), P,
                               rtol=1e-12)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"S": np.ones((4, 5), np.complex64)}, r"S must be real magnitudes, got complex dtype complex64: give np.abs"),
    ({"S": np.full((4, 5), np.nan)}, "S contains NaN"),
    ({"amin": 0.0}, "amin=0.0 must be"),
    ({"amin": 1e-20}, r"amin=1e-20 is too small for float32: amin\*\*2 must be a normal number"),
    ({"S": np.full((4, 5), 2e19, np.float32)}, "S has magnitudes up to 2e\\+19, whose squares overflow float32"),
    ({"ref": "1.0"}, "ref='1.0' must be a number"),
    ({"ref": lambda s: "loud"}, "ref=<function .*<lambda>.* must be a number"),
    ({"ref": lambda s: s}, r"ref=<function .*<lambda>.* returned an array of shape \(4, 5\)"),
    ({"top_db": -1.0}, "top_db=-1.0"),
])  # fmt: skip
def test_amplitude_to_db_names_bad_parameters(rng, kwargs, match):
    arguments = {"S": rng.uniform(0.1, 1.0, size=(4, 5)).astype(np.float32), **kwargs}
    with pytest.raises(ParameterError, match=match):
        fasttag.amplitude_to_db(arguments.pop("S"), **arguments)


@pytest.mark.parametrize("convert", [fasttag.db_to_power, fasttag.db_to_amplitude])
def test_from_db_names_bad_parameters(rng, convert):
    S_db = rng.uniform(-80, 0, size=(3, 4)).astype(np.float32)
    for ref, match in ((0.0, "ref=0.0 must be"), (-1.0, "ref=-1.0 must be"), ("1", "ref='1' must be")):
        with pytest.raises(ParameterError, match=match):
            convert(S_db, ref=ref)
    with pytest.raises(ParameterError, match="S_db contains NaN"):
        convert(np.array([0.0, np.nan]))
    with pytest.raises(ParameterError, match="S_db holds values up to 1000 dB, whose .* overflows float32"):
        convert(np.array([0.0, 1000.0], np.float32))


def test_a_number_gives_a_number_as_librosa(rng):
    """A scalar S was refused ("S must have at least 1 dimension(s)"); librosa returns a numpy scalar."""
    power, level = float(rng.uniform(1e-3, 10.0)), float(rng.uniform(-60.0, 20.0))
    for ours, theirs, x in ((fasttag.power_to_db, librosa.power_to_db, power),
                            (fasttag.amplitude_to_db, librosa.amplitude_to_db, power),
                            (fasttag.db_to_power, librosa.db_to_power, level),
                            (fasttag.db_to_amplitude, librosa.db_to_amplitude, level)):  # fmt: skip
        got = ours(x)
        assert isinstance(got, np.float64) and np.ndim(got) == 0, ours.__name__
        assert got == pytest.approx(theirs(x), rel=1e-12), ours.__name__
    assert isinstance(fasttag.power_to_db(np.float32(power)), np.float32)
