"""fasttag.datasets.example_audio: float32 mono of the asked length, music not silence, reproducible by seed,
make_tagged_music's first clip; bad parameters named in the error."""

import numpy as np
import pytest
import soundfile as sf

import fasttag
from fasttag import ParameterError
from fasttag.datasets import example_audio, make_tagged_music


@pytest.fixture
def seed(rng):
    return int(rng.integers(2**31))


@pytest.mark.parametrize(("seconds", "sr"), [(1.0, 22050), (0.5, 8000), (1.23456, 12000), (2, 44100)])
def test_float32_mono_of_the_asked_length(seconds, sr, seed):
    y = example_audio(seconds, sr=sr, seed=seed)
    assert y.dtype == np.float32 and y.shape == (round(seconds * sr),)


def test_the_default_is_five_seconds_at_22050_hz():
    assert example_audio().shape == (5 * 22050,)


def test_finite_music_below_full_scale(seed):
    y = example_audio(2.0, seed=seed)
    assert np.isfinite(y).all()
    assert np.abs(y).max() <= 0.98
    rms_db = 10 * np.log10(np.mean(y.astype(np.float64) ** 2))
    assert rms_db > -60, f"nearly silent: RMS {rms_db:.1f} dBFS"
    frames = y[: len(y) // 2048 * 2048].reshape(-1, 2048)
    assert np.ptp(np.sqrt(np.mean(frames**2, axis=1))) > 0, "the level never changes: no notes"


def test_same_seed_same_samples_other_seed_other_samples(seed):
    y = example_audio(1.0, seed=seed)
    assert np.array_equal(y, example_audio(1.0, seed=seed))
    assert not np.allclose(y, example_audio(1.0, seed=seed + 1))


def test_is_the_first_clip_of_make_tagged_music(tmp_path, seed):
    make_tagged_music(1, seconds=1.0, sr=8000, seed=seed, out=tmp_path, fmt="wav")
    written, sr = sf.read(tmp_path / "audio" / "track_00000.wav", dtype="float32")
    assert sr == 8000
    np.testing.assert_allclose(example_audio(1.0, sr=8000, seed=seed), written, rtol=0, atol=1.01 / 32767)


def test_exported_from_the_package():
    assert "example_audio" in fasttag.datasets.__all__ and fasttag.datasets.example_audio is example_audio


@pytest.mark.parametrize(("name", "value"), [
    ("seconds", 0.4), ("seconds", -1.0), ("seconds", np.nan), ("seconds", np.inf), ("seconds", 86401),
    ("seconds", "5"), ("seconds", True), ("seconds", None),
    ("sr", 7999), ("sr", 0), ("sr", 22050.0), ("sr", 1_536_001), ("sr", True), ("sr", "22050"),
    ("seed", -1), ("seed", 1.5), ("seed", True), ("seed", 2**63), ("seed", None),
])  # fmt: skip
def test_bad_parameters_are_named(name, value):
    with pytest.raises(ParameterError, match=rf"^{name}="):
        example_audio(**{name: value})
