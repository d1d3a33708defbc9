"""The exception hierarchy: one root, parameter errors are also ``ValueError``."""


class FasttagError(Exception):
    """Root of every exception that fasttag raises on purpose."""


class ParameterError(FasttagError, ValueError):
    """A parameter has a bad value, type, shape or dtype; the message names it."""


class AudioLoadError(FasttagError, OSError):
    """An audio file is missing, empty, corrupt or in an unsupported format."""


class NotFittedError(FasttagError, ValueError, AttributeError):
    """A model's ``predict``/``transform`` was called before ``fit`` (as in scikit-learn)."""
