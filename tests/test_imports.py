"""What ``import fasttag`` loads: submodules on first use (PEP 562), so the feature path needs
neither scikit-learn nor scipy.signal, torch, numba or matplotlib; every public name resolves."""

from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np
import pytest
import scipy.signal
import sklearn.exceptions

import fasttag
import fasttag.errors

HEAVY = ("sklearn", "scipy.signal", "scipy.ndimage", "torch", "numba", "matplotlib", "tqdm", "soundfile")


def test_the_log_mel_path_imports_none_of_the_heavy_packages(tmp_path):
    code = (
        "import sys, numpy as np, fasttag\n"
        "y = np.random.default_rng().standard_normal((2, 12000)).astype(np.float32)\n"
        "fasttag.logmel(y, sr=12000, n_fft=512, hop_length=256, n_mels=96)\n"
        "fasttag.melspectrogram(y=y, sr=12000); fasttag.stft(y); fasttag.rfft(y)\n"
        "fasttag.frame_count(12000, n_fft=512, hop_length=256)\n"
        "fasttag.power_to_db(np.abs(fasttag.stft(y)) ** 2)\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    # cwd elsewhere: the source tree (without the compiled _core) must not shadow the installed package
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "[]"


def test_every_public_name_resolves_and_is_listed():
    for name in fasttag.__all__:
        assert getattr(fasttag, name) is not None, name
    assert set(fasttag.__all__) <= set(dir(fasttag))
    assert fasttag.logmel is fasttag.feature.logmel and fasttag.KMeans is fasttag.kmeans.KMeans
    assert fasttag.torch.LogMel.__module__ == "fasttag.torch"
    with pytest.raises(AttributeError, match="module 'fasttag' has no attribute 'logmell'"):
        fasttag.logmell  # noqa: B018


def test_every_submodule_is_an_attribute_of_a_fresh_import(tmp_path):
    """Submodules were attributes because __init__ imported them all; benchmarks/conftest.py used fasttag._core."""
    code = ("import fasttag\n"
            "print(isinstance(fasttag._core.isa(), str), callable(fasttag.audio.mean_channels),\n"
            "      callable(fasttag.datasets.make_tagged_music), fasttag.models.FCN.__name__)\n"
            "try:\n    fasttag.no_such_module\nexcept AttributeError as error:\n    print(error)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.splitlines() == ["True True True FCN", "module 'fasttag' has no attribute 'no_such_module'"]


def test_not_fitted_error_is_one_class_and_scikit_learns():
    from fasttag.errors import NotFittedError

    assert NotFittedError is fasttag.NotFittedError is fasttag.errors.NotFittedError
    assert issubclass(NotFittedError, sklearn.exceptions.NotFittedError)
    assert issubclass(NotFittedError, fasttag.FasttagError)
    error = pickle.loads(pickle.dumps(NotFittedError("call fit first")))  # as joblib returns it from a worker
    assert type(error) is NotFittedError and str(error) == "call fit first"
    with pytest.raises(AttributeError, match="has no attribute 'NotFitted'"):
        fasttag.errors.NotFitted  # noqa: B018


@pytest.mark.parametrize("win_length", [1, 2, 3, 7, 256, 400, 511, 512, 1023, 2048, 4097, 65537])
def test_the_hann_window_is_scipys_to_the_bit(win_length):
    """The default window is computed without scipy.signal; it must be scipy's (librosa's) exactly."""
    got = fasttag.filters.get_window("hann", win_length, n_fft=win_length)
    np.testing.assert_array_equal(got, scipy.signal.get_window("hann", win_length, fftbins=True))
    padded = fasttag.filters.get_window("hann", win_length, n_fft=win_length + 6, dtype=np.float32)
    assert padded.dtype == np.float32 and not padded[:3].any() and not padded[-3:].any()
    np.testing.assert_array_equal(padded[3:-3], scipy.signal.get_window("hann", win_length).astype(np.float32))


@pytest.mark.parametrize("argv", [["--help"], ["extract", "--help"], ["show", "--help"], ["generate", "--help"]])
def test_the_command_imports_only_the_subcommand_it_runs(argv, tmp_path):
    """``fasttag --help`` took seconds to import torch for every subcommand's options."""
    code = (
        "import sys\nfrom fasttag.cli import main\n"
        f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
        "loaded = sorted(m.rsplit('.', 1)[1] for m in sys.modules if m.startswith('fasttag.commands.'))\n"
        "print(loaded, 'torch' in sys.modules, 'sklearn' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "usage: fasttag" in result.stdout
    ran = [] if argv == ["--help"] else [argv[0]]
    assert result.stdout.strip().splitlines()[-1] == f"{sorted(['_args', *ran])} False False"
