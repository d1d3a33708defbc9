"""FCN and MLP: shapes and parameter counts against Choi et al.'s layer table."""

import json

import numpy as np
import pytest
import torch

import fasttag
from fasttag.models import CRNN, FCN, MLP, LSTMTagger

# Choi et al. (2016), Table 1: (channels, pool, output mels x frames) per layer, input 96 x 1366.
CHOI = {
    4: [(128, (2, 4), (48, 341)), (384, (4, 5), (12, 68)), (768, (3, 8), (4, 8)), (2048, (4, 8), (1, 1))],
    5: [
        (128, (2, 4), (48, 341)),
        (256, (2, 4), (24, 85)),
        (512, (2, 4), (12, 21)),
        (1024, (3, 5), (4, 4)),
        (2048, (4, 4), (1, 1)),
    ],
}


def _n_params(module):
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("n_layers", [4, 5])
def test_fcn_at_choi_input(n_layers, rng):
    n_tags = int(rng.integers(10, 60))
    table = CHOI[n_layers]
    model = FCN(n_tags, n_mels=96, n_layers=n_layers).eval()
    # conv 3x3 without bias (batch norm follows) + batch norm scale and shift, then the output layer
    channels = [1] + [c for c, _, _ in table]
    expected = sum(9 * a * b + 2 * b for a, b in zip(channels, channels[1:])) + (channels[-1] + 1) * n_tags
    assert _n_params(model) == expected
    shapes = []
    for block in model.blocks:
        block.register_forward_hook(lambda module, args, out: shapes.append(tuple(out.shape)))
    x = torch.from_numpy(rng.normal(-30, 15, (2, 96, 1366)).astype(np.float32))
    with torch.no_grad():
        logits = model(x)
    assert logits.shape == (2, n_tags) and logits.dtype == torch.float32
    assert shapes == [(2, c, *out) for c, _, out in table]


@pytest.mark.parametrize("n_layers", [4, 5])
@pytest.mark.parametrize(("n_mels", "n_frames"), [(96, 1), (96, 469), (40, 37), (128, 2000)])
def test_fcn_takes_any_input_size(n_layers, n_mels, n_frames, rng):
    model = FCN(7, n_mels=n_mels, n_layers=n_layers, channels=[4] * n_layers).eval()
    x = torch.from_numpy(rng.standard_normal((3, n_mels, n_frames)).astype(np.float32))
    with torch.no_grad():
        assert model(x).shape == (3, 7)


def test_fcn_items_are_independent_in_eval_mode(rng):
    model = FCN(5, n_layers=4, channels=(4, 8, 8, 8)).eval()
    x = torch.from_numpy(rng.standard_normal((4, 96, 100)).astype(np.float32))
    with torch.no_grad():
        batched, single = model(x), torch.cat([model(x[i : i + 1]) for i in range(4)])
    torch.testing.assert_close(batched, single, rtol=1e-4, atol=1e-5)
    assert not torch.allclose(batched[0], batched[1])


def test_fcn_standardizes_per_mel_bin(rng):
    model = FCN(3, n_mels=16, n_layers=4, channels=(4, 4, 4, 4)).eval()
    mean = torch.from_numpy(rng.normal(size=(16, 1)).astype(np.float32))
    std = torch.from_numpy(rng.uniform(0.5, 2, size=(16, 1)).astype(np.float32))
    x = torch.from_numpy(rng.standard_normal((2, 16, 30)).astype(np.float32))
    with torch.no_grad():
        plain = model(x)
        model.feature_mean.copy_(mean)
        model.feature_std.copy_(std)
        torch.testing.assert_close(model(x * std + mean), plain, rtol=1e-4, atol=1e-4)
    assert {"feature_mean", "feature_std"} <= set(model.state_dict())


