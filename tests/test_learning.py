"""The issue's learning check on generated music: 2,000 clips of 5 s (70/15/15 % split).

The FCN and the study's MFCC (90) + LSTM must reach macro ROC-AUC >= 0.85 on the held-out
clips, and the same training on shuffled labels (tag frequencies kept, audio unrelated) must
stay within 0.1 of chance. Log-mel, MFCC and log-mel + chroma features are computed once for
all four tests; the whole module takes about 8 minutes on 2 CPU cores.

Why 2,000 clips of 5 s and not the issue's example of 300 of 10 s: the bar depends on the
number of training clips far more than on their length. Measured on 2 CPU cores (seed 7),
FCN-4 (8, 16, 64, 128), lr 3e-3, 30 epochs / MFCC + LSTM (1 x 64, mean over frames, lr 1e-2):

    clips x seconds   train clips   FCN     LSTM    FCN time
    300 x 10          210           0.838   0.765
    600 x 10          420           0.896   0.819   ~300 s
    1200 x 5          840           0.911   0.840
    2000 x 5          1400          0.937   0.866   194 s

The study's last-state LSTM summary (2 x 64, lr 3e-3) reached 0.629 at 300 x 10. Per tag, MFCCs
keep little pitch, so the LSTM's major / minor stay at 0.5 (the FCN's reach 0.68); its tempo
tags (fast 0.75, slow 0.79) and piano (0.75) are the next weakest. The same FCN with chroma
rows and a key-profile head (`fasttag.models.KeyProfileHead`) must tell major from minor
(seed 457046388: macro 0.966, major and minor 0.977, against the FCN's 0.931 without the head).
"""

import numpy as np
import pytest
import torch

from fasttag.datasets import make_tagged_music, multi_hot, read_dataset
from fasttag.featurizers import MFCC, LogMel, LogMelChroma, load_clips
from fasttag.models import FCN, LSTMTagger
from fasttag.training import evaluate, train

N_TRACKS, SECONDS = 2000, 5.0
BAR = 0.85


@pytest.fixture(scope="module")
def collection(request, tmp_path_factory, seed_for):
    """Log-mels, MFCCs, labels and split of 300 generated clips, and the seed they came from."""
    seed = seed_for(request.node.nodeid) % 2**31
    manifest = make_tagged_music(N_TRACKS, seconds=SECONDS, seed=seed, out=tmp_path_factory.mktemp("learning"),
                                 workers=-1)  # fmt: skip
    dataset = read_dataset(manifest)
    logmel, mfcc = LogMel(seconds=SECONDS), MFCC(seconds=SECONDS)
    audio = load_clips([t.path for t in dataset.tracks], logmel.sr, logmel.n_samples)
    split = np.array([t.split for t in dataset.tracks])
    Y = np.asarray(multi_hot(dataset.tracks, dataset.vocabulary), dtype=np.float32)
    return {"logmel": logmel(audio), "mfcc": mfcc(audio), "logmel-chroma": LogMelChroma(seconds=SECONDS)(audio),
            "Y": Y, "split": split, "tags": list(dataset.vocabulary), "seed": seed}  # fmt: skip


def _test_scores(data, features, model, Y=None, **options):
    """Train on the train split (early stopping on valid), return the `TagScores` of the test split."""
    X, Y, split = data[features], data["Y"] if Y is None else Y, data["split"]
    parts = [(X[split == s], Y[split == s]) for s in ("train", "valid", "test")]
    train(model, *parts[0], *parts[1], seed=data["seed"], progress=False, **options)
    return evaluate(model, *parts[2], data["tags"])


def _test_auc(data, features, model, Y=None, **options):
    """The macro ROC-AUC on the test split after `_test_scores`' training."""
    return _test_scores(data, features, model, Y, **options).macro_roc_auc


def _lstm(data):
    torch.manual_seed(data["seed"])
    return LSTMTagger(data["mfcc"].shape[1], len(data["tags"]), hidden=64, n_layers=1, pooling="mean")


@pytest.mark.slow
def test_fcn_reaches_the_issue_bar(collection):
    torch.manual_seed(collection["seed"])
    model = FCN(len(collection["tags"]), n_layers=4, channels=(8, 16, 64, 128))
    auc = _test_auc(collection, "logmel", model, epochs=30, lr=3e-3)
    print(f"FCN-4: test macro ROC-AUC {auc:.3f} (seed {collection['seed']})")
    assert auc >= BAR, (auc, collection["seed"])


@pytest.mark.slow
def test_fcn_with_a_key_head_tells_major_from_minor(collection):
    torch.manual_seed(collection["seed"])
    model = FCN(len(collection["tags"]), n_layers=4, channels=(8, 16, 64, 128), n_chroma=12)
    scores = _test_scores(collection, "logmel-chroma", model, epochs=30, lr=3e-3)
    mode = {tag: float(scores.roc_auc[scores.tags.index(tag)]) for tag in ("major", "minor")}
    print(f"FCN-4 + key head: test macro ROC-AUC {scores.macro_roc_auc:.3f}, major {mode['major']:.3f}, "
          f"minor {mode['minor']:.3f} (seed {collection['seed']})")  # fmt: skip
    assert min(mode.values()) >= 0.9 and scores.macro_roc_auc >= BAR, (scores.macro_roc_auc, mode, collection["seed"])


@pytest.mark.slow
def test_mfcc_lstm_reaches_the_issue_bar(collection):
    auc = _test_auc(collection, "mfcc", _lstm(collection), epochs=30, lr=1e-2)
    print(f"MFCC + LSTM: test macro ROC-AUC {auc:.3f} (seed {collection['seed']})")
    assert auc >= BAR, (auc, collection["seed"])


@pytest.mark.slow
def test_shuffled_labels_stay_near_chance(collection):
    rng = np.random.default_rng(collection["seed"])
    shuffled = collection["Y"][rng.permutation(len(collection["Y"]))]
    real = _test_auc(collection, "mfcc", _lstm(collection), epochs=30, lr=1e-2)
    auc = _test_auc(collection, "mfcc", _lstm(collection), Y=shuffled, epochs=30, lr=1e-2)
    print(f"MFCC + LSTM: test macro ROC-AUC {real:.3f} on the real labels, {auc:.3f} on shuffled ones")
    assert abs(auc - 0.5) < 0.1, (auc, collection["seed"])
    assert real > auc + 0.15, (real, auc, collection["seed"])  # the same recipe does learn the real labels
