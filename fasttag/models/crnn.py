"""Choi et al.'s convolutional recurrent tagger (CRNN) on log-mel spectrograms."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from fasttag import _validate
from fasttag.models import _hparams
from fasttag.models._inputs import standardised_input
from fasttag.models.fcn import _Block

#: Channels and max-pool sizes (mel bins, frames) of the four conv blocks: Choi,
#: Fazekas, Sandler and Cho (2017), "Convolutional recurrent neural networks for
#: music classification", ICASSP, for a 96 x 1366 input zero-padded to 96 x 1440.
CHOI_CRNN_LAYERS = ((64, (2, 2)), (128, (3, 3)), (128, (4, 4)), (128, (4, 4)))


class CRNN(nn.Module):
    """Convolutional recurrent network for multi-label tagging (Choi et al., 2017).

    The log-mel spectrogram is standardised per mel bin (buffers
    ``feature_mean``, ``feature_std``), then zero-padded on both sides of the
    time axis to a multiple of the time pools' product (96: 1366 frames
    become the paper's 1440). Four blocks of 3x3 convolution (same padding,
    no bias) -> batch norm -> ELU -> max-pool -> dropout reduce it to a short
    sequence; each step's channels (times the mel rows left, 1 for 96 mels)
    feed two GRU layers, and the top layer's state after the last step goes
    through dropout and a linear layer to one logit per tag. Pool sizes are
    clipped to the feature map, so any number of frames and mel bins works.

    Layers with the defaults, for a 96 x 1366 input (C x mels x frames):

    ======  ===================================  ===================
    layer   operation                            output
    ======  ===================================  ===================
    input   standardise, zero-pad 37 + 37        1 x 96 x 1440
    1       conv 64, pool (2, 2)                 64 x 48 x 720
    2       conv 128, pool (3, 3)                128 x 16 x 240
    3       conv 128, pool (4, 4)                128 x 4 x 60
    4       conv 128, pool (4, 4)                128 x 1 x 15
    GRU 1   32 units over the 15 steps           15 x 32
    GRU 2   32 units, state after the last step  32
    output  dropout 0.3, linear                  n_tags (logits)
    ======  ===================================  ===================

    Parameters: ``9 c_in c_out + 2 c_out`` per conv block (batch norm's scale
    and shift), ``3 hidden (n_in + hidden + 2)`` per GRU layer (PyTorch has two
    bias vectors), ``(hidden + 1) n_tags`` for the output.

    Parameters
    ----------
    n_tags : int > 0
        Number of tags (outputs).
    n_mels : int > 0
        Mel bins of the input (96 in Choi's setting).
    channels : sequence of 4 ints in [1, 4096], optional
        Output channels of the conv blocks; default Choi's ``(64, 128, 128, 128)``.
    hidden : int > 0
        Units per GRU layer (32 in the paper).
    gru_layers : int > 0
        GRU layers (2 in the paper).
    dropout : float in [0, 1)
        Dropout after each conv block (0.1 in the paper).
    out_dropout : float in [0, 1)
        Dropout before the output layer (0.3 in the paper).

    Examples
    --------
    >>> import torch
    >>> from fasttag.models import CRNN
    >>> model = CRNN(50)
    >>> model(torch.zeros(2, 96, 256)).shape   # (batch, mels, frames): any number of frames, 1366 above
    torch.Size([2, 50])
    """

    def __init__(
        self,
        n_tags: int,
        *,
        n_mels: int = 96,
        channels: Sequence[int] | None = None,
        hidden: int = 32,
        gru_layers: int = 2,
        dropout: float = 0.1,
        out_dropout: float = 0.3,
    ):
        super().__init__()
        n_tags, n_mels = _validate.positive_int(n_tags, "n_tags"), _validate.positive_int(n_mels, "n_mels")
        hidden, gru_layers = _validate.positive_int(hidden, "hidden"), _validate.positive_int(gru_layers, "gru_layers")
        channels = ([c for c, _ in CHOI_CRNN_LAYERS] if channels is None
                    else _hparams.channels(channels, len(CHOI_CRNN_LAYERS)))  # fmt: skip
        dropout, out_dropout = _hparams.rate(dropout, "dropout"), _hparams.rate(out_dropout, "out_dropout")
        self.hparams = {
            "n_tags": n_tags, "n_mels": n_mels, "channels": channels, "hidden": hidden,
            "gru_layers": gru_layers, "dropout": dropout, "out_dropout": out_dropout,
        }  # fmt: skip
        self.register_buffer("feature_mean", torch.zeros(n_mels, 1))
        self.register_buffer("feature_std", torch.ones(n_mels, 1))
        pools = [pool for _, pool in CHOI_CRNN_LAYERS]
        self.time_multiple = math.prod(t for _, t in pools)
        mels_left = n_mels
        for p, _ in pools:
            mels_left //= min(p, mels_left)
        c_in = [1] + channels[:-1]
        self.blocks = nn.Sequential(*(_Block(a, b, pool, "elu", dropout) for a, b, pool in zip(c_in, channels, pools)))
        self.gru = nn.GRU(channels[-1] * mels_left, hidden, num_layers=gru_layers, batch_first=True)
        self.drop = nn.Dropout(out_dropout)
        self.out = nn.Linear(hidden, n_tags)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Tag logits.

        Parameters
        ----------
        x : torch.Tensor [shape=(batch, n_mels, n_frames), dtype=float32]
            Log-mel spectrograms in dB, unnormalised.

        Returns
        -------
        logits : torch.Tensor [shape=(batch, n_tags)]
        """
        x = standardised_input(self, x)
        pad = -x.shape[-1] % self.time_multiple
        x = F.pad(x, (pad // 2, pad - pad // 2)).unsqueeze(1)
        x = self.blocks(x)  # (batch, channels, mels_left, steps)
        x = x.flatten(1, 2).transpose(1, 2)  # (batch, steps, channels * mels_left)
        _, h = self.gru(x)
        return self.out(self.drop(h[-1]))
