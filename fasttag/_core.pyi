"""Types of fasttag's compiled core (csrc/). The public API in fasttag/ validates,
reshapes and dispatches here; arrays must be C-contiguous float32 or float64 of the
stated dimensions, or ValueError is raised."""

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32] | npt.NDArray[np.float64]
ComplexArray = npt.NDArray[np.complex64] | npt.NDArray[np.complex128]

def isa() -> str: ...
def rfft(x: FloatArray, workers: int = 1) -> ComplexArray:
    """x (rows, n) -> (rows, n//2 + 1)."""
def dft(x: FloatArray, workers: int = 1) -> ComplexArray:
    """x (rows, n) -> (rows, n//2 + 1), by the O(n^2) sum."""
def _hold_plan_cache_lock(seconds: float) -> None:
    """Test support: hold the FFT plan caches' lock for ``seconds``, without the GIL."""
def stft(
    y: FloatArray, window: FloatArray, hop_length: int, pad: int, n_frames: int, pad_mode: int = 0, workers: int = 1
) -> ComplexArray:
    """y (rows, n_samples), window (n_fft,) -> (rows, n_fft//2 + 1, n_frames)."""
def melspectrogram(
    y: FloatArray,
    window: FloatArray,
    basis: FloatArray,
    hop_length: int,
    pad: int,
    n_frames: int,
    pad_mode: int = 0,
    power: float = 2.0,
    ref_db: float | None = None,
    amin: float = 1e-10,
    top_db: float | None = 80.0,
    workers: int = 1,
) -> FloatArray:
    """y (rows, n_samples), basis (n_mels, n_fft//2 + 1) -> (rows, n_mels, n_frames); dB if ref_db is given."""
def autocorrelation(
    y: FloatArray, window: FloatArray, hop_length: int, pad: int, n_frames: int, n_lags: int, pad_mode: int = 0,
    normalize_peak: bool = False, workers: int = 1,
) -> FloatArray:
    """y (rows, n_samples), window (n_fft,) -> (rows, n_lags, n_frames): each windowed frame's autocorrelation,
    divided by its largest magnitude if normalize_peak."""
def cosine_autocorrelation(
    y: FloatArray, gamma: npt.NDArray[np.float64], window: npt.NDArray[np.float64], n_frames: int,
    normalize_peak: bool = False, workers: int = 1,
) -> FloatArray:
    """y (rows, n_samples), gamma (n_lags, n_terms, 2), window (n_lags,) -> (rows, n_lags, n_frames): the hop-1
    windowed autocorrelation under a cosine-sum window, w[i] w[i + l] = Re sum_m gamma[l, m] e^(2 pi j m i / n_lags)
    (columns whose running sums may have lost digits summed directly with the window's values)."""
def spectral_peaks(
    y: FloatArray, window: FloatArray, hop_length: int, pad: int, n_frames: int, pad_mode: int, power: float,
    k0: int, k1: int, threshold: float, sr: float, n_fft: float, workers: int = 1,
) -> tuple[npt.NDArray[np.int64], FloatArray, FloatArray]:
    """librosa piptrack's peaks of each frame of |stft(y)|**power in bins [k0, k1): counts (rows,), pitches (Hz),
    magnitudes, row after row."""
def spectrogram_peaks(
    S: FloatArray, k0: int, k1: int, threshold: float, sr: float, n_fft: float, workers: int = 1
) -> tuple[npt.NDArray[np.int64], FloatArray, FloatArray]:
    """The same peaks for each column of S (rows, n_bins, n_cols)."""
def project(basis: FloatArray, x: FloatArray, workers: int = 1) -> FloatArray:
    """basis (n_out, n_in), x (rows, n_in, n_cols) -> (rows, n_out, n_cols)."""
def power_to_db(
    S: FloatArray, ref_db: float = 0.0, amin: float = 1e-10, top_db: float | None = 80.0, workers: int = 1
) -> FloatArray:
    """S (rows, row_size) -> 10 log10(max(amin, S)) - ref_db, floored per row at peak - top_db."""
def kmeans_assign(
    x: FloatArray, centroids: FloatArray, workers: int = 1
) -> tuple[npt.NDArray[np.int64], FloatArray]:
    """x (n, d), centroids (k, d) -> labels (n,) of the nearest centroids, squared distances (n,)."""
def kmeans_distances(x: FloatArray, centroids: FloatArray, workers: int = 1) -> FloatArray:
    """x (n, d), centroids (k, d) -> squared distances (n, k)."""
def kmeans_centroid_sums(
    x: FloatArray, labels: npt.NDArray[np.int64], n_clusters: int, workers: int = 1
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """x (n, d), labels (n,) -> per-cluster sums (n_clusters, d) float64, counts (n_clusters,)."""
def mean_channels(data: FloatArray) -> FloatArray:
    """data (n, channels), 1 to 7 channels -> (n,): each row's mean, rounded as numpy's mean(axis=1)."""
