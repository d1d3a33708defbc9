"""The exception hierarchy: one root, parameter errors are also ``ValueError``."""


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


def __getattr__(name: str):
    # NotFittedError subclasses scikit-learn's, whose import takes most of a second: it is made on first use
    # (only fasttag's estimators raise it, and they import scikit-learn anyway).
    if name != "NotFittedError":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from sklearn.exceptions import NotFittedError as SklearnNotFittedError

    doc = ("A model's ``predict``/``transform`` was called before ``fit``: scikit-learn's error (a ``ValueError`` "
           "and an ``AttributeError``), so ``except sklearn.exceptions.NotFittedError`` takes it.")
    error = type(name, (FasttagError, SklearnNotFittedError), {"__doc__": doc, "__module__": __name__})
    globals()[name] = error  # one class for good: later lookups (and pickle's) find it here
    return error
