"""Decoding audio files: soundfile (wav, flac, ogg, mp3) and soxr resampling."""

from __future__ import annotations

import io
import os
import re

import numpy as np
import soundfile
import soxr

from . import _core, _validate, _warnings
from .errors import AudioLoadError, ParameterError, TruncatedAudioWarning

__all__ = ["load"]


#: File name endings (lower case) taken as audio: the formats soundfile (libsndfile) decodes that fasttag
#: supports. Shared by the folder scan of `fasttag.extraction.find_tracks` and the dataset readers.
AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".au", ".aif", ".aiff")


def load(path, *, sr: float | None = None, mono: bool = True, offset: float = 0.0,
         duration: float | None = None, dtype=np.float32, res_type: str = "soxr_hq") -> tuple[np.ndarray, int]:
    """Decode an audio file to floating point, optionally downmixed and resampled (like ``librosa.load``).

    Parameters
    ----------
    path : str, os.PathLike or binary file object
        A wav, flac, ogg (Vorbis/Opus) or mp3 file, by name or open for reading in binary mode
        (e.g. ``io.BytesIO`` of a member of a tar archive): anything with read, seek and tell.
    sr : float in (0, 1536000] or None
        Target sampling rate (Hz), resampled with soxr; None keeps the file's rate. (librosa's
        default is 22050; ours keeps the file as it is.) As librosa, the result has
        ``ceil(n * sr / native_sr)`` samples (soxr's, zero-padded by one where it gives fewer).
    mono : bool
        Average the channels.
    offset : float >= 0
        Start reading this many seconds in: at sample ``int(offset * native_sr)``, as librosa.
    duration : float > 0 or None
        Read at most this many seconds: ``int(duration * native_sr)`` samples, as librosa.
    dtype : np.float32 or np.float64
    res_type : {"soxr_vhq", "soxr_hq", "soxr_mq", "soxr_lq", "soxr_qq"}
        soxr's quality, librosa's names; librosa's other resamplers (kaiser_*, fft, polyphase, ...)
        are not available (ParameterError).

    Returns
    -------
    y : np.ndarray [shape=(n_samples,) if mono else (n_channels, n_samples)]
    sr : int (float for a target sr that is not a whole number)
        The sampling rate of y (Hz).

    Raises
    ------
    AudioLoadError
        The file is missing, empty, corrupt (a floating-point file with NaN or infinite
        samples too), or in a format soundfile cannot decode.
    ParameterError
        A bad parameter: e.g. ``path`` that is not a file name (None, a number, an open file).

    Warns
    -----
    TruncatedAudioWarning
        The file is shorter than its header says (see `truncation`); y holds what it has.

    Examples
    --------
    >>> import soundfile as sf
    >>> import fasttag
    >>> sf.write("track.flac", fasttag.datasets.example_audio(seconds=3.0, sr=22050), 22050)
    >>> y, sr = fasttag.load("track.flac", sr=12000)   # mp3, ogg and wav alike
    >>> y.shape, y.dtype, sr
    ((36000,), dtype('float32'), 12000)
    >>> y, sr = fasttag.load("track.flac", offset=1.0, duration=0.5)   # at the file's rate
    >>> y.shape, sr
    ((11025,), 22050)
    """
    dtype = _validate.dtype_in(dtype, (np.float32, np.float64))
    offset = _validate.non_negative_float(offset, "offset")
    if duration is not None:
        _validate.positive_float(duration, "duration")
    if sr is not None:
        sr = _validate.sample_rate(sr)
    mono = _validate.flag(mono, "mono")
    quality = _validate.choice(res_type, _SOXR_QUALITIES, "res_type")
    source, path = _source(path)
    try:
        with soundfile.SoundFile(source) as f:
            native_sr = f.samplerate
            start = f.seek(min(int(offset * native_sr), f.frames))
            frames = -1 if duration is None else int(duration * native_sr)
            data = f.read(frames=frames, dtype=np.dtype(dtype).name, always_2d=True)
            check_samples(path, f, data, start)
            wanted_end = f.frames if frames < 0 else min(f.frames, start + frames)
            cut = truncation(f, wanted_end, start + data.shape[0])
    except (soundfile.LibsndfileError, RuntimeError) as error:
        raise decode_error(path, error) from error
    if data.shape[0] == 0:
        why = "" if cut is None else f"; it looks truncated: {cut}"
        raise AudioLoadError(f"no audio samples in {shown(path)} (offset={offset}, duration={duration}){why}")
    if cut is not None:
        _warnings.warn(f"{shown(path)} looks truncated: {cut}; decoded what it holds", TruncatedAudioWarning)
    y = mean_channels(data) if mono else np.ascontiguousarray(data.T)
    if sr is not None and sr != native_sr:
        y = resample(y, native_sr, sr, quality)
        native_sr = sr
    return np.ascontiguousarray(y), int(native_sr) if float(native_sr).is_integer() else native_sr


