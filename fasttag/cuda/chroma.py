"""chroma_stft on the GPU: the fused frame kernel of the log-mel path projects |X|^2 on the
chroma filterbank (the spectrogram is never stored), then each frame's chroma vector is
normalised in place."""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError
from ..spectrum import spectrogram_n_fft
from . import _runtime, spectral


def _runs(values: np.ndarray):
    """(start, stop, value) of each run of equal consecutive values."""
    edges = np.flatnonzero(values[1:] != values[:-1]) + 1
    starts = np.concatenate([[0], edges])
    stops = np.concatenate([edges, [len(values)]])
    return [(int(a), int(b), values[a]) for a, b in zip(starts, stops)]


def _filterbank(home, dtype, tuning, basis: dict):
    """The chroma filterbank's sparse rows on the GPU for one tuning (``basis``: its other parameters)."""
    from .. import chroma as cpu

    return home.constants(("chroma", dtype.str, float(tuning)) + tuple(basis.values()),
                          lambda: spectral._sparse_rows(cpu.chroma_basis(dtype, tuning=tuning, **basis)))


def chroma_stft(y=None, *, sr: float = 22050, S=None, n_fft: int = 2048, hop_length: int = 512,
                win_length: int | None = None, window="hann", center: bool = True, pad_mode: str = "constant",
                n_chroma: int = 12, tuning: float | None = 0.0, norm: float | None = np.inf, ctroct: float = 5.0,
                octwidth: float | None = 2, base_c: bool = True, workers: int | None = None):
    """:func:`fasttag.chroma_stft` on the GPU: (..., n_chroma, n_frames).

    From audio, the fused kernel (frames -> FFT -> |.|^2 -> chroma rows); from ``S``, the
    projection. ``tuning=None`` is estimated per clip on the CPU (``workers`` threads), from a
    host copy of GPU arrays; clips with different estimates get their own filterbanks."""
    from .. import chroma as cpu
    from .._workers import resolve_workers

    sr, tuning, n_chroma = cpu.chroma_arguments(y, S, sr, norm, tuning, n_chroma)
    home = _runtime.Home(y if S is None else S)
    with home.context():
        if y is not None:
            items, lead, dtype = spectral._signal(home, y)
            n_fft, frames = spectral._framing(items, dtype, n_fft=n_fft, hop_length=hop_length,
                                              win_length=win_length, window=window, center=center, pad_mode=pad_mode)
            n_frames = frames.n_frames
        else:
            view, dtype = spectral._matrix(home, S, "S")
            n_bins = tuple(view.shape)[-2]
            if n_bins < 2:
                raise ParameterError(f"S has {n_bins} frequency bin(s); a spectrogram needs at least 2")
            items, lead = spectral._rows(view, 2)
            n_fft, frames, n_frames = spectrogram_n_fft(n_fft, items.shape[1]), None, items.shape[2]
        host_items = items if tuning is not None else items.copy_to_host(stream=home.stream)
        tunings = cpu.clip_tunings(host_items, frames, tuning, sr=sr, n_chroma=n_chroma,
                                   workers=resolve_workers(workers))
        native, out = home.empty(lead + (n_chroma, n_frames), dtype)
        out3 = spectral._rows(out, 2)[0]
        basis = dict(sr=sr, n_fft=n_fft, n_chroma=n_chroma, ctroct=ctroct, octwidth=octwidth, base_c=base_c)
        filterbanks = {value: _filterbank(home, dtype, value, basis) for value in np.unique(tunings)}
        for start, stop, value in _runs(tunings):
            sparse = filterbanks[value]
            if frames is not None:
                spectral.frames_to_bands(home, items[start:stop], n_fft, frames, sparse, out3[start:stop],
                                         power=2.0, decibels=None)
            else:
                spectral.project_into(home, sparse, items[start:stop], out3[start:stop])
        if norm is not None:
            spectral.normalize_columns(home, out3, float(norm))
        return home.give_back(native)
