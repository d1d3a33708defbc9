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
# Colour-bar labels of units="auto" for arrays that are normalised by construction.
_UNITS = {"chroma": "chroma energy (normalised)", "tempo": "autocorrelation (normalised)"}
# Tempi (BPM) a tempo axis labels when two or more of them lie on it.
_TEMPI = np.array([15, 30, 60, 90, 120, 180, 240, 480], dtype=np.float64)


def _axes(ax):
    """``ax`` if it is a matplotlib Axes, the current axes for None; else ParameterError."""
    try:
        import matplotlib.axes
    except ImportError:
        raise MissingDependencyError("fasttag.plot needs matplotlib: pip install 'fasttag[plot]'") from None
    if ax is None:
        import matplotlib.pyplot as plt

        return plt.gca()
    if not isinstance(ax, matplotlib.axes.Axes):
        raise ParameterError(f"ax={ax!r} must be a matplotlib.axes.Axes or None")
    return ax


def specshow(S, *, sr: float = 22050, hop_length: int = 512, x_axis: str | None = "time",
             y_axis: str | None = "mel", ax=None, fmin: float = 0.0, fmax: float | None = None,
             htk: bool = False, bins_per_octave: int = 12, tempo_min: float | None = 16,
             tempo_max: float | None = 480, cmap: str | None = None, colorbar: bool = True,
             units: str | None = "auto"):
    """Draw a (n_rows, n_frames) feature array with axes in seconds and Hz, notes or BPM.

    Cell (r, t) is centred on row r and frame t, as in ``librosa.display.specshow``.

    Parameters
    ----------
    S : np.ndarray or np.ma.MaskedArray [shape=(n_rows, n_frames)]
        The array to draw, e.g. a log-mel in dB, a chromagram, a tempogram. Masked cells and
        NaN or infinite values are left blank; at least one value must be drawable.
    sr : float > 0
        Sampling rate of the audio (Hz).
    hop_length : int > 0
        Samples between frames.
    x_axis : {"time", "frames", None}
        "time": seconds, frame t centred at ``t * hop_length / sr`` (the framing of
        ``fasttag.stft`` with ``center=True``); "frames": frame numbers, frame t centred at t;
        None: as "frames", unlabelled.
    y_axis : {"mel", "linear", "chroma", "tempo", None}
        "mel": mel bands (``fmin``, ``fmax``, ``htk`` as for :func:`fasttag.filters.mel`,
        checked as it checks them), ticks in Hz; "linear": FFT bins in Hz
        (n_fft = 2 (n_rows - 1)); "chroma": pitch classes C, C#, ... (``bins_per_octave`` rows
        per octave, an int > 0); "tempo": the autocorrelation lags of a tempogram on a
        logarithmic BPM axis (as librosa's): row r >= 1 spans the tempi of lags r - 1/2 and
        r + 1/2, ``60 sr / (hop_length lag)``, and row 0 (lag 0, an infinite tempo) is not
        drawn; None: row numbers. Hz and BPM ticks are round values placed where they fall
        among the rows; the options of the other axes are not used, nor checked.
    fmin, fmax, htk : float >= 0, float or None, bool
        The mel bands of ``y_axis="mel"`` (Hz; fmax None: sr / 2).
    bins_per_octave : int > 0
        Rows per octave of ``y_axis="chroma"``.
    tempo_min, tempo_max : float > 0 or None
        The range of tempi (BPM) that ``y_axis="tempo"`` shows, as librosa's (None: no limit);
        where it misses the tempi of the lags drawn, they are all shown.
    ax : matplotlib.axes.Axes or None
        Where to draw; default the current axes.
    cmap : str or None
        Colour map; default "magma" (or "viridis" for chroma).
    colorbar : bool
        Add a colour bar labelled with ``units``.
    units : str or None
        Colour-bar label. "auto" is the normalised quantity for chroma and tempo axes; for mel
        and linear axes it is "dB" when S has a negative value (as a dB array below its
        reference has, e.g. :func:`fasttag.logmel`'s), else no label (a power or magnitude
        spectrogram: give ``units`` when you know it); for None axes no label.

    Returns
    -------
    matplotlib.collections.QuadMesh
        The drawn image (for ``fig.colorbar`` and the like).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> import fasttag
    >>> sr = 22050
    >>> y = fasttag.datasets.example_audio(seconds=3.0, sr=sr)
    >>> fig, ax = plt.subplots()
    >>> mesh = fasttag.plot.specshow(fasttag.logmel(y, sr=sr), sr=sr, hop_length=512, y_axis="mel", ax=ax)
    >>> fig.savefig("logmel.png")
    >>> plt.close(fig)
    """
    S = _drawable(S)
    sr = _validate.positive_float(sr, "sr")
    hop_length = _validate.positive_int(hop_length, "hop_length")
    if x_axis not in _X_AXES:
        raise ParameterError(f"x_axis={x_axis!r} is not one of {list(_X_AXES)}")
    if y_axis not in _Y_AXES:
        raise ParameterError(f"y_axis={y_axis!r} is not one of {list(_Y_AXES)}")
    n_rows, n_frames = S.shape
    if y_axis == "linear" and n_rows < 2:
        raise ParameterError(f"y_axis='linear' needs at least 2 frequency bins, S has {n_rows}")
    if y_axis == "mel":
        fmax = filters.mel_range(sr, fmin, fmax)
    if y_axis == "chroma":
        bins_per_octave = _validate.positive_int(bins_per_octave, "bins_per_octave")
    y_edges = np.arange(n_rows + 1, dtype=np.float64) - 0.5
    if y_axis == "tempo":
        tempo_range = _tempo_range(tempo_min, tempo_max)
        if n_rows < 2:
            raise ParameterError(f"y_axis='tempo' needs at least 2 lags (rows), S has {n_rows}: lag 0 has no tempo")
        y_edges, S = _tempo_edges(n_rows, sr, hop_length), S[:0:-1]  # lags n_rows - 1 .. 1: tempi ascending
    ax = _axes(ax)
    x_edges = np.arange(n_frames + 1, dtype=np.float64) - 0.5
    if x_axis == "time":
        x_edges *= hop_length / sr
    default_cmap = "viridis" if y_axis == "chroma" else "magma"
    mesh = ax.pcolormesh(x_edges, y_edges, S, shading="flat", cmap=cmap or default_cmap, rasterized=True)
    ax.set_xlim(x_edges[0], x_edges[-1])
    if y_axis == "tempo":
        ax.set_yscale("log", base=2)
        ax.set_ylim(_tempo_view(y_edges[0], y_edges[-1], *tempo_range))
    else:
        ax.set_ylim(y_edges[0], y_edges[-1])
    ax.set_xlabel({"time": "Time (s)", "frames": "Frame", None: ""}[x_axis])
    _label_rows(ax, y_axis, n_rows, sr=sr, hop_length=hop_length, fmin=fmin, fmax=fmax, htk=htk,
                bins_per_octave=bins_per_octave)
    if colorbar:
        if units == "auto":
            units = "dB" if y_axis in ("mel", "linear") and S.min() < 0 else _UNITS.get(y_axis)
        ax.figure.colorbar(mesh, ax=ax, label=units)
    return mesh