#: librosa's res_type names of soxr's qualities.
_SOXR_QUALITIES = {"soxr_vhq": "VHQ", "soxr_hq": "HQ", "soxr_mq": "MQ", "soxr_lq": "LQ", "soxr_qq": "QQ"}


def resample(y: np.ndarray, native_sr: float, sr: float, quality: str = "HQ") -> np.ndarray:
    """``y`` (n,) or (channels, n) resampled by soxr from ``native_sr`` to ``sr`` (Hz), in y's dtype, with
    librosa's length ``ceil(n * sr / native_sr)`` (soxr's result zero-padded or cut to it)."""
    out = soxr.resample(y.T, native_sr, sr, quality=quality).T.astype(y.dtype, copy=False)
    n = int(np.ceil(y.shape[-1] * (float(sr) / native_sr)))
    if out.shape[-1] >= n:
        return out[..., :n]
    return np.concatenate([out, np.zeros(out.shape[:-1] + (n - out.shape[-1],), out.dtype)], axis=-1)


def _source(path) -> tuple:
    """(what soundfile opens, the name errors give) of load's ``path``: a checked file name as bytes (any name
    the file system holds), or a binary file object and its ``name`` (else its type)."""
    if all(hasattr(path, method) for method in ("read", "seek", "tell")):
        if isinstance(path, io.TextIOBase):
            raise ParameterError(f"path={path!r:.60} is a file open in text mode: open it with 'rb'")
        return path, str(getattr(path, "name", f"<{type(path).__name__}>"))
    path = check_file(path)
    return os.fsencode(path), path


#: The longest file name (bytes) a path can be on Linux (PATH_MAX); longer bytes are data.
_MAX_NAME_BYTES = 4096
#: The most characters of a path that a message shows (bytes of audio given as a path showed 700,000).
_SHOWN_CHARACTERS = 400


def shown(path) -> str:
    """``repr(path)`` for a message: its middle elided past _SHOWN_CHARACTERS, keeping the file name at its end."""
    text = repr(path)
    if len(text) <= _SHOWN_CHARACTERS:
        return text
    half = _SHOWN_CHARACTERS // 2
    return f"{text[:half]}...{text[-half:]}"


def check_file(path) -> str:
    """``path`` as a str (or bytes), or AudioLoadError if it is not a non-empty file (missing, a folder, 0 bytes);
    ParameterError if it is not a file name at all (audio data among others: bytes with a NUL or past PATH_MAX)."""
    if isinstance(path, (bytes, bytearray)) and (len(path) > _MAX_NAME_BYTES or b"\0" in path):
        raise ParameterError(f"path is {len(path)} bytes of data, not a file name: wrap audio bytes in io.BytesIO")
    try:
        path = os.fspath(path)
    except TypeError:  # None, a number, an open file...
        raise ParameterError(f"path={path!r:.60} must be a file name (str, bytes or os.PathLike), "
                             f"got {type(path).__name__}") from None
    if os.path.isdir(path):
        raise AudioLoadError(f"{shown(path)} is a folder, not an audio file")
    if not os.path.isfile(path):
        raise AudioLoadError(f"no such audio file: {shown(path)}")
    if os.path.getsize(path) == 0:
        raise AudioLoadError(f"audio file is empty (0 bytes): {shown(path)}")
    return path


