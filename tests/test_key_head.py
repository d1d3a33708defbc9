"""The key-profile head and the FCN that takes log-mel and chroma rows: invariance, a by-hand reference, learning."""

import json

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

import fasttag
from fasttag.cnn_frames import CNNFrames
from fasttag.featurizers import LogMel, LogMelChroma
from fasttag.models import FCN, KeyProfileHead
from fasttag.recipes import build_model
from fasttag.training import load_run, predict, save_run, train

MAJOR = (0, 2, 4, 5, 7, 9, 11)
HARMONIC_MINOR = (0, 2, 3, 5, 7, 8, 11)


def _head(rng, n_chroma=12, n_profiles=5) -> KeyProfileHead:
    torch.manual_seed(int(rng.integers(1 << 31)))
    return KeyProfileHead(n_chroma, n_profiles).eval()


def test_head_matches_a_by_hand_correlation_at_every_shift(rng):
    head = _head(rng)
    chroma = rng.uniform(0, 1, (4, 12, 37)).astype(np.float32)
    with torch.no_grad():
        got = head(torch.from_numpy(chroma)).numpy()
    mean = chroma.astype(np.float64).mean(axis=-1)
    z = (mean - mean.mean(-1, keepdims=True)) / (mean.std(-1, ddof=1, keepdims=True) + 1e-6)
    w = head.profiles.weight.detach().numpy()[:, 0].astype(np.float64)  # (profiles, 12)
    b = head.profiles.bias.detach().numpy().astype(np.float64)
    shifted = np.stack([np.roll(z, -s, axis=-1) for s in range(12)], axis=1)  # (clips, shift, 12)
    expected = np.maximum(np.einsum("csj,pj->cps", shifted, w) + b[:, None], 0).max(axis=-1)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    assert got.shape == (4, 5) and np.ptp(got, axis=0).max() > 0  # clips differ


@pytest.mark.parametrize("n_chroma", [12, 24])
def test_head_is_blind_to_transposition(rng, n_chroma):
    head = _head(rng, n_chroma)
    chroma = torch.from_numpy(rng.uniform(0, 1, (3, n_chroma, 20)).astype(np.float32))
    with torch.no_grad():
        plain = head(chroma)
        for shift in (1, 5, n_chroma - 1):
            torch.testing.assert_close(head(torch.roll(chroma, shift, dims=1)), plain, rtol=1e-5, atol=1e-5)
        assert not torch.allclose(head(chroma.flip(1)), plain, atol=1e-3)  # a reflection is not a transposition


def _chord_chroma(rng, scale, n_frames=40) -> np.ndarray:
    """Chroma frames of triads of a scale in a random key, with noise: (12, n_frames)."""
    key = int(rng.integers(12))
    chroma = rng.uniform(0, 0.3, (12, n_frames))
    for t in range(n_frames):
        degree = int(rng.integers(7))
        for step in (0, 2, 4):
            chroma[(key + scale[(degree + step) % 7]) % 12, t] += 1.0
    return chroma / chroma.max(axis=0)


def test_head_learns_the_mode_in_any_key(rng):
    torch.manual_seed(int(rng.integers(1 << 31)))
    minor = rng.random(400) < 0.5
    X = torch.tensor(np.stack([_chord_chroma(rng, HARMONIC_MINOR if m else MAJOR) for m in minor]), dtype=torch.float32)
    head, out = KeyProfileHead(12, 8), torch.nn.Linear(8, 1)
    optimizer = torch.optim.Adam([*head.parameters(), *out.parameters()], lr=1e-2)
    y = torch.tensor(minor, dtype=torch.float32)
    for _ in range(150):
        loss = torch.nn.functional.binary_cross_entropy_with_logits(out(head(X[:300]))[:, 0], y[:300])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        scores = out(head(X[300:]))[:, 0].numpy()
    auc = roc_auc_score(minor[300:], scores)
    print(f"key head, minor vs major on 100 held-out clips in random keys: ROC-AUC {auc:.3f}")
    assert auc >= 0.95


