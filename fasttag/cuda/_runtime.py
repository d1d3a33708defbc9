"""Where the GPU backend meets the rest: lazy Numba import, availability, and the arrays
that come in and go out (host numpy, or torch/CuPy/Numba arrays that already live on the GPU).

Nothing here imports numba at module import time, so ``import fasttag.cuda`` works on a
machine with neither a GPU nor numba; the first GPU call imports it.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import numbers
import warnings

import numpy as np

from .._validate import audio as _host_audio
from .._validate import float_array as _host_float_array
from ..errors import FasttagError, ParameterError
from . import _constants


class CudaUnavailableError(FasttagError, RuntimeError):
    """``device="cuda"`` was asked for, but numba or a CUDA GPU (or the simulator) is missing."""


DEVICES = ("cpu", "cuda")


def check_device(device) -> str:
    """``device`` itself if it is "cpu" or "cuda", else ParameterError. (GPU arrays are computed
    on the GPU that holds them; host arrays on Numba's current device.)"""
    if not isinstance(device, str) or device not in DEVICES:
        raise ParameterError(f"device={device!r} must be 'cpu' or 'cuda'")
    return device


@functools.lru_cache(maxsize=1)
def _numba_cuda():
    """The ``numba.cuda`` module, or None when numba is not installed."""
    try:
        from numba import cuda
    except ImportError:
        return None
    return cuda


def simulator() -> bool:
    """True when Numba's CUDA simulator is on (``NUMBA_ENABLE_CUDASIM=1`` before numba was imported)."""
    cuda = _numba_cuda()
    if cuda is None:
        return False
    try:  # numba-cuda (the maintained CUDA target) keeps its own configuration
        from numba.cuda.core import config
    except ImportError:  # the CUDA target built into numba
        from numba import config
    return bool(config.ENABLE_CUDASIM)


def is_available() -> bool:
    """True when ``device="cuda"`` can run here: numba is installed and it sees a CUDA GPU
    (or the simulator is on, ``NUMBA_ENABLE_CUDASIM=1``, which runs the kernels in Python)."""
    cuda = _numba_cuda()
    if cuda is None:
        return False
    try:
        return bool(cuda.is_available())
    except Exception:  # a broken driver install is "not available", not a crash
        return False


def require_cuda():
    """``numba.cuda``, or CudaUnavailableError saying what is missing."""
    cuda = _numba_cuda()
    if cuda is None:
        raise CudaUnavailableError(
            "device='cuda' needs numba (pip install 'fasttag[cuda]'); use device='cpu' on this machine"
        )
    if not is_available():
        raise CudaUnavailableError(
            "device='cuda' was asked for, but numba finds no CUDA GPU or driver here "
            "(set NUMBA_ENABLE_CUDASIM=1 before importing numba to run the kernels in the simulator)"
        )
    return cuda


@functools.lru_cache(maxsize=1)
def _performance_warnings() -> tuple[type, ...]:
    """Numba's performance-hint classes: numba-cuda (the maintained CUDA target) defines its own,
    which is not a subclass of the one of the target built into numba. Looked up once: quiet()
    wraps every launch, and a failed import is searched for again on every attempt."""
    classes = []
    for module in ("numba.cuda.core.errors", "numba.core.errors"):
        try:
            classes.append(importlib.import_module(module).NumbaPerformanceWarning)
        except (ImportError, AttributeError):
            pass
    return tuple(classes)


@contextlib.contextmanager
def quiet():
    """Silence Numba's performance hints (small grids, host arrays), which the test suite
    would turn into errors; correctness warnings still pass."""
    with warnings.catch_warnings():
        for category in _performance_warnings():
            warnings.simplefilter("ignore", category)
        yield


# ----------------------------------------------------------------------------- arrays


def _is_simulated_device_array(x) -> bool:
    return type(x).__name__ == "FakeCUDAArray"


def _on_host(x) -> bool:
    """numpy arrays and what the CPU functions take as arrays too: lists, tuples, numbers (validated as there)."""
    return isinstance(x, (np.ndarray, np.generic, list, tuple, numbers.Number))


def _library(x) -> str:
    """The top-level package of ``x``'s type ("torch", "cupy", "numba", "numpy", ...)."""
    return type(x).__module__.split(".", 1)[0]


def on_device(x) -> bool:
    """True for arrays that live on a GPU: anything with ``__cuda_array_interface__``
    (torch CUDA tensors, CuPy arrays, Numba device arrays) and the simulator's device arrays.
    A torch tensor is known by its device: torch withholds the interface from one that requires grad."""
    if isinstance(x, np.ndarray):
        return False
    if _is_simulated_device_array(x):
        return True
    if _library(x) == "torch" and hasattr(x, "device"):
        return x.device.type == "cuda"
    try:
        return hasattr(x, "__cuda_array_interface__")
    except Exception:
        return False


# Tests set POISON = True: every output is then filled with NaN (or -1 for integers) before the
# kernels run, so an element a kernel forgets to write shows up instead of passing unseen.
POISON = False


def _poison_value(dtype: np.dtype):
    if dtype.kind in "fc":
        return np.nan
    return -1


_TORCH_DTYPES = {"float32": "float32", "float64": "float64", "complex64": "complex64",
                 "complex128": "complex128", "int64": "int64", "int32": "int32"}


class Home:
    """Where an input lives and how results go back there.

    kind is "numpy" (host: numpy, or lists and numbers as the CPU functions take them; copied in
    once, results copied back as numpy arrays), "numba"
    (a Numba device array, simulator included), "torch" (a CUDA tensor) or "cupy" (a CuPy
    array); device arrays are used in place and results are allocated by the same library
    on the same GPU, so nothing passes through the host.
    """

    def __init__(self, x):
        cuda = require_cuda()
        self.cuda = cuda
        self.stream = 0
        self.gpu = None
        module = _library(x)
        if _on_host(x):
            self.kind = "numpy"
        elif module == "torch":
            self.kind = "torch"
            if x.device.type != "cuda":
                raise ParameterError(f"a torch tensor on {x.device} cannot be used with device='cuda' in place: "
                                     "move it with .cuda() or pass a numpy array")
            import torch

            self.gpu = x.device.index
            self.stream = cuda.external_stream(torch.cuda.current_stream(x.device).cuda_stream)
        elif module == "cupy":
            self.kind = "cupy"
            import cupy

            self.gpu = x.device.id
            self.stream = cuda.external_stream(cupy.cuda.get_current_stream().ptr)
        elif on_device(x):
            self.kind = "numba"
        else:
            raise ParameterError(f"arrays for device='cuda' must be numpy arrays or GPU arrays with "
                                 f"__cuda_array_interface__ (torch, CuPy, Numba), got {type(x).__name__}")

    def context(self):
        """Select the input's GPU for the duration of a call (a no-op for the default one)."""
        if self.gpu is None or simulator():
            return contextlib.nullcontext()
        return self.cuda.gpus[self.gpu]

    # -- in -------------------------------------------------------------------------------

    def device_view(self, x):
        """A Numba device view of a C-contiguous ``x``. A host ``x`` is copied to the GPU (with
        ``scratch`` when the call's input lives there: a numpy ``ref`` beside a GPU ``S``); a GPU
        ``x`` is viewed in place, whatever the call's input is."""
        if not on_device(x):
            x = np.ascontiguousarray(x).reshape(np.shape(x))  # ascontiguousarray makes 0-d arrays 1-d
            return self.cuda.to_device(x, stream=self.stream) if self.kind == "numpy" else self.scratch(x)
        module = _library(x)
        if module == "torch":
            if x.requires_grad:
                raise ParameterError("a torch tensor that requires grad cannot be used with device='cuda': fasttag's "
                                     "kernels record no gradients; pass x.detach() (fasttag.torch.LogMel is "
                                     "differentiable)")
            x = x.contiguous()  # a GPU-side copy when strided; a no-op otherwise
        elif module == "cupy":
            import cupy

            x = cupy.ascontiguousarray(x)
        view = x if _is_simulated_device_array(x) else self.cuda.as_cuda_array(x)
        if not view.is_c_contiguous():
            raise ParameterError("device arrays must be C-contiguous for device='cuda' (make a contiguous copy)")
        return view

    # -- out ------------------------------------------------------------------------------

    def empty(self, shape, dtype):
        """(native array, Numba view) of a new uninitialised array on the input's GPU."""
        dtype = np.dtype(dtype)
        shape = tuple(int(s) for s in shape)
        if self.kind == "torch":
            import torch

            native = torch.empty(shape, dtype=getattr(torch, _TORCH_DTYPES[dtype.name]),
                                 device=torch.device("cuda", self.gpu))
            if POISON:
                native.fill_(_poison_value(dtype))
            return native, self.cuda.as_cuda_array(native)
        if self.kind == "cupy":
            import cupy

            native = cupy.empty(shape, dtype=dtype)
            if POISON:
                native.fill(_poison_value(dtype))
            return native, self.cuda.as_cuda_array(native)
        view = self.cuda.device_array(shape, dtype=dtype, stream=self.stream)
        if POISON:
            view.copy_to_device(np.full(shape, _poison_value(dtype), dtype=dtype), stream=self.stream)
        return view, view

    def scratch(self, values: np.ndarray):
        """Small host-made arrays for this call only (peaks, flags, centers, ...) on the GPU.

        For torch and CuPy inputs they come from that library's stream-ordered memory pool,
        like the outputs, so memory freed when the call returns is not reused before the
        kernels queued on the caller's stream have run."""
        values = np.ascontiguousarray(values)
        if self.kind == "torch":
            import torch

            return self.cuda.as_cuda_array(torch.from_numpy(values).to(torch.device("cuda", self.gpu)))
        if self.kind == "cupy":
            import cupy

            return self.cuda.as_cuda_array(cupy.asarray(values))
        return self.cuda.to_device(values, stream=self.stream)

    def constants(self, key: tuple, make) -> tuple:
        """Device copies of the host arrays ``make()`` builds from the parameters in ``key``
        (windows, twiddles, filterbanks), made once per GPU and kept for later calls."""
        return _constants.device_constants(self.cuda, key, make, simulated=simulator())

    def launch_1d(self, kernel, n: int, *args, threads: int = 256) -> None:
        """``kernel(*args)`` on this call's stream, on a 1-D grid covering n elements (or rows),
        the performance hints silenced (see quiet())."""
        from ._kernels import grid_1d

        blocks, threads = grid_1d(n, threads)
        with quiet():
            kernel[blocks, threads, self.stream](*args)

    def give_back(self, native):
        """The result as the caller's kind: numpy for host input, else the device array itself."""
        if self.kind == "numpy":
            return native.copy_to_host(stream=self.stream)
        return native


def host_audio(y, name="y"):
    """Host audio validated as on the CPU path (finite, float32/float64)."""
    return _host_audio(y, name)


def host_float_array(x, name, *, min_ndim=1):
    return _host_float_array(x, name, min_ndim=min_ndim)


def device_dtype(view, name: str) -> np.dtype:
    """The float dtype of a device array: float32/float64, else ParameterError (no silent casts on the GPU)."""
    dtype = np.dtype(view.dtype)
    if dtype not in (np.float32, np.float64):
        raise ParameterError(f"{name} on the GPU must be float32 or float64, got dtype {dtype} "
                             "(convert it explicitly, e.g. x.float())")
    if view.size == 0:
        raise ParameterError(f"{name} is empty (shape {tuple(view.shape)})")
    return dtype
