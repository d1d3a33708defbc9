"""Choi et al.'s fully convolutional tagger (FCN-4 / FCN-5) on log-mel spectrograms."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from fasttag import _validate
from fasttag.errors import ParameterError
from fasttag.models import _hparams
from fasttag.models._inputs import standardised_input
from fasttag.models.key_head import KeyProfileHead

#: Channels and max-pool sizes (mel bins, frames) of each layer, by depth:
#: Choi, Fazekas and Sandler (2016), "Automatic tagging using deep
#: convolutional neural networks", ISMIR, for a 96 x 1366 input.
CHOI_LAYERS = {
    4: ((128, (2, 4)), (384, (4, 5)), (768, (3, 8)), (2048, (4, 8))),
    5: ((128, (2, 4)), (256, (2, 4)), (512, (2, 4)), (1024, (3, 5)), (2048, (4, 4))),
}

_ACTIVATIONS = {"elu": nn.ELU, "relu": nn.ReLU}


class _Block(nn.Module):
    """conv 3x3 -> batch norm -> activation -> max-pool -> dropout."""

    def __init__(self, c_in: int, c_out: int, pool: tuple[int, int], activation: str, dropout: float):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, kernel_size=3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(c_out)
        self.act = _ACTIVATIONS[activation]()
        self.pool = pool
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act(self.bn(self.conv(x)))
        # A pool never exceeds the map, so inputs shorter than Choi's 1366 frames work.
        kernel = (min(self.pool[0], x.shape[-2]), min(self.pool[1], x.shape[-1]))
        return self.drop(F.max_pool2d(x, kernel))


class FCN(nn.Module):
    """Fully convolutional network for multi-label tagging (Choi et al., 2016).

    The log-mel spectrogram is standardised per mel bin (buffers
    ``feature_mean``, ``feature_std``), then passes ``n_layers`` blocks of
    3x3 convolution (same padding, no bias) -> batch norm -> ELU (or ReLU) ->
    max-pool -> dropout; a global max over what is left of the mel and time
    axes and a linear layer give one logit per tag. Pool sizes are clipped to
    the feature map, so any number of frames (and of mel bins) is accepted;
    on Choi's 96 x 1366 input the last block already leaves 1 x 1.

    With ``n_chroma > 0`` the input also carries chroma rows below the mel
    bins (features ``"logmel-chroma"``): they skip the convolutions and go to
    a `KeyProfileHead`, whose transposition-invariant scores join the pooled
    convolutional features before the linear layer. A 96-bin mel scale is too
    coarse at low frequencies for the convolutions to tell major from minor;
    the head sees the pitch classes directly.

    Layers with the default ``channels`` (C x mels x frames after each block,
    for a 96 x 1366 input):

    ======  ==============================  ==============================
    layer   FCN-4: channels, pool -> out    FCN-5: channels, pool -> out
    ======  ==============================  ==============================
    1       128, (2, 4) -> 48 x 341         128, (2, 4) -> 48 x 341
    2       384, (4, 5) -> 12 x 68          256, (2, 4) -> 24 x 85
    3       768, (3, 8) -> 4 x 8            512, (2, 4) -> 12 x 21
    4       2048, (4, 8) -> 1 x 1           1024, (3, 5) -> 4 x 4
    5                                       2048, (4, 4) -> 1 x 1
    ======  ==============================  ==============================

    Parameters
    ----------
    n_tags : int > 0
        Number of tags (outputs).
    n_mels : int > 0
        Mel bins of the input (96 in Choi's setting).
    n_layers : {4, 5}
        Depth: FCN-4 or FCN-5, with the pool sizes above.
    channels : sequence of ``n_layers`` ints in [1, 4096], optional
        Output channels of each block; default Choi's (above, 17 M parameters
        for FCN-4). Narrower stacks such as ``(16, 32, 64, 128)`` train in
        seconds on a CPU.
    dropout : float in [0, 1)
        Dropout probability after each block and before the output layer.
    activation : {"elu", "relu"}
        Non-linearity after each batch norm.
    n_chroma : int >= 0
        Chroma rows after the ``n_mels`` mel rows of the input; 0 (default): log-mel only.
    n_profiles : int > 0
        Learned key profiles of the chroma head (used when ``n_chroma > 0``).

    Examples
    --------
    >>> import torch
    >>> from fasttag.models import FCN
    >>> model = FCN(50, n_layers=4, channels=(16, 32, 64, 128))
    >>> model(torch.zeros(2, 96, 1366)).shape
    torch.Size([2, 50])
    """

    def __init__(
        self,
        n_tags: int,
        *,
        n_mels: int = 96,
        n_layers: int = 5,
        channels: Sequence[int] | None = None,
        dropout: float = 0.1,
        activation: str = "elu",
        n_chroma: int = 0,
        n_profiles: int = 16,
    ):
        super().__init__()
        n_tags, n_mels = _validate.positive_int(n_tags, "n_tags"), _validate.positive_int(n_mels, "n_mels")
        if not _validate.is_integer(n_layers) or n_layers not in CHOI_LAYERS:
            raise ParameterError(f"n_layers={n_layers!r} must be 4 or 5")
        n_layers = int(n_layers)
        table = CHOI_LAYERS[n_layers]
        channels = [c for c, _ in table] if channels is None else _hparams.channels(channels, n_layers)
        dropout = _hparams.rate(dropout, "dropout")
        activation = _hparams.option(activation, _ACTIVATIONS, "activation")
        if not _validate.is_integer(n_chroma) or n_chroma < 0 or n_chroma == 1:
            raise ParameterError(f"n_chroma={n_chroma!r} must be 0 (no chroma) or an integer >= 2")
        n_chroma, n_profiles = int(n_chroma), _validate.positive_int(n_profiles, "n_profiles")
        self.hparams = {
            "n_tags": n_tags, "n_mels": n_mels, "n_layers": n_layers,
            "channels": channels, "dropout": dropout, "activation": activation,
        }  # fmt: skip
        if n_chroma:  # a log-mel FCN's hparams (and saved config) stay as they were before the head
            self.hparams.update(n_chroma=n_chroma, n_profiles=n_profiles)
        self.register_buffer("feature_mean", torch.zeros(n_mels + n_chroma, 1))
        self.register_buffer("feature_std", torch.ones(n_mels + n_chroma, 1))
        c_in = [1] + channels[:-1]
        self.blocks = nn.Sequential(
            *(_Block(a, b, pool, activation, dropout) for a, b, (_, pool) in zip(c_in, channels, table))
        )
        self.key_head = KeyProfileHead(n_chroma, n_profiles) if n_chroma else None
        self.drop = nn.Dropout(dropout)
        self.out = nn.Linear(channels[-1] + (n_profiles if n_chroma else 0), n_tags)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Tag logits.

        Parameters
        ----------
        x : torch.Tensor [shape=(batch, n_mels + n_chroma, n_frames), dtype=float32]
            Log-mel spectrograms in dB, unnormalised (then the chroma rows, if any).

        Returns
        -------
        logits : torch.Tensor [shape=(batch, n_tags)]
        """
        x = standardised_input(self, x)
        n_mels = self.hparams["n_mels"]
        pooled = self.blocks(x[:, :n_mels].unsqueeze(1)).amax(dim=(-2, -1))
        if self.key_head is not None:
            pooled = torch.cat([pooled, self.key_head(x[:, n_mels:])], dim=-1)
        return self.out(self.drop(pooled))
