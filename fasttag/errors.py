"""The exception hierarchy: one root, parameter errors are also ``ValueError``."""

from sklearn.exceptions import NotFittedError as SklearnNotFittedError


class FasttagError(Exception):
    """Root of every exception that fasttag raises on purpose."""


class ParameterError(FasttagError, ValueError):
    """A parameter has a bad value, type, shape or dtype; the message names it."""


class AudioLoadError(FasttagError, OSError):
    """An audio file is missing, empty, corrupt or in an unsupported format."""


class MissingDependencyError(FasttagError, ImportError):
    """An optional dependency is not installed; the message names the ``pip install`` extra that has it."""


class TruncatedAudioWarning(UserWarning):
    """An audio file is shorter than its header says (a partial download or copy); what it holds is used."""


class NotFittedError(FasttagError, SklearnNotFittedError):
    """A model's ``predict``/``transform`` was called before ``fit``: scikit-learn's error (a
    ``ValueError`` and an ``AttributeError``), so ``except sklearn.exceptions.NotFittedError`` takes it."""