#: Sample formats that can hold NaN or infinity; the others decode to finite values.
_FLOAT_SUBTYPES = ("FLOAT", "DOUBLE")


def check_samples(path: str, f: soundfile.SoundFile, data: np.ndarray, start: int) -> None:
    """AudioLoadError if ``data``, frames ``start``... of the floating-point file ``f``, holds NaN or infinity."""
    if f.subtype not in _FLOAT_SUBTYPES or np.isfinite(data).all():
        return
    first = int(np.argmin(np.isfinite(data).all(axis=1)))
    raise AudioLoadError(f"{shown(path)} holds NaN or infinite samples (the first at "
                         f"{(start + first) / f.samplerate:.3f} s): a corrupt floating-point file")


#: Decoding may end this many seconds before the header's frame count in a whole file: an
#: MP3 encoder's count can be off by a frame or two (1,152 samples each).
_SHORTFALL_TOLERANCE_S = 0.05

#: libsndfile's header log of a WAV/W64 ("data"), AIFF ("SSND") or AU ("Data Size") audio chunk
#: whose declared length differs from what the file holds.
_CHUNK_SIZE_LOG = re.compile(r"^ *(?:data|SSND|Data Size) *: (\d+) \(should be (\d+)\)", re.MULTILINE)

#: The length a WAV writer that cannot seek back (a pipe) leaves in the header: not a cut.
_UNKNOWN_CHUNK_SIZE = 0xFFFFFFFF


def truncation(f: soundfile.SoundFile, wanted_end: int, decoded_end: int) -> str | None:
    """How the open file ``f`` shows that it was cut short (a partial download or copy), or None.

    ``wanted_end`` is the frame (sample index) decoding should have reached by the header's
    frame count, ``decoded_end`` the one it reached. Three signs: decoding stopped early (an
    MP3 with a Xing frame count); libsndfile's log of the header, where a WAV, AIFF or AU audio
    chunk is declared longer than the file holds; an Ogg stream whose last page is cut or
    lacks its end-of-stream mark. (A cut FLAC fails to decode instead: "lost sync".)
    """
    shortfall = wanted_end - decoded_end
    if shortfall > _SHORTFALL_TOLERANCE_S * f.samplerate:
        return (f"decoding stopped at {decoded_end / f.samplerate:.3f} s, "
                f"{shortfall / f.samplerate:.3f} s before the end its header gives")  # fmt: skip
    log = f.extra_info
    chunk = _CHUNK_SIZE_LOG.search(log)
    if chunk and int(chunk[2]) < int(chunk[1]) != _UNKNOWN_CHUNK_SIZE:
        return f"its header declares {chunk[1]} bytes of audio, the file holds {chunk[2]}"
    if "Junk after the last page" in log or "lacks an end-of-stream bit" in log:
        return "its last Ogg page is cut short or missing"
    return None


#: What libsndfile says of a regular file in which its MP3 decoder finds no frame (misleading: it exists).
_NOT_A_FILE = "File does not exist or is not a regular file"


def decode_error(path, error: Exception) -> AudioLoadError:
    """The error for a file soundfile cannot decode: libsndfile's reason, without its copy of the path."""
    reason = getattr(error, "error_string", None) or str(error)
    if reason.startswith(_NOT_A_FILE) and os.path.isfile(path):
        with open(path, "rb") as f:
            reason = f"no audio frames found (the file starts with {f.read(16)!r}: not an audio file?)"
    return AudioLoadError(f"cannot decode {shown(path)}: {reason}")


def mean_channels(data: np.ndarray) -> np.ndarray:
    """The downmix of decoded ``(n, channels)`` float32/float64 frames to ``(n,)``: exactly
    ``data.mean(axis=1)``, in one compiled pass for up to 7 channels (on stereo, numpy's strided
    mean takes about 80x as long: 4 ms per 6 s at 44.1 kHz)."""
    if data.shape[1] == 1:
        return data[:, 0]
    if data.shape[1] >= 8:
        return data.mean(axis=1, dtype=data.dtype)
    return _core.mean_channels(_validate.c_array(data))
