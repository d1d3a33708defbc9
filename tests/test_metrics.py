"""ROC-AUC / PR-AUC per tag and averaged, against scikit-learn."""

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

import fasttag
from fasttag.metrics import pr_auc_per_tag, roc_auc_per_tag, summarize


def _data(rng, n=60, n_tags=7):
    """Labels with both classes in every column, and scores correlated with them."""
    y = (rng.random((n, n_tags)) < rng.uniform(0.1, 0.6, n_tags)).astype(np.float32)
    y[0], y[1] = 1, 0
    return y, y * rng.uniform(0, 2, n_tags) + rng.standard_normal((n, n_tags))


def test_per_tag_scores_match_sklearn(rng):
    y, score = _data(rng)
    roc, pr = roc_auc_per_tag(y, score), pr_auc_per_tag(y, score)
    for j in range(y.shape[1]):
        assert roc[j] == pytest.approx(roc_auc_score(y[:, j], score[:, j]), abs=1e-12)
        assert pr[j] == pytest.approx(average_precision_score(y[:, j], score[:, j]), abs=1e-12)
    assert len(set(np.round(roc, 12))) > 1  # the tags really differ


def test_summary_matches_sklearn_averages(rng):
    y, score = _data(rng)
    tags = [f"t{j}" for j in range(y.shape[1])]
    s = summarize(y, score, tags)
    assert s.undefined == [] and s.tags == tags
    np.testing.assert_array_equal(s.positives, y.sum(0))
    for average in ("macro", "micro"):
        assert getattr(s, f"{average}_roc_auc") == pytest.approx(roc_auc_score(y, score, average=average))
        assert getattr(s, f"{average}_pr_auc") == pytest.approx(average_precision_score(y, score, average=average))
    table = s.table()
    assert all(tag in table for tag in tags) and f"{s.macro_roc_auc:.3f}" in table


@pytest.mark.parametrize("constant", [0.0, 1.0])
def test_tag_without_positives_or_negatives_is_nan_and_left_out(rng, constant):
    y, score = _data(rng)
    j = int(rng.integers(y.shape[1]))
    y[:, j] = constant
    tags = [f"t{k}" for k in range(y.shape[1])]
    s = summarize(y, score, tags)
    assert np.isnan(s.roc_auc[j]) and np.isnan(s.pr_auc[j])
    assert not np.isnan(np.delete(s.roc_auc, j)).any()
    assert s.undefined == [tags[j]] and tags[j] in s.table()
    kept = np.delete(np.arange(y.shape[1]), j)
    assert s.macro_roc_auc == pytest.approx(roc_auc_score(y[:, kept], score[:, kept], average="macro"))
    assert s.macro_pr_auc == pytest.approx(average_precision_score(y[:, kept], score[:, kept], average="macro"))


def test_extremes(rng):
    y, _ = _data(rng)
    assert np.all(roc_auc_per_tag(y, y) == 1.0) and np.all(pr_auc_per_tag(y, y) == 1.0)
    assert np.all(roc_auc_per_tag(y, -y) == 0.0)


def test_nothing_defined_gives_nan_averages():
    s = summarize(np.zeros((4, 2)), np.ones((4, 2)), ["a", "b"])
    assert np.isnan(s.macro_roc_auc) and np.isnan(s.micro_roc_auc) and s.undefined == ["a", "b"]


@pytest.mark.parametrize(
    ("y", "score", "match"),
    [
        (np.zeros((4, 2)), np.zeros((4, 3)), "must be the same"),
        (np.zeros(4), np.zeros(4), "must be the same"),
        (np.full((4, 2), 2.0), np.zeros((4, 2)), "only 0 and 1"),
        (np.zeros((4, 2)), np.full((4, 2), np.nan), "finite"),
        (np.eye(4, 2), np.ones((4, 2), complex), "y_score must be real numbers, got dtype complex128"),
        (np.zeros((0, 3)), np.zeros((0, 3)), r"at least one track and one tag; got shape \(0, 3\)"),
        (np.zeros((4, 0)), np.zeros((4, 0)), r"at least one track and one tag; got shape \(4, 0\)"),
    ],
)
def test_bad_input(y, score, match):
    with pytest.raises(fasttag.ParameterError, match=match):
        roc_auc_per_tag(y, score)


def test_tag_names_must_match_columns(rng):
    y, score = _data(rng)
    with pytest.raises(fasttag.ParameterError, match="len\\(tags\\)=2"):
        summarize(y, score, ["a", "b"])
    for tags in ("abc", None, list(range(y.shape[1]))):  # a string was split into its letters
        with pytest.raises(fasttag.ParameterError, match="tags must be a sequence of strings"):
            summarize(y, score, tags)


def test_hard_decisions_are_scored_as_scikit_learn_scores_them(rng):
    y, score = _data(rng)
    decided = score > np.median(score)
    expected = [roc_auc_score(y[:, k], decided[:, k]) for k in range(y.shape[1])]
    np.testing.assert_allclose(roc_auc_per_tag(y, decided), expected, rtol=1e-12)


def test_torch_tensors_with_grad_are_scored_as_their_values(rng):
    """Scores straight from a model (a tensor that requires grad) are detached, not refused by numpy."""
    torch = pytest.importorskip("torch")
    y, score = _data(rng)
    scores = torch.tensor(score, requires_grad=True) * 1.0
    tags = [f"t{j}" for j in range(y.shape[1])]
    got = summarize(torch.from_numpy(y), scores, tags)
    assert got.macro_roc_auc == pytest.approx(roc_auc_score(y, score, average="macro"), abs=1e-12)
    assert got.micro_pr_auc == pytest.approx(average_precision_score(y, score, average="micro"), abs=1e-12)