def test_fcn_with_chroma_rows(rng):
    n_tags = int(rng.integers(3, 30))
    torch.manual_seed(0)
    plain = FCN(n_tags, n_layers=4, channels=(4, 8, 8, 16))
    torch.manual_seed(0)
    model = FCN(n_tags, n_layers=4, channels=(4, 8, 8, 16), n_chroma=12, n_profiles=6).eval()
    n_plain = sum(p.numel() for p in plain.parameters())
    # the head's 6 profiles of 12 weights and a bias, and 6 more inputs of the output layer
    assert sum(p.numel() for p in model.parameters()) == n_plain + 6 * 13 + 6 * n_tags
    assert model.feature_mean.shape == (108, 1) and model.hparams["n_chroma"] == 12
    assert "n_chroma" not in plain.hparams  # a log-mel FCN's config is as before
    mel = rng.normal(-30, 15, (2, 96, 50)).astype(np.float32)
    chroma = rng.uniform(0, 1, (2, 12, 50)).astype(np.float32)
    x = torch.from_numpy(np.concatenate([mel, chroma], axis=1))
    rolled = torch.from_numpy(np.concatenate([mel, np.roll(chroma, 7, axis=1)], axis=1))
    other = torch.from_numpy(np.concatenate([mel, chroma[::-1].copy()], axis=1))
    with torch.no_grad():
        logits = model(x)
        assert logits.shape == (2, n_tags)
        torch.testing.assert_close(model(rolled), logits, rtol=1e-5, atol=1e-5)
        assert not torch.allclose(model(other), logits, atol=1e-4)  # the chroma rows are used


def test_logmel_chroma_features_are_logmel_then_chroma(music):
    params = LogMelChroma(seconds=1.5)
    y = music(params.n_samples, sr=params.sr, shape=(2,))
    got = params(y)
    assert got.shape == (2, 108, params.n_frames) == (2, params.n_features, 1 + params.n_samples // 256)
    np.testing.assert_array_equal(got[:, :96], fasttag.logmel(y, sr=12000, n_fft=512, hop_length=256, n_mels=96))
    chroma = fasttag.chroma_stft(y, sr=12000, n_fft=4096, hop_length=256, tuning=0.0)
    np.testing.assert_array_equal(got[:, 96:], chroma)
    assert got.dtype == np.float32 and np.allclose(got[:, 96:].max(axis=1), 1.0)


def test_chroma_fcn_run_round_trip(tmp_path, music):
    params = LogMelChroma(seconds=1.0)
    X = params(music(params.n_samples, sr=params.sr, shape=(12,)))
    Y = (np.arange(24).reshape(12, 2) % 3 == 0).astype(np.float32)
    torch.manual_seed(1)
    model = build_model("fcn4", params.n_features, 2, channels=[2, 2, 4, 4], n_chroma=params.n_chroma)
    train(model, X[:8], Y[:8], X[8:], Y[8:], epochs=2, seed=0, progress=False)
    save_run(tmp_path / "run", model, tags=["a", "b"], features=params)
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["features"]["kind"] == "logmel-chroma" and config["model"]["hparams"]["n_chroma"] == 12
    run = load_run(tmp_path / "run")
    np.testing.assert_array_equal(predict(run.model, X), predict(model, X))
    with pytest.raises(fasttag.ParameterError, match="CNN frames need an FCN on log-mel alone"):
        CNNFrames(run.model, ("a", "b"), LogMel(seconds=1.0))


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: KeyProfileHead(1), "n_chroma=1"),
        (lambda: KeyProfileHead(12, 0), "n_profiles=0"),
        (lambda: FCN(5, n_chroma=1), "n_chroma=1"),
        (lambda: FCN(5, n_chroma=-12), "n_chroma=-12"),
        (lambda: build_model("lstm", 108, 5, n_chroma=12), "--model lstm takes no chroma rows"),
        (lambda: LogMelChroma(n_chroma=0), "n_chroma=0"),
        (lambda: LogMelChroma(chroma_n_fft=1.5), "chroma_n_fft=1.5"),
    ],
)
def test_bad_arguments(make, match):
    with pytest.raises(fasttag.ParameterError, match=match):
        make()


@pytest.mark.parametrize(
    ("chroma", "match"),
    [
        (torch.rand(2, 11, 10), r"chroma must have shape \(batch, 12, n_frames\) for this KeyProfileHead, "
                                r"got \(2, 11, 10\)"),
        (torch.rand(2, 24, 10), r"got \(2, 24, 10\)"),
        (torch.rand(12, 10), r"got \(12, 10\)"),
        (torch.rand(2, 12, 0), r"got \(2, 12, 0\)"),
        (torch.rand(2, 12, 10, dtype=torch.float64), "chroma has dtype torch.float64 but this KeyProfileHead"),
        (np.ones((2, 12, 10), np.float32), "chroma must be a torch.Tensor"),
    ],
)
def test_head_names_a_bad_input(chroma, match):
    """Another pitch-class count scored silently, no frames gave NaN, no batch axis an IndexError."""
    with pytest.raises(fasttag.ParameterError, match=match):
        KeyProfileHead(12, 4)(chroma)
