"""fasttag's GPU backend: Numba CUDA kernels for the feature chain (stft, mel, log-mel, MFCC,
deltas, chroma, onset strength, tempogram) and k-means.

Importable anywhere: numba is imported on the first GPU call, so a machine without numba
or a GPU can still import fasttag (``is_available()`` is then False, and ``device="cuda"``
raises :class:`CudaUnavailableError`, a :class:`fasttag.FasttagError`).

The functions take the CPU functions' parameters and give their results within float
tolerance. Host numpy arrays are copied to the GPU once and results come back as numpy;
arrays already on the GPU (torch CUDA tensors, CuPy arrays, Numba device arrays: anything
with ``__cuda_array_interface__``) are computed where they live and the result is the same
kind of array on the same GPU, with no copy through the host.

Limits of the GPU path: ``n_fft`` must be a power of two (the shared-memory FFT is radix-2;
other sizes raise ParameterError) and at most 4096 for float32 (2048 for float64); a
callable ``ref`` is not accepted; ``onset_strength`` takes the mean over bands only;
``chroma_stft(tuning=None)`` estimates the tunings on the CPU. Input validation reads one
flag back from the GPU (a synchronisation) to refuse NaN/Inf, as the CPU path does.
Windows, twiddles and filterbanks are kept on the GPU between calls (see ``_constants``).

On a machine with a CUDA GPU:

>>> import torch
>>> import fasttag.cuda
>>> fasttag.cuda.is_available()  # doctest: +SKIP
True
>>> y = fasttag.datasets.example_audio(seconds=3.0, sr=12000)
>>> y_gpu = torch.from_numpy(y).cuda()  # doctest: +SKIP
>>> X = fasttag.logmel(y_gpu, sr=12000, n_fft=512, hop_length=256, n_mels=96, device="cuda")  # doctest: +SKIP
>>> X = fasttag.cuda.logmel(y_gpu, sr=12000, n_fft=512, hop_length=256, n_mels=96)  # the same  # doctest: +SKIP
>>> X.shape, X.device  # a tensor on the same GPU  # doctest: +SKIP
(torch.Size([96, 141]), device(type='cuda', index=0))
"""

from __future__ import annotations

from ._runtime import CudaUnavailableError, check_device, is_available, on_device, simulator
from .chroma import chroma_stft
from .kmeans import bag_of_frames, lloyd, nearest
from .rhythm import onset_strength, tempogram
from .spectral import delta, logmel, melspectrogram, mfcc, power_to_db, stft

__all__ = [
    "CudaUnavailableError",
    "bag_of_frames",
    "check_device",
    "chroma_stft",
    "delta",
    "is_available",
    "lloyd",
    "logmel",
    "melspectrogram",
    "mfcc",
    "nearest",
    "on_device",
    "onset_strength",
    "power_to_db",
    "simulator",
    "stft",
    "tempogram",
]
