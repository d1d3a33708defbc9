"""fasttag: fast music auto-tagging.

Audio features (STFT by our own C++ FFT, mel, log-mel, MFCC, deltas, chroma, onset
strength, tempogram) with librosa's parameters and results, multi-threaded and batched
over any leading dimensions; k-means bag-of-frames and PCA; PyTorch taggers on top.

>>> import fasttag
>>> y, sr = fasttag.load("track.flac", sr=12000)
>>> X = fasttag.logmel(y, sr=sr, n_fft=512, hop_length=256, n_mels=96)
"""

import importlib

from . import cuda, filters, plot  # cuda imports numba, plot matplotlib, only when used
from ._workers import get_workers, set_workers
from .audio import load
from .bof import BagOfFrames, bag_of_frames
from .chroma import chroma_stft, estimate_tuning, pitch_tuning
from .decomposition import PCA
from .errors import (AudioLoadError, FasttagError, MissingDependencyError, NotFittedError, ParameterError,
                     TruncatedAudioWarning)
from .extraction import extract
from .feature import delta, logmel, melspectrogram, mfcc
from .fft import dft, rfft
from .kmeans import KMeans
from .rhythm import onset_strength, tempo, tempo_frequencies, tempogram
from .spectrum import frame_count, power_to_db, stft
from .store import FeatureStore

__version__ = "0.1.0"


def __getattr__(name: str):
    # fasttag.torch (LogMel as an nn.Module) imports torch on first use: importing fasttag stays light.
    if name == "torch":  # import_module: `from . import torch` would ask this hook again, endlessly
        return importlib.import_module(".torch", __name__)
    raise AttributeError(f"module 'fasttag' has no attribute {name!r}")


__all__ = [
    "AudioLoadError",
    "BagOfFrames",
    "FasttagError",
    "FeatureStore",
    "KMeans",
    "MissingDependencyError",
    "NotFittedError",
    "PCA",
    "ParameterError",
    "TruncatedAudioWarning",
    "bag_of_frames",
    "chroma_stft",
    "cuda",
    "delta",
    "dft",
    "estimate_tuning",
    "extract",
    "filters",
    "frame_count",
    "get_workers",
    "load",
    "logmel",
    "melspectrogram",
    "mfcc",
    "onset_strength",
    "pitch_tuning",
    "plot",
    "power_to_db",
    "rfft",
    "set_workers",
    "stft",
    "tempo",
    "tempo_frequencies",
    "tempogram",
    "torch",
]
