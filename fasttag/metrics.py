"""Tagging scores: ROC-AUC and PR-AUC per tag, macro and micro averages (scikit-learn).

Labels and scores are ``(n_tracks, n_tags)`` array-likes or torch tensors (on any device, with or
without grad: they are detached and copied to the host), with at least one track and one tag.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score

from fasttag import _validate
from fasttag.errors import ParameterError


def host_array(values) -> np.ndarray:
    """``values`` as a numpy array; a torch tensor (on any device, with or without grad) is detached and copied
    to the host first (numpy 2 warns on ``np.array(tensor, dtype)``; a GPU tensor has no numpy view)."""
    if hasattr(values, "detach") and hasattr(values, "cpu"):
        values = values.detach().cpu().numpy()
    return np.asarray(values)


def _check(y_true, y_score) -> tuple[np.ndarray, np.ndarray]:
    """Validate a label matrix and a score matrix of the same shape; return them as arrays."""
    y_true, y_score = host_array(y_true), host_array(y_score)
    if y_true.ndim != 2 or y_true.shape != y_score.shape:
        raise ParameterError(
            f"y_true.shape={y_true.shape} and y_score.shape={y_score.shape} must be the same "
            "(n_tracks, n_tags)"
        )
    if 0 in y_true.shape:
        raise ParameterError(f"y_true must hold at least one track and one tag; got shape {y_true.shape}")
    if not np.isin(y_true, (0, 1)).all():
        raise ParameterError("y_true must hold only 0 and 1")
    if y_score.dtype == bool:  # hard decisions: scored as 0 and 1, as scikit-learn scores them
        y_score = y_score.astype(np.float64)
    if not np.issubdtype(y_score.dtype, np.number) or np.iscomplexobj(y_score):
        raise ParameterError(f"y_score must be real numbers, got dtype {y_score.dtype}")
    if not np.isfinite(y_score).all():
        raise ParameterError("y_score must be finite numbers (it holds NaN or infinite values)")
    return y_true, y_score


def _defined(y_true: np.ndarray) -> np.ndarray:
    """Tags with at least one positive and one negative track, shape (n_tags,) bool."""
    positives = y_true.sum(axis=0)
    return (positives > 0) & (positives < len(y_true))


def _per_tag(score, y_true, y_score) -> np.ndarray:
    y_true, y_score = _check(y_true, y_score)
    defined = _defined(y_true)
    return np.array(
        [score(y_true[:, j], y_score[:, j]) if ok else np.nan for j, ok in enumerate(defined)]
    )


def roc_auc_per_tag(y_true, y_score) -> np.ndarray:
    """Area under the ROC curve of each tag.

    Parameters
    ----------
    y_true : array_like [shape=(n_tracks, n_tags)]
        Labels, 0 or 1.
    y_score : array_like [shape=(n_tracks, n_tags)]
        Scores (probabilities or logits); higher means more likely.

    Returns
    -------
    auc : np.ndarray [shape=(n_tags,), dtype=float64]
        ROC-AUC per tag in [0, 1]; NaN for a tag whose tracks are all positive
        or all negative, where it is undefined.

    See Also
    --------
    pr_auc_per_tag, summarize
    """
    return _per_tag(roc_auc_score, y_true, y_score)


def pr_auc_per_tag(y_true, y_score) -> np.ndarray:
    """Area under the precision-recall curve (average precision) of each tag.

    Parameters
    ----------
    y_true : array_like [shape=(n_tracks, n_tags)]
        Labels, 0 or 1.
    y_score : array_like [shape=(n_tracks, n_tags)]
        Scores; higher means more likely.

    Returns
    -------
    ap : np.ndarray [shape=(n_tags,), dtype=float64]
        Average precision per tag in [0, 1] (chance level: the tag's
        frequency); NaN where `roc_auc_per_tag` is, so both average over the
        same tags.
    """
    return _per_tag(average_precision_score, y_true, y_score)


@dataclass(frozen=True)
class TagScores:
    """Per-tag and averaged scores of one evaluation (see `summarize`)."""

    tags: list[str]
    roc_auc: np.ndarray  #: (n_tags,), NaN where undefined
    pr_auc: np.ndarray  #: (n_tags,), NaN where undefined
    positives: np.ndarray  #: (n_tags,) number of positive tracks
    macro_roc_auc: float  #: mean over the defined tags
    macro_pr_auc: float
    micro_roc_auc: float  #: over all (track, tag) pairs pooled
    micro_pr_auc: float
    undefined: list[str]  #: tags left out of the macro averages

    def table(self) -> str:
        """The scores as a plain-text table, one tag per line, averages at the end."""
        width = max([len(tag) for tag in self.tags] + [8])
        lines = [f"{'tag':<{width}}  {'n_pos':>5}  {'ROC-AUC':>7}  {'PR-AUC':>7}"]
        for tag, n, roc, pr in zip(self.tags, self.positives, self.roc_auc, self.pr_auc):
            lines.append(f"{tag:<{width}}  {n:>5d}  {roc:>7.3f}  {pr:>7.3f}")
        lines.append(f"{'macro':<{width}}  {'':>5}  {self.macro_roc_auc:>7.3f}  {self.macro_pr_auc:>7.3f}")
        lines.append(f"{'micro':<{width}}  {'':>5}  {self.micro_roc_auc:>7.3f}  {self.micro_pr_auc:>7.3f}")
        if self.undefined:
            lines.append(f"undefined (no positives or no negatives): {', '.join(self.undefined)}")
        return "\n".join(lines)


def summarize(y_true, y_score, tags) -> TagScores:
    """ROC-AUC and PR-AUC per tag with their macro and micro averages.

    Parameters
    ----------
    y_true : array_like [shape=(n_tracks, n_tags)]
        Labels, 0 or 1.
    y_score : array_like [shape=(n_tracks, n_tags)]
        Scores; higher means more likely.
    tags : sequence of str [shape=(n_tags,)]
        Tag names, one per column.

    Returns
    -------
    scores : TagScores
        Tags without positives or without negatives get NaN, are listed in
        ``undefined`` and are left out of the macro averages (NaN if no tag is
        defined). The micro averages pool all (track, tag) pairs, so they count
        every tag; NaN if the pooled labels are all equal.
    """
    y_true, y_score = _check(y_true, y_score)
    tags = _validate.strings(tags, "tags")
    if len(tags) != y_true.shape[1]:
        raise ParameterError(f"len(tags)={len(tags)} must equal n_tags={y_true.shape[1]}")
    roc, pr = roc_auc_per_tag(y_true, y_score), pr_auc_per_tag(y_true, y_score)
    defined = _defined(y_true)
    pooled = _defined(y_true.reshape(-1, 1))[0]
    flat = (y_true.ravel(), y_score.ravel())
    return TagScores(
        tags=tags,
        roc_auc=roc,
        pr_auc=pr,
        positives=y_true.sum(axis=0).astype(int),
        macro_roc_auc=float(roc[defined].mean()) if defined.any() else float("nan"),
        macro_pr_auc=float(pr[defined].mean()) if defined.any() else float("nan"),
        micro_roc_auc=float(roc_auc_score(*flat)) if pooled else float("nan"),
        micro_pr_auc=float(average_precision_score(*flat)) if pooled else float("nan"),
        undefined=[tag for tag, ok in zip(tags, defined) if not ok],
    )
