"""A learned key-profile head: transposition-invariant summaries of a clip's chroma."""

from __future__ import annotations

import torch
from torch import nn

from fasttag import _validate
from fasttag.models._inputs import checked_input


class KeyProfileHead(nn.Module):
    """Learned key profiles matched at every transposition of a clip's mean chroma.

    The chroma is averaged over time and standardised across its pitch classes
    (so its dot product with a profile is, up to the profile's scale and mean,
    a Pearson correlation, as in Krumhansl's key finding); ``n_profiles``
    learned profiles are matched with it at all ``n_chroma`` circular shifts,
    and the best shift of each profile is kept.
    Transposing the clip rotates the chroma and leaves the output unchanged,
    so the head learns mode-like properties (major / minor) from any key.

    Parameters
    ----------
    n_chroma : int >= 2
        Pitch classes of the chroma input (12).
    n_profiles : int > 0
        Learned profiles, the outputs.

    Examples
    --------
    >>> import torch
    >>> from fasttag.models import KeyProfileHead
    >>> head = KeyProfileHead(12, 16)
    >>> head(torch.rand(2, 12, 1366)).shape
    torch.Size([2, 16])
    """

    def __init__(self, n_chroma: int = 12, n_profiles: int = 16):
        super().__init__()
        n_chroma = _validate.int_at_least(n_chroma, "n_chroma", 2)
        n_profiles = _validate.positive_int(n_profiles, "n_profiles")
        self.n_chroma = n_chroma
        self.profiles = nn.Conv1d(1, n_profiles, kernel_size=n_chroma)

    def forward(self, chroma: torch.Tensor) -> torch.Tensor:
        """Profile scores of clips.

        Parameters
        ----------
        chroma : torch.Tensor [shape=(batch, n_chroma, n_frames)]

        Returns
        -------
        scores : torch.Tensor [shape=(batch, n_profiles)]
            Each profile's best correlation over the ``n_chroma`` transpositions (plus its bias), after a ReLU.
        """
        mean = checked_input(self, chroma, self.n_chroma, self.profiles.weight.dtype, name="chroma").mean(dim=-1)
        mean = (mean - mean.mean(dim=-1, keepdim=True)) / (mean.std(dim=-1, keepdim=True) + 1e-6)
        wrapped = torch.cat([mean, mean[:, : self.n_chroma - 1]], dim=-1).unsqueeze(1)  # every rotation once
        return torch.relu(self.profiles(wrapped)).amax(dim=-1)
