"""A two-layer perceptron on a fixed-size feature vector."""

from __future__ import annotations

import torch
from torch import nn

from fasttag import _validate
from fasttag.models import _hparams
from fasttag.models._inputs import standardised_input


class MLP(nn.Module):
    """Multi-label perceptron ``y = sigmoid(W2 ReLU(W1 f))`` on a feature vector ``f``.

    The vector (for example MFCC means and deviations, or a bag-of-frames
    histogram) is standardised with the buffers ``feature_mean`` and
    ``feature_std`` first. The sigmoid is left to the loss and to
    `fasttag.training.predict`: `forward` returns logits.

    Parameters
    ----------
    n_features : int > 0
        Length of the feature vector.
    n_tags : int > 0
        Number of tags (outputs).
    hidden : int > 0
        Width of the hidden layer.
    dropout : float in [0, 1)
        Dropout probability on the hidden layer, during training.

    Examples
    --------
    >>> import torch
    >>> from fasttag.models import MLP
    >>> model = MLP(40, 22, hidden=128)
    >>> model(torch.zeros(8, 40)).shape
    torch.Size([8, 22])
    """

    def __init__(self, n_features: int, n_tags: int, *, hidden: int = 256, dropout: float = 0.0):
        super().__init__()
        n_features, n_tags = _validate.positive_int(n_features, "n_features"), _validate.positive_int(n_tags, "n_tags")
        hidden, dropout = _validate.positive_int(hidden, "hidden"), _hparams.rate(dropout, "dropout")
        self.hparams = {"n_features": n_features, "n_tags": n_tags, "hidden": hidden, "dropout": dropout}
        self.register_buffer("feature_mean", torch.zeros(n_features))
        self.register_buffer("feature_std", torch.ones(n_features))
        self.layers = nn.Sequential(
            nn.Linear(n_features, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, n_tags)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Tag logits.

        Parameters
        ----------
        x : torch.Tensor [shape=(batch, n_features), dtype=float32]
            Feature vectors, unnormalised.

        Returns
        -------
        logits : torch.Tensor [shape=(batch, n_tags)]
        """
        return self.layers(standardised_input(self, x))