def _drawable(S) -> np.ma.MaskedArray:
    """S as a real floating (n_rows, n_frames) masked array, its masked and non-finite cells masked."""
    masked = isinstance(S, np.ma.MaskedArray)
    data = _validate.float_array(S.data if masked else S, "S", min_ndim=2, check_finite=False)
    mask = np.ma.getmaskarray(S) if masked else False
    if data.ndim != 2:
        raise ParameterError(f"S must be 2-D (n_rows, n_frames), got shape {data.shape}")
    S = np.ma.masked_array(data, mask=mask | ~np.isfinite(data))
    if S.mask.all():
        raise ParameterError(f"S has nothing to draw: all of its {S.size} values are masked, NaN or infinite")
    return S


def _tempo_range(tempo_min, tempo_max) -> tuple[float, float]:
    """The checked ``tempo_min`` and ``tempo_max`` (None: 0 and infinity)."""
    low = 0.0 if tempo_min is None else _validate.positive_float(tempo_min, "tempo_min")
    high = np.inf if tempo_max is None else _validate.positive_float(tempo_max, "tempo_max")
    if low >= high:
        raise ParameterError(f"tempo_min={tempo_min!r} must be below tempo_max={tempo_max!r}")
    return low, high


def _bpm(lags, sr: float, hop_length: int):
    """The tempo (BPM) whose beat period is ``lags`` frames: ``60 sr / (hop_length lags)``."""
    return 60.0 * sr / (hop_length * np.asarray(lags, dtype=np.float64))