def test_mlp(rng):
    n_features, n_tags, hidden = (int(v) for v in rng.integers(5, 50, size=3))
    model = MLP(n_features, n_tags, hidden=hidden).eval()
    assert _n_params(model) == (n_features + 1) * hidden + (hidden + 1) * n_tags
    x = rng.standard_normal((6, n_features)).astype(np.float32)
    with torch.no_grad():
        logits = model(torch.from_numpy(x))
    assert logits.shape == (6, n_tags)
    # y = W2 ReLU(W1 f) + b2, by hand
    w1, b1, w2, b2 = (p.detach().numpy() for p in (*model.layers[0].parameters(), *model.layers[3].parameters()))
    np.testing.assert_allclose(logits.numpy(), np.maximum(x @ w1.T + b1, 0) @ w2.T + b2, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: FCN(0), "n_tags=0"),
        (lambda: FCN(5, n_layers=3), "n_layers=3"),
        (lambda: FCN(5, n_layers=4, channels=(8, 8, 8)), "channels=\\[8, 8, 8\\]"),
        (lambda: FCN(5, dropout=1.0), "dropout=1.0"),
        (lambda: FCN(5, activation="tanh"), "activation='tanh'"),
        (lambda: MLP(0, 5), "n_features=0"),
        (lambda: MLP(4, 5, hidden=-1), "hidden=-1"),
        (lambda: FCN(5, n_layers=4.0), "n_layers=4.0 must be 4 or 5"),
        (lambda: FCN(5, dropout="0.1"), r"dropout='0.1' must be a number in \[0, 1\)"),
        (lambda: FCN(5, activation=["elu"]), r"activation=\['elu'\] must be one of \['elu', 'relu'\]"),
        (lambda: MLP(4, 5, dropout=True), "dropout=True must be a number"),
        (lambda: FCN(5, n_profiles=-3), "n_profiles=-3 must be a positive integer"),  # checked without chroma too
    ],
)
def test_bad_arguments(make, match):
    with pytest.raises(fasttag.ParameterError, match=match):
        make()


def test_numpy_integers_are_taken_and_kept_as_ints():
    """Sizes that come out of numpy (a shape, an argmax) build the same model, and its hparams (a
    run's config.json) hold plain ints and floats."""
    fcn = FCN(np.int64(5), n_layers=np.int32(4), channels=np.array([4, 8, 8, 8]), dropout=np.float32(0.25))
    assert fcn.hparams == FCN(5, n_layers=4, channels=[4, 8, 8, 8], dropout=0.25).hparams
    assert json.loads(json.dumps(fcn.hparams)) == fcn.hparams
    keyed = FCN(5, n_layers=4, channels=(4, 8, 8, 8), n_chroma=np.int64(12), n_profiles=np.int64(6))
    assert type(keyed.hparams["n_profiles"]) is int and keyed.key_head.profiles.out_channels == 6
    mlp = MLP(np.int64(40), np.uint8(5), hidden=np.int16(16))
    assert [type(v) for v in mlp.hparams.values()] == [int, int, int, float]
    assert mlp(torch.randn(3, 40)).shape == (3, 5)


@pytest.mark.parametrize(
    ("model", "x", "match"),
    [
        (lambda: FCN(3, n_mels=96), torch.zeros(2, 128, 50),
         r"shape \(batch, 96, n_frames\) for this FCN, got \(2, 128, 50\)"),
        (lambda: FCN(3, n_mels=96), torch.zeros(96, 100), r"got \(96, 100\)"),
        (lambda: FCN(3, n_mels=96), torch.zeros(2, 96, 0), r"got \(2, 96, 0\)"),
        (lambda: CRNN(3, n_mels=40), torch.zeros(40, 100), r"shape \(batch, 40, n_frames\) for this CRNN"),
        (lambda: LSTMTagger(20, 3), torch.zeros(2, 20, 0), r"got \(2, 20, 0\)"),
        (lambda: LSTMTagger(20, 3), torch.zeros(20, 7), r"got \(20, 7\)"),
        (lambda: MLP(4, 3), torch.zeros(5, 4, dtype=torch.float64), "x has dtype torch.float64 but this MLP"),
        (lambda: MLP(4, 3), np.zeros((5, 4), np.float32),
         r"x must be a torch.Tensor of shape \(batch, 4\), got ndarray"),
    ],
)
def test_forward_names_a_bad_input(model, x, match):
    with pytest.raises(fasttag.ParameterError, match=match):
        model().eval()(x)
