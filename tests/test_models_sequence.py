"""LSTMTagger and CRNN: shapes, parameter counts from the layer sizes, the LSTM by hand, checkpoints."""

import numpy as np
import pytest
import torch

import fasttag
from fasttag.models import CRNN, FCN, MLP, MODELS, LSTMTagger
from fasttag.training import load_run, predict, save_run, train

# Choi et al. (2017), CRNN for a 96 x 1366 input zero-padded to 96 x 1440:
# (channels, pool, output mels x frames) per conv block, then 2 GRU layers of 32 units.
CHOI_CRNN = [(64, (2, 2), (48, 720)), (128, (3, 3), (16, 240)), (128, (4, 4), (4, 60)), (128, (4, 4), (1, 15))]


def _n_params(module):
    return sum(p.numel() for p in module.parameters())


def _lstm_params(n_in, hidden, n_layers):
    # four gates, each with input and recurrent weights and PyTorch's two bias vectors
    return sum(4 * hidden * ((n_in if k == 0 else hidden) + hidden + 2) for k in range(n_layers))


def _gru_params(n_in, hidden, n_layers):
    # three gates, each with input and recurrent weights and two bias vectors
    return sum(3 * hidden * ((n_in if k == 0 else hidden) + hidden + 2) for k in range(n_layers))


def _tensor(rng, shape, loc=0.0, scale=1.0):
    return torch.from_numpy(rng.normal(loc, scale, shape).astype(np.float32))


# ----------------------------------------------------------------------------- LSTMTagger


def test_lstm_parameters_and_shapes(rng):
    n_features, n_tags, hidden, n_layers = (int(v) for v in (rng.integers(5, 100), rng.integers(2, 60),
                                                             rng.integers(4, 64), rng.integers(1, 4)))  # fmt: skip
    model = LSTMTagger(n_features, n_tags, hidden=hidden, n_layers=n_layers).eval()
    assert _n_params(model) == _lstm_params(n_features, hidden, n_layers) + (hidden + 1) * n_tags
    assert _n_params(LSTMTagger(90, 50)) == _lstm_params(90, 128, 2) + 129 * 50  # the defaults: 2 x 128
    n_frames = int(rng.integers(1, 300))
    with torch.no_grad():
        logits = model(_tensor(rng, (3, n_features, n_frames)))
    assert logits.shape == (3, n_tags) and logits.dtype == torch.float32


def _lstm_by_hand(model, x):
    """The LSTM equations in float64 numpy with the model's weights; x is (n_features, n_frames)."""
    sigmoid = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    mean, std = (b.double().numpy() for b in (model.feature_mean, model.feature_std))
    seq = ((x - mean) / std).T  # (n_frames, n_features)
    for k in range(model.hparams["n_layers"]):
        w_ih, w_hh, b_ih, b_hh = (getattr(model.lstm, f"{n}_l{k}").detach().double().numpy()
                                  for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))  # fmt: skip
        h = c = np.zeros(w_hh.shape[1])
        out = []
        for frame in seq:
            i, f, g, o = np.split(w_ih @ frame + b_ih + w_hh @ h + b_hh, 4)
            c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
            h = sigmoid(o) * np.tanh(c)
            out.append(h)
        seq = np.array(out)
    return model.out.weight.detach().double().numpy() @ h + model.out.bias.detach().double().numpy()


def test_lstm_is_sequence_to_one_by_hand(rng):
    model = LSTMTagger(6, 4, hidden=5, n_layers=2).eval()
    with torch.no_grad():
        model.feature_mean.copy_(_tensor(rng, (6, 1), 3.0))
        model.feature_std.copy_(torch.from_numpy(rng.uniform(0.5, 2, (6, 1)).astype(np.float32)))
    x = rng.normal(3, 2, (2, 6, int(rng.integers(5, 40)))).astype(np.float32)
    with torch.no_grad():
        logits = model(torch.from_numpy(x)).double().numpy()
    for b in range(2):
        np.testing.assert_allclose(logits[b], _lstm_by_hand(model, x[b].astype(np.float64)), rtol=1e-4, atol=1e-5)
    assert not np.allclose(logits[0], logits[1])


def test_lstm_standardizes_per_feature(rng):
    model = LSTMTagger(8, 3, hidden=6).eval()
    mean, std = _tensor(rng, (8, 1)), torch.from_numpy(rng.uniform(0.5, 2, (8, 1)).astype(np.float32))
    x = _tensor(rng, (2, 8, 20))
    with torch.no_grad():
        plain = model(x)
        model.feature_mean.copy_(mean)
        model.feature_std.copy_(std)
        torch.testing.assert_close(model(x * std + mean), plain, rtol=1e-4, atol=1e-5)


# ----------------------------------------------------------------------------- CRNN


def test_crnn_at_choi_input(rng):
    n_tags = int(rng.integers(10, 60))
    model = CRNN(n_tags).eval()
    channels = [1] + [c for c, _, _ in CHOI_CRNN]
    conv = sum(9 * a * b + 2 * b for a, b in zip(channels, channels[1:]))  # no conv bias; batch norm scale + shift
    assert _n_params(model) == conv + _gru_params(128, 32, 2) + 33 * n_tags
    shapes, gru_in = [], []
    for block in model.blocks:
        block.register_forward_hook(lambda module, args, out: shapes.append(tuple(out.shape)))
    model.gru.register_forward_hook(lambda module, args, out: gru_in.append(tuple(args[0].shape)))
    with torch.no_grad():
        logits = model(_tensor(rng, (2, 96, 1366), -30, 15))
    assert logits.shape == (2, n_tags)
    assert shapes == [(2, c, *out) for c, _, out in CHOI_CRNN]
    assert gru_in == [(2, 15, 128)]  # 15 steps of 128 channels x 1 mel row


