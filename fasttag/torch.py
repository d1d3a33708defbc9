"""torch transforms: fasttag's features as ``nn.Module`` s that run with torch ops on whatever
device the input tensor lives on, so a model's input pipeline stays on the GPU inside a
training loop (as torchaudio's transforms): ``from fasttag.torch import LogMel``.

The window and the mel filterbank are built once, by fasttag's own (librosa's) definitions,
and held as buffers, so ``.to(device)`` moves them with the model and ``state_dict`` keeps them.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import _validate, filters
from .errors import ParameterError
from .spectrum import _PAD_MODES, fused_decibels, hop_or_default

__all__ = ["LogMel"]


class LogMel(nn.Module):
    """Log-mel spectrogram in dB of a waveform tensor: ``fasttag.logmel``'s result with torch ops.

    frame/pad -> window -> ``torch.stft`` (cuFFT on a GPU) -> |.|^2 -> ``mel_basis @ power`` ->
    ``10 log10(max(amin, .)) - 10 log10(ref)`` -> floored at each clip's peak - top_db.

    Parameters
    ----------
    sr, n_fft, hop_length, win_length, window, center, pad_mode, n_mels, fmin, fmax, htk, norm,
    ref, amin, top_db
        As in :func:`fasttag.logmel` (``ref`` a number; ``hop_length=None``: win_length // 4); any n_fft;
        ``pad_mode`` "constant", "edge" or "reflect" only.

    Shape
    -----
    input ``(..., n_samples)`` float32/float64 tensor on any device; output
    ``(..., n_mels, n_frames)`` of the input's dtype on the same device. The top_db floor is
    taken per ``(n_mels, n_frames)`` item, as fasttag.logmel does for batches. Unlike
    fasttag.logmel, the input is not scanned for NaN/Inf (on a GPU the check would wait for the
    device on every call): such samples give NaN frames, as in torchaudio.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> import fasttag
    >>> from fasttag.torch import LogMel
    >>> clips = np.stack([fasttag.datasets.example_audio(seconds=3.0, sr=12000, seed=s) for s in (0, 1)])
    >>> batch = torch.from_numpy(clips)                                      # (2, 36000)
    >>> to_logmel = LogMel(sr=12000, n_fft=512, hop_length=256, n_mels=96)  # Choi's input
    >>> X = to_logmel(batch)                 # (batch, 96, 1366) for 29.1 s clips
    >>> X.shape
    torch.Size([2, 96, 141])
    >>> expected = fasttag.logmel(clips, sr=12000, n_fft=512, hop_length=256, n_mels=96)
    >>> bool(np.allclose(X.numpy(), expected, atol=0.01))   # dB
    True
    >>> X = to_logmel.cuda()(batch.cuda())   # on the GPU  # doctest: +SKIP
    """

    window: torch.Tensor
    mel_basis: torch.Tensor

    def __init__(self, *, sr: float = 22050, n_fft: int = 2048, hop_length: int | None = 512,
                 win_length: int | None = None, window="hann", center: bool = True, pad_mode: str = "constant",
                 n_mels: int = 128, fmin: float = 0.0, fmax: float | None = None, htk: bool = False,
                 norm: str | float | None = "slaney", ref: float = 1.0, amin: float = 1e-10,
                 top_db: float | None = 80.0):
        super().__init__()
        n_fft, win_length = _validate.window_sizes(n_fft, win_length)
        self.n_fft = n_fft
        self.hop_length = hop_or_default(hop_length, win_length)
        self.center = _validate.flag(center, "center")
        _validate.choice(pad_mode, _PAD_MODES, "pad_mode")
        self.pad_mode = pad_mode
        ref_db, self.amin, self.top_db = fused_decibels(ref, amin, top_db)  # checked as fasttag.logmel does
        self.ref_db = float(ref_db)
        win = filters.get_window(window, win_length, n_fft=n_fft, dtype=np.float64)
        basis = filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax, htk=htk, norm=norm)
        self.sr, self.fmin, self.fmax = sr, fmin, fmax  # checked by filters.mel; for the repr
        self.register_buffer("window", torch.from_numpy(win))
        # float32 as librosa builds it; cast to the input's dtype per call
        self.register_buffer("mel_basis", torch.from_numpy(np.ascontiguousarray(basis)))

    def extra_repr(self) -> str:
        return (f"sr={self.sr}, n_fft={self.n_fft}, hop_length={self.hop_length}, n_mels={self.mel_basis.shape[0]}, "
                f"fmin={self.fmin}, fmax={self.fmax}, center={self.center}, pad_mode={self.pad_mode!r}, "
                f"top_db={self.top_db}")

    def _pad(self, y: torch.Tensor) -> torch.Tensor:
        """(rows, n) -> (rows, n + 2 * (n_fft // 2)) padded as fasttag's framing does."""
        pad = self.n_fft // 2
        if self.pad_mode == "constant":
            return F.pad(y, (pad, pad))
        n = y.shape[-1]
        if self.pad_mode == "edge" or n == 1:
            index = torch.arange(-pad, n + pad, device=y.device).clamp(0, n - 1)
        else:  # reflect, repeated for pads longer than the signal (numpy's and fasttag's rule)
            period = 2 * (n - 1)
            r = torch.remainder(torch.arange(-pad, n + pad, device=y.device), period)
            index = torch.where(r < n, r, period - r)
        return y[:, index]

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        if not torch.is_tensor(y) or not y.is_floating_point() or y.dtype not in (torch.float32, torch.float64):
            got = f"a {y.dtype} tensor" if torch.is_tensor(y) else f"{type(y).__name__} (use torch.from_numpy)"
            raise ParameterError(f"y must be a float32/float64 torch tensor, got {got}")
        if y.ndim < 1 or y.numel() == 0:
            raise ParameterError(f"y must be (..., n_samples) with samples, got shape {tuple(y.shape)}")
        _validate.samples_last(tuple(y.shape))
        _validate.normal_amin(self.amin, str(y.dtype).removeprefix("torch."))
        lead = y.shape[:-1]
        rows = y.reshape(-1, y.shape[-1])
        if self.center:
            rows = self._pad(rows)
        elif rows.shape[-1] < self.n_fft:
            raise ParameterError(f"the signal has {rows.shape[-1]} samples, fewer than n_fft={self.n_fft}")
        spectrum = torch.stft(rows, self.n_fft, hop_length=self.hop_length, window=self.window.to(y.dtype),
                              center=False, onesided=True, return_complex=True)
        power = spectrum.real.square() + spectrum.imag.square()
        mel = torch.matmul(self.mel_basis.to(y.dtype), power)
        db = 10.0 * torch.log10(torch.clamp(mel, min=self.amin)) - self.ref_db
        if self.top_db is not None:
            peak = db.amax(dim=(-2, -1), keepdim=True)
            db = torch.maximum(db, peak - self.top_db)
        return db.reshape(lead + db.shape[-2:])
