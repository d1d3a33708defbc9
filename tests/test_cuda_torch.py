"""fasttag.torch.LogMel (torch.stft + matmul on the tensor's device) against
fasttag.logmel: on the CPU everywhere, and on a CUDA GPU when torch has one."""

from __future__ import annotations

import re

import numpy as np
import pytest

import fasttag

torch = pytest.importorskip("torch")
from fasttag.torch import LogMel  # noqa: E402

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def test_fasttag_torch_is_an_importable_module():
    """``from fasttag.torch import LogMel`` and ``fasttag.torch.LogMel`` name one class, and the
    module's own ``import torch`` is torch itself, not fasttag.torch."""
    import importlib

    module = importlib.import_module("fasttag.torch")
    assert fasttag.torch is module and module.LogMel is LogMel
    assert module.torch is torch and module.nn is torch.nn


def test_fasttag_torch_is_imported_on_first_use(tmp_path):
    """``import fasttag`` leaves torch alone; ``fasttag.torch`` then imports it (it recursed without end)."""
    import subprocess
    import sys

    script = "import sys, fasttag; light = 'torch' not in sys.modules; print(light, fasttag.torch.LogMel.__name__)"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0 and done.stdout == "True LogMel\n", done.stderr[-2000:]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.pairwise(
    pad_mode=["constant", "edge", "reflect"],
    center=[True, False],
    dtype=[np.float32, np.float64],
    n_fft=[512, 400],
    top_db=[80.0, None],
)
def test_logmel_module_matches_fasttag(music, tol, device, case):
    dtype = case["dtype"]
    y = music(12000, sr=12000, dtype=dtype, shape=(2, 2))
    y[1, 0] *= 1e-3  # the top_db floor is per clip
    kwargs = dict(sr=12000, n_fft=case["n_fft"], hop_length=256, n_mels=64, center=case["center"],
                  pad_mode=case["pad_mode"], top_db=case["top_db"])
    module = LogMel(**kwargs).to(device)
    got = module(torch.from_numpy(y).to(device))
    assert got.device.type == device and got.dtype == getattr(torch, np.dtype(dtype).name)
    expected = fasttag.logmel(y, **kwargs)
    got = got.cpu().numpy()
    for index in np.ndindex(y.shape[:-1]):
        tol.assert_db_close(got[index], expected[index], tol(dtype).db, top_db=80.0, what=f"LogMel {case} {index}")


def test_logmel_module_holds_buffers_and_checks_input():
    module = LogMel(sr=12000, n_fft=512, hop_length=256, n_mels=96)
    state = module.state_dict()
    assert set(state) == {"window", "mel_basis"} and tuple(state["mel_basis"].shape) == (96, 257)
    np.testing.assert_array_equal(state["mel_basis"].numpy(), fasttag.filters.mel(sr=12000, n_fft=512, n_mels=96))
    with pytest.raises(fasttag.ParameterError, match="float32/float64 torch tensor, got a torch.int16 tensor"):
        module(torch.zeros(1000, dtype=torch.int16))
    with pytest.raises(fasttag.ParameterError, match="got ndarray \\(use torch.from_numpy\\)"):
        module(np.zeros(1000, dtype=np.float32))
    with pytest.raises(fasttag.ParameterError, match="with samples, got shape \\(0, 1000\\)"):
        module(torch.zeros(0, 1000))
    with pytest.raises(fasttag.ParameterError, match=re.escape("y has shape (36000, 2): 2 samples per signal along "
                                                               "the last axis; stereo audio from soundfile")):
        module(torch.zeros(36000, 2))  # gave (36000, 96, 1) silently
    with pytest.raises(fasttag.ParameterError, match="pad_mode='wrap'"):
        LogMel(pad_mode="wrap")
    with pytest.raises(fasttag.ParameterError, match="fewer than n_fft=512"):
        LogMel(n_fft=512, center=False)(torch.zeros(100))
    with pytest.raises(fasttag.ParameterError, match="amin=1e-40 is below the smallest normal float32 number"):
        LogMel(amin=1e-40)(torch.rand(4000))  # as fasttag.logmel refuses it (a GPU flushes it to 0: -inf dB)
    assert torch.isfinite(LogMel(amin=1e-40)(torch.rand(4000, dtype=torch.float64))).all()
    with pytest.raises(fasttag.ParameterError, match="amin=1e\\+39 is above the largest float32 number"):
        LogMel(amin=1e39)(torch.rand(4000))  # was inf everywhere
    for ref in (float("nan"), float("inf")):  # NaN was taken as amin (+100 dB), inf gave -inf everywhere
        with pytest.raises(fasttag.ParameterError, match=f"ref={ref} must be finite"):
            LogMel(ref=ref)
    with pytest.raises(fasttag.ParameterError, match="ref=<built-in function max> must be a number"):
        LogMel(ref=max)


def test_logmel_module_repr_shows_its_mel_scale():
    """sr, fmin and fmax were left out."""
    assert repr(LogMel(sr=12000, n_fft=512, hop_length=256, n_mels=96, fmin=20.0, fmax=5000.0)) == (
        "LogMel(sr=12000, n_fft=512, hop_length=256, n_mels=96, fmin=20.0, fmax=5000.0, center=True, "
        "pad_mode='constant', top_db=80.0)")


def test_logmel_module_in_a_training_step():
    """The transform sits in front of a model: gradients reach the model, not the buffers."""
    to_logmel = LogMel(sr=12000, n_fft=256, hop_length=128, n_mels=32)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.LazyLinear(3))
    x = to_logmel(torch.randn(4, 3000, generator=torch.Generator().manual_seed(0)) * 0.1)
    loss = model(x).square().mean()
    loss.backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())
    assert not to_logmel.mel_basis.requires_grad


def test_logmel_module_default_hop_is_fasttags(music, tol):
    """hop_length=None is win_length // 4, as in fasttag.logmel (it was refused)."""
    y = music(6000, sr=12000, dtype=np.float32)
    kwargs = dict(sr=12000, n_fft=512, win_length=400, hop_length=None, n_mels=40)
    got = LogMel(**kwargs)(torch.from_numpy(y)).numpy()
    expected = fasttag.logmel(y, **kwargs)
    assert got.shape == expected.shape == (40, 1 + 6000 // 100)
    tol.assert_db_close(got, expected, tol(np.float32).db, top_db=80.0, what="LogMel hop_length=None")