def _tempo_edges(n_rows: int, sr: float, hop_length: int) -> np.ndarray:
    """Ascending BPM edges of the lag rows n_rows - 1 .. 1: lag r spans the tempi of lags r + 1/2 and r - 1/2."""
    return _bpm(np.arange(n_rows - 0.5, 0.0, -1.0), sr, hop_length)


def _tempo_view(low: float, high: float, tempo_min: float, tempo_max: float) -> tuple[float, float]:
    """The tempi shown of those drawn (``low`` .. ``high`` BPM): within tempo_min .. tempo_max where they
    overlap, else all of them."""
    shown = (max(low, tempo_min), min(high, tempo_max))
    return shown if shown[0] < shown[1] else (low, high)


def _label_tempi(ax) -> None:
    """Round BPM ticks on a logarithmic tempo axis, at the tempi they name."""
    from matplotlib.ticker import NullLocator

    low, high = ax.get_ylim()
    values = _TEMPI[(_TEMPI >= low) & (_TEMPI <= high)]
    if values.size < 2:
        values = np.union1d(values, _round_values(low, high, log=True))
    kept = _spaced(np.log2(values), np.log2(high / low))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.set_yticks(values[kept], [f"{v:.12g}" for v in values[kept]])
    ax.set_ylabel("Tempo (BPM)")


def _label_rows(ax, y_axis, n_rows, *, sr, hop_length, fmin, fmax, htk, bins_per_octave) -> None:
    """Ticks of the row axis: Hz on mel bands or FFT bins, note names, or BPM on lags."""
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
        _label_tempi(ax)
        return
    if y_axis == "linear":  # row r is FFT bin r, at r sr / n_fft Hz
        def row_of(hz):
            return hz * 2 * (n_rows - 1) / sr

        values = _round_values(0.0, sr / 2, log=False)
        ax.set_ylabel("Frequency (Hz)")
    else:  # row r is mel band r, centred at mel point r + 1 of mel_frequencies(n_rows + 2, fmin=fmin, fmax=fmax)
        mel_lo = filters.hz_to_mel(fmin, htk=htk)
        mel_step = (filters.hz_to_mel(fmax, htk=htk) - mel_lo) / (n_rows + 1)

        def row_of(hz):
            return (filters.hz_to_mel(hz, htk=htk) - mel_lo) / mel_step - 1

        lo, hi = filters.mel_to_hz(mel_lo + mel_step * np.array([0.5, n_rows + 0.5]), htk=htk)
        values = _round_values(lo, hi, log=True)
        ax.set_ylabel("Frequency (Hz, mel scale)")
    rows = row_of(values)
    kept = _spaced(rows, n_rows)
    ax.set_yticks(rows[kept], [f"{v:.12g}" for v in values[kept]])


def _round_values(lo: float, hi: float, *, log: bool) -> np.ndarray:
    """Round values in [lo, hi], ascending: matplotlib's MaxNLocator ticks (steps of 1, 2, 5 x 10^k), and with
    ``log`` the values 1, 2, 5 x 10^k too (for the low end of a logarithmic axis); lo >= 0."""
    from matplotlib.ticker import MaxNLocator

    values = MaxNLocator(nbins=6, steps=[1, 2, 5, 10]).tick_values(lo, hi)
    if log:
        decades = 10.0 ** np.arange(np.floor(np.log10(max(lo, hi * 1e-6))), np.floor(np.log10(hi)) + 1)
        values = np.union1d(values, np.outer(decades, [1, 2, 5]).ravel())
    return values[(values >= lo) & (values <= hi)]


def _spaced(rows: np.ndarray, span: float, gap: float = 0.06) -> np.ndarray:
    """Indices of tick positions at least ``gap`` x span (the axis' length) apart, kept from the top of the
    axis down, by position."""
    kept: list[int] = []
    for i in np.argsort(rows)[::-1]:
        if not kept or rows[kept[-1]] - rows[i] >= gap * span:
            kept.append(int(i))
    return np.array(kept[::-1], dtype=np.intp)