@pytest.mark.parametrize(("n_mels", "n_frames"), [(96, 1), (96, 94), (40, 37), (128, 500)])
def test_crnn_takes_any_input_size(n_mels, n_frames, rng):
    channels = [int(c) for c in rng.integers(2, 9, 4)]
    hidden = int(rng.integers(2, 12))
    model = CRNN(7, n_mels=n_mels, channels=channels, hidden=hidden).eval()
    mels = n_mels
    for p in (2, 3, 4, 4):
        mels //= min(p, mels)
    assert _n_params(model) == (sum(9 * a * b + 2 * b for a, b in zip([1] + channels, channels))
                                + _gru_params(channels[-1] * mels, hidden, 2) + (hidden + 1) * 7)  # fmt: skip
    with torch.no_grad():
        assert model(_tensor(rng, (3, n_mels, n_frames))).shape == (3, 7)


def test_crnn_items_are_independent_and_standardized(rng):
    model = CRNN(5, n_mels=32, channels=(4, 8, 8, 8), hidden=6).eval()
    x = _tensor(rng, (4, 32, 100))
    with torch.no_grad():
        batched, single = model(x), torch.cat([model(x[i : i + 1]) for i in range(4)])
        torch.testing.assert_close(batched, single, rtol=1e-4, atol=1e-5)
        assert not torch.allclose(batched[0], batched[1])
        mean, std = _tensor(rng, (32, 1)), torch.from_numpy(rng.uniform(0.5, 2, (32, 1)).astype(np.float32))
        model.feature_mean.copy_(mean)
        model.feature_std.copy_(std)
        torch.testing.assert_close(model(x * std + mean), batched, rtol=1e-4, atol=1e-4)


# ----------------------------------------------------------------------------- registry and checkpoints


def test_registry_names_are_class_names():
    assert MODELS["LSTMTagger"] is LSTMTagger and MODELS["CRNN"] is CRNN
    assert all(cls.__name__ == name for name, cls in MODELS.items())


CHECKPOINTED = {
    "FCN": (lambda n_tags: FCN(n_tags, n_mels=16, n_layers=4, channels=(4, 4, 8, 8)), (16, 40)),
    "MLP": (lambda n_tags: MLP(12, n_tags, hidden=8), (12,)),
    "LSTMTagger": (lambda n_tags: LSTMTagger(10, n_tags, hidden=6), (10, 30)),
    "CRNN": (lambda n_tags: CRNN(n_tags, n_mels=16, channels=(4, 4, 8, 8), hidden=5), (16, 40)),
}


@pytest.mark.parametrize("name", list(CHECKPOINTED))
def test_checkpoint_round_trip_predicts_the_same(tmp_path, rng, name):
    make, shape = CHECKPOINTED[name]
    n_tags = int(rng.integers(2, 6))
    torch.manual_seed(int(rng.integers(2**31)))
    model = make(n_tags)
    X = rng.normal(5, 3, (24, *shape)).astype(np.float32)
    Y = (rng.random((24, n_tags)) < 0.5).astype(np.float32)
    Y[:2], Y[2:4] = 1, 0  # every tag has positives and negatives everywhere
    Y[16:18], Y[18:20] = 1, 0
    train(model, X[:16], Y[:16], X[16:], Y[16:], epochs=1, batch_size=8, seed=1, progress=False)
    tags = [f"tag{j}" for j in range(n_tags)]
    save_run(tmp_path, model, tags=tags, features={"sr": 1, "n_fft": 1, "hop_length": 1, "n_mels": 1, "seconds": 1})
    run = load_run(tmp_path)
    assert type(run.model) is type(model) and run.model.hparams == model.hparams and run.tags == tags
    for key, value in model.state_dict().items():
        torch.testing.assert_close(run.model.state_dict()[key], value, rtol=0, atol=0)
    assert model.feature_std.abs().sum() != model.feature_std.numel()  # fitted, not the initial ones
    fresh = rng.normal(5, 3, (5, *shape)).astype(np.float32)
    np.testing.assert_array_equal(predict(run.model, fresh), predict(model, fresh))


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: LSTMTagger(0, 5), "n_features=0"),
        (lambda: LSTMTagger(90, 5, hidden=0), "hidden=0"),
        (lambda: LSTMTagger(90, 5, n_layers=0), "n_layers=0"),
        (lambda: LSTMTagger(90, 5, dropout=1.0), "dropout=1.0"),
        (lambda: CRNN(0), "n_tags=0"),
        (lambda: CRNN(5, channels=(8, 8, 8)), "channels=\\[8, 8, 8\\]"),
        (lambda: CRNN(5, hidden=-1), "hidden=-1"),
        (lambda: CRNN(5, gru_layers=0), "gru_layers=0"),
        (lambda: CRNN(5, out_dropout=-0.1), "out_dropout=-0.1"),
    ],
)
def test_bad_arguments(make, match):
    with pytest.raises(fasttag.ParameterError, match=match):
        make()
