"""fasttag: fast music auto-tagging.

Audio features (STFT by our own C++ FFT, mel, log-mel, MFCC, deltas, chroma, onset
strength, tempogram) with librosa's parameters and results, multi-threaded and batched
over any leading dimensions; k-means bag-of-frames and PCA; PyTorch taggers on top.

>>> import soundfile as sf
>>> import fasttag
>>> sf.write("track.flac", fasttag.datasets.example_audio(seconds=3.0, sr=22050), 22050)  # generated music
>>> y, sr = fasttag.load("track.flac", sr=12000)
>>> X = fasttag.logmel(y, sr=sr, n_fft=512, hop_length=256, n_mels=96)
>>> X.shape, X.dtype
((96, 141), dtype('float32'))
"""

import importlib

__version__ = "0.1.0"

#: Public name -> the submodule that defines it. Submodules are imported on first use (PEP 562, as
#: librosa's lazy loader does), so ``import fasttag`` costs numpy and little else, and the log-mel
#: path never imports scikit-learn, scipy.signal, numba, torch or matplotlib.
_HOME = {
    "get_workers": "_workers", "set_workers": "_workers",
    "load": "audio",
    "BagOfFrames": "bof", "bag_of_frames": "bof",
    "chroma_stft": "chroma", "estimate_tuning": "chroma", "pitch_tuning": "chroma",
    "amplitude_to_db": "decibels", "db_to_amplitude": "decibels", "db_to_power": "decibels",
    "PCA": "decomposition",
    "AudioLoadError": "errors", "FasttagError": "errors", "MissingDependencyError": "errors",
    "NotFittedError": "errors", "ParameterError": "errors", "TruncatedAudioWarning": "errors",
    "extract": "extraction",
    "delta": "feature", "logmel": "feature", "melspectrogram": "feature", "mfcc": "feature",
    "dft": "fft", "rfft": "fft",
    "KMeans": "kmeans",
    "onset_strength": "rhythm", "tempo": "rhythm", "tempo_frequencies": "rhythm", "tempogram": "rhythm",
    "frame_count": "spectrum", "power_to_db": "spectrum", "stft": "spectrum",
    "FeatureStore": "store",
}
#: The submodules listed in ``__all__``: ``fasttag.torch`` (LogMel as an nn.Module), ... Every other
#: submodule (``fasttag.datasets``, ``fasttag.models``, ...) is an attribute too, imported on first use.
_SUBMODULES = ("cuda", "filters", "plot", "torch")


def __getattr__(name: str):
    if name in _HOME:
        value = getattr(importlib.import_module(f".{_HOME[name]}", __name__), name)
        globals()[name] = value  # later lookups skip this hook
        return value
    try:  # import_module: `from . import torch` would ask this hook again, endlessly
        return importlib.import_module(f".{name}", __name__)
    except ModuleNotFoundError as error:
        if error.name != f"{__name__}.{name}":  # a submodule's own missing dependency
            raise
    raise AttributeError(f"module 'fasttag' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = sorted([*_HOME, *_SUBMODULES])
