"""Pictures of features: ``specshow`` draws a spectrogram-like array with labelled axes.

matplotlib is an optional dependency (``pip install fasttag[plot]``); it is imported when
a picture is drawn, so ``import fasttag.plot`` works without it.
"""

from __future__ import annotations

import numpy as np

from . import _validate, filters
from .errors import MissingDependencyError, ParameterError

__all__ = ["specshow"]

_X_AXES = ("time", "frames", None)
_Y_AXES = ("mel", "linear", "chroma", "tempo", None)
NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
# Colour-bar labels by y axis (a dB scale for spectrogram-like arrays).
_UNITS = {"mel": "dB", "linear": "dB", "chroma": "chroma energy (normalised)",
          "tempo": "autocorrelation (normalised)", None: None}


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise MissingDependencyError("fasttag.plot needs matplotlib: pip install 'fasttag[plot]'") from None
    import matplotlib.pyplot as plt

    return matplotlib, plt


def specshow(S, *, sr: float = 22050, hop_length: int = 512, x_axis: str | None = "time",
             y_axis: str | None = "mel", ax=None, fmin: float = 0.0, fmax: float | None = None,
             htk: bool = False, bins_per_octave: int = 12, cmap: str | None = None,
             colorbar: bool = True, units: str | None = "auto"):
    """Draw a (n_rows, n_frames) feature array with axes in seconds and Hz, notes or BPM.

    Parameters
    ----------
    S : np.ndarray [shape=(n_rows, n_frames)]
        The array to draw, e.g. a log-mel in dB, a chromagram, a tempogram.
    sr : float > 0
        Sampling rate of the audio (Hz).
    hop_length : int > 0
        Samples between frames.
    x_axis : {"time", "frames", None}
        "time": seconds (frame t spans [t, t + 1) hops); "frames": frame numbers.
    y_axis : {"mel", "linear", "chroma", "tempo", None}
        "mel": mel bands (``fmin``, ``fmax``, ``htk`` as for :func:`fasttag.filters.mel`),
        ticks in Hz; "linear": FFT bins in Hz (n_fft = 2 (n_rows - 1)); "chroma": pitch
        classes C, C#, ... (``bins_per_octave`` rows per octave); "tempo": autocorrelation
        lags, ticks in BPM; None: row numbers.
    ax : matplotlib.axes.Axes or None
        Where to draw; default the current axes.
    cmap : str or None
        Colour map; default "magma" (or "viridis" for chroma).
    colorbar : bool
        Add a colour bar labelled with ``units``.
    units : str or None
        Colour-bar label; "auto" is "dB" for mel and linear axes, the normalised quantity
        for chroma and tempo.

    Returns
    -------
    matplotlib.collections.QuadMesh
        The drawn image (for ``fig.colorbar`` and the like).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> fasttag.plot.specshow(fasttag.logmel(y, sr=sr), sr=sr, hop_length=512, y_axis="mel", ax=ax)
    >>> fig.savefig("logmel.png")
    """
    S = _validate.float_array(S, "S", min_ndim=2)
    if S.ndim != 2:
        raise ParameterError(f"S must be 2-D (n_rows, n_frames), got shape {S.shape}")
    sr = _validate.positive_float(sr, "sr")
    hop_length = _validate.positive_int(hop_length, "hop_length")
    if x_axis not in _X_AXES:
        raise ParameterError(f"x_axis={x_axis!r} is not one of {list(_X_AXES)}")
    if y_axis not in _Y_AXES:
        raise ParameterError(f"y_axis={y_axis!r} is not one of {list(_Y_AXES)}")
    n_rows, n_frames = S.shape
    if y_axis == "linear" and n_rows < 2:
        raise ParameterError(f"y_axis='linear' needs at least 2 frequency bins, S has {n_rows}")
    if ax is None:
        ax = _pyplot()[1].gca()
    x_edges = np.arange(n_frames + 1, dtype=np.float64)
    if x_axis == "time":
        x_edges *= hop_length / sr
    y_edges = np.arange(n_rows + 1, dtype=np.float64) - 0.5
    default_cmap = "viridis" if y_axis == "chroma" else "magma"
    mesh = ax.pcolormesh(x_edges, y_edges, S, shading="flat", cmap=cmap or default_cmap, rasterized=True)
    ax.set_xlim(x_edges[0], x_edges[-1])
    ax.set_ylim(y_edges[0], y_edges[-1])
    ax.set_xlabel({"time": "Time (s)", "frames": "Frame", None: ""}[x_axis])
    _label_rows(ax, y_axis, n_rows, sr=sr, hop_length=hop_length, fmin=fmin, fmax=fmax, htk=htk,
                bins_per_octave=bins_per_octave)
    if colorbar:
        label = _UNITS[y_axis] if units == "auto" else units
        fmt = "%+.0f dB" if label == "dB" else None
        ax.figure.colorbar(mesh, ax=ax, format=fmt, label=label)
    return mesh


def _label_rows(ax, y_axis, n_rows, *, sr, hop_length, fmin, fmax, htk, bins_per_octave) -> None:
    """Ticks of the row axis: Hz at mel band centres or FFT bins, note names, or BPM at lags."""
    if y_axis is None:
        ax.set_ylabel("Row")
        return
    if y_axis == "chroma":
        per_note = max(1, bins_per_octave // 12)
        rows = np.arange(0, n_rows, per_note)
        names = [NOTE_NAMES[(r // per_note) % 12] if bins_per_octave % 12 == 0 else str(r) for r in rows]
        ax.set_yticks(rows, names)
        ax.set_ylabel("Pitch class")
        return
    if y_axis == "tempo":
        lags = np.arange(1, n_rows)
        bpm = 60.0 * sr / (hop_length * lags)
        ticks = np.array([b for b in (15, 30, 60, 90, 120, 180, 240, 480) if bpm[-1] <= b <= bpm[0]], dtype=float)
        rows = _spaced(60.0 * sr / (hop_length * ticks), n_rows)
        ax.set_yticks(rows, [f"{60.0 * sr / (hop_length * r):.0f}" for r in rows])
        ax.set_ylabel("Tempo (BPM)")
        return
    if y_axis == "linear":
        hz = filters.fft_frequencies(sr=sr, n_fft=2 * (n_rows - 1))
        ax.set_ylabel("Frequency (Hz)")
    else:
        top = sr / 2 if fmax is None else fmax
        hz = filters.mel_frequencies(n_rows + 2, fmin=fmin, fmax=top, htk=htk)[1:-1]
        ax.set_ylabel("Frequency (Hz, mel scale)")
    candidates = np.array([0, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768], dtype=np.float64)
    candidates = candidates[(candidates >= hz[0]) & (candidates <= hz[-1])]
    rows = _spaced(np.interp(candidates, hz, np.arange(n_rows)), n_rows)
    labels = {float(r): f"{c:g}" for r, c in zip(np.interp(candidates, hz, np.arange(n_rows)), candidates)}
    ax.set_yticks(rows, [labels[float(r)] for r in rows])


def _spaced(rows: np.ndarray, n_rows: int, gap: float = 0.06) -> np.ndarray:
    """Tick rows at least ``gap`` x n_rows apart, kept from the top of the axis down."""
    kept: list[float] = []
    for r in sorted(rows, reverse=True):
        if not kept or kept[-1] - r >= gap * n_rows:
            kept.append(float(r))
    return np.array(sorted(kept))
