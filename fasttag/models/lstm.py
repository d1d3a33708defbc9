"""A sequence-to-one LSTM tagger on frame features (e.g. 30 MFCC + deltas = 90 per frame)."""

from __future__ import annotations

import torch
from torch import nn

from fasttag import _validate
from fasttag.models import _hparams
from fasttag.models._inputs import standardised_input


#: How `LSTMTagger` summarises a clip: the state after the last frame, or the mean state.
POOLINGS = ("last", "mean")


class LSTMTagger(nn.Module):
    """Stacked LSTM over the frames, its last hidden state -> one logit per tag.

    The features are standardised per feature (buffers ``feature_mean``,
    ``feature_std`` of shape (n_features, 1), fitted by
    `fasttag.training.fit_standardization`), read frame by frame by an
    ``n_layers`` LSTM (dropout between layers), and the top layer's hidden
    state after the last frame goes through dropout and a linear layer: the
    temporal summary and classifier of the founding study's "MFCC + LSTM"
    system. The sigmoid of the output is left to the loss and to
    `fasttag.training.predict`: `forward` returns logits.

    ==========  ==========================================  ==================================
    stage       operation                                   output, per clip
    ==========  ==========================================  ==================================
    input       standardise per feature, frames first        n_frames x n_features
    LSTM 1      ``hidden`` units                            n_frames x hidden
    LSTM 2..n   ``hidden`` units, dropout on their input    n_frames x hidden
    summary     top layer's state after the last frame       hidden
                (``pooling="mean"``: its mean over frames)
    output      dropout, linear                             n_tags (logits)
    ==========  ==========================================  ==================================

    Parameters (PyTorch's LSTM has two bias vectors per layer):
    ``4 hidden (n_in + hidden + 2)`` per layer, ``n_in`` being ``n_features``
    for the first and ``hidden`` for the others, plus ``(hidden + 1) n_tags``.

    Parameters
    ----------
    n_features : int > 0
        Features per frame (90 for 30 MFCC with deltas and delta-deltas).
    n_tags : int > 0
        Number of tags (outputs).
    hidden : int > 0
        Units per LSTM layer.
    n_layers : int > 0
        LSTM layers (2 in the study).
    dropout : float in [0, 1)
        Dropout between LSTM layers and before the output layer.
    pooling : {"last", "mean"}
        The clip's summary: the top layer's hidden state after the last frame
        (sequence to one, as in the study), or its mean over all frames, which
        lets every frame reach the output directly (no long back-propagation
        through time on long clips).

    Examples
    --------
    >>> import torch
    >>> from fasttag.models import LSTMTagger
    >>> model = LSTMTagger(90, 50, hidden=64)
    >>> model(torch.zeros(2, 90, 1366)).shape
    torch.Size([2, 50])
    """

    def __init__(self, n_features: int, n_tags: int, *, hidden: int = 128, n_layers: int = 2, dropout: float = 0.1,
                 pooling: str = "last"):  # fmt: skip
        super().__init__()
        n_features, n_tags = _validate.positive_int(n_features, "n_features"), _validate.positive_int(n_tags, "n_tags")
        hidden, n_layers = _validate.positive_int(hidden, "hidden"), _validate.positive_int(n_layers, "n_layers")
        dropout = _hparams.rate(dropout, "dropout")
        pooling = _hparams.option(pooling, POOLINGS, "pooling")
        self.hparams = {
            "n_features": n_features, "n_tags": n_tags, "hidden": hidden, "n_layers": n_layers, "dropout": dropout,
            "pooling": pooling,
        }  # fmt: skip
        self.register_buffer("feature_mean", torch.zeros(n_features, 1))
        self.register_buffer("feature_std", torch.ones(n_features, 1))
        self.lstm = nn.LSTM(n_features, hidden, num_layers=n_layers, batch_first=True,
                            dropout=dropout if n_layers > 1 else 0.0)  # fmt: skip
        self.drop = nn.Dropout(dropout)
        self.out = nn.Linear(hidden, n_tags)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Tag logits.

        Parameters
        ----------
        x : torch.Tensor [shape=(batch, n_features, n_frames), dtype=float32]
            Frame features, unnormalised (fasttag's layout: features, then frames).

        Returns
        -------
        logits : torch.Tensor [shape=(batch, n_tags)]
        """
        x = standardised_input(self, x).transpose(1, 2)  # (batch, n_frames, n_features)
        states, (h, _) = self.lstm(x)
        summary = h[-1] if self.hparams["pooling"] == "last" else states.mean(dim=1)
        return self.out(self.drop(summary))
