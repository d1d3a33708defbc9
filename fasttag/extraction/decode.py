"""One file: blocked decoding, downmixing and resampling, and its features (`features`)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import numpy as np
import soundfile
import soxr

from fasttag.audio import check_file, check_samples, decode_error, mean_channels, truncation
from fasttag.errors import AudioLoadError, ParameterError

from .params import DECODE_BLOCK, FRAME_BLOCK, SILENCE_PEAK, ExtractParams


class _Framer:
    """Feeds a sample stream through ``params.frame_stage`` in blocks, as ``center=True`` framing of the whole."""

    def __init__(self, params: ExtractParams, block_frames: int):
        self.params = params
        self.block_frames = block_frames
        self.pad = params.n_fft // 2
        self.pending = [np.zeros(self.pad, np.float32)]  # the leading zero padding
        self.n_pending = self.pad
        self.n_samples = 0
        self.peak = 0.0
        self.parts: list[np.ndarray] = []

    def feed(self, chunk: np.ndarray) -> None:
        if chunk.size == 0:
            return
        self.n_samples += chunk.size
        self.peak = max(self.peak, float(np.max(np.abs(chunk))))
        self.pending.append(chunk)
        self.n_pending += chunk.size
        self._drain(final=False)

    def _drain(self, final: bool) -> None:
        n_fft, hop = self.params.n_fft, self.params.hop_length
        available = 1 + (self.n_pending - n_fft) // hop if self.n_pending >= n_fft else 0
        if available == 0 or (not final and available < self.block_frames):
            return
        buffer = np.concatenate(self.pending) if len(self.pending) > 1 else self.pending[0]
        start = 0
        while available >= (1 if final else self.block_frames):
            k = min(available, self.block_frames)
            self.parts.append(self.params.frame_stage(buffer[start : start + (k - 1) * hop + n_fft]))
            start += k * hop
            available -= k
        self.pending = [buffer[start:]]
        self.n_pending = buffer.size - start

    def finish(self) -> np.ndarray:
        """The features of everything fed; the tail padding is added here."""
        self.pending.append(np.zeros(self.pad, np.float32))
        self.n_pending += self.pad
        self._drain(final=True)
        frames = np.concatenate(self.parts, axis=-1) if len(self.parts) > 1 else self.parts[0]
        self.parts = []
        return self.params.track_stage(frames)


# libsndfile and its cffi, as soundfile holds them (private there): `_read_into` calls the
# read directly. (None, None) where a soundfile lacks them; then its public read is used.
_SNDFILE = (getattr(soundfile, "_snd", None), getattr(soundfile, "_ffi", None))


def _read_into(f: soundfile.SoundFile, out: np.ndarray) -> np.ndarray:
    """Decode the next ``len(out)`` frames into ``out`` (C-contiguous float32); the frames read, ``out[:k]``.

    soundfile's own ``read`` seeks to where it stopped after every call, and for MP3 that seek
    makes mpg123 resynchronise (about 50 us a call); libsndfile's ``sf_readf_float`` on
    soundfile's handle gives the same samples without it.
    """
    lib, ffi = _SNDFILE
    handle = getattr(f, "_file", None)
    if lib is None or ffi is None or handle is None:
        return f.read(out.shape[0], dtype="float32", out=out)
    k = lib.sf_readf_float(handle, ffi.cast("float *", out.ctypes.data), out.shape[0])
    code = lib.sf_error(handle)
    if code != 0:
        raise soundfile.LibsndfileError(code, prefix="Error while reading: ")
    return out[:k]


def _chunks(path: str, f: soundfile.SoundFile, start: int, n_frames: int | None, sr: int,
            block: int) -> Iterator[np.ndarray]:
    """Mono float32 audio at ``sr`` from ``n_frames`` source frames (None: to the end) from ``start``, in blocks.

    The channels are averaged as `fasttag.load` does, then soxr's streaming resampler
    (HQ, as `fasttag.load`) turns each block into the target rate. Every block is decoded
    into one buffer and checked as `fasttag.load` checks (`check_samples`); each yielded
    array is the caller's own.
    """
    if start:
        f.seek(start)
    resampler = None if f.samplerate == sr else soxr.ResampleStream(f.samplerate, sr, 1, dtype="float32", quality="HQ")
    buffer = np.empty((block, f.channels), np.float32)
    remaining = n_frames
    position = start
    while True:
        want = block if remaining is None else min(block, remaining)
        data = _read_into(f, buffer[:want]) if want > 0 else buffer[:0]
        check_samples(path, f, data, position)
        position += data.shape[0]
        if remaining is not None:
            remaining -= data.shape[0]
        last = data.shape[0] < want or remaining == 0 or want == 0
        mono = mean_channels(data)  # one channel: a view of the buffer
        if resampler is not None:
            yield resampler.resample_chunk(mono, last=last)
        else:
            yield mono.copy()
        if last:
            return


def _extract_file(path, params: ExtractParams, *, block: int = DECODE_BLOCK,
                  block_frames: int = FRAME_BLOCK) -> tuple[np.ndarray, dict]:
    """Features of one file and what was learnt about it (source rate, channels, duration, warnings)."""
    path = check_file(path)
    framer = _Framer(params, block_frames)
    warnings = []
    try:
        with soundfile.SoundFile(os.fsencode(path)) as f:  # bytes: names that are not UTF-8 too
            info = {"source_sr": int(f.samplerate), "channels": int(f.channels)}
            if params.duration is None:
                start, n_read = 0, None
            else:
                n_read = int(params.duration * f.samplerate)  # as fasttag.load(duration=...) and librosa
                start = max(0, (f.frames - n_read) // 2) if params.crop == "center" and f.frames > n_read else 0
            for chunk in _chunks(path, f, start, n_read, params.sr, block):
                if params.n_samples is not None:
                    chunk = chunk[: params.n_samples - framer.n_samples]
                framer.feed(chunk)
            decoded_end = f.tell()
            cut = truncation(f, f.frames if n_read is None else min(f.frames, start + n_read), decoded_end)
            if cut is not None:
                warnings.append(f"truncated: {cut}")
            # Whole tracks: what was decoded (exact); crops: the header's frame count.
            frames = f.frames if params.duration is not None else decoded_end
            info["duration"] = float(frames / f.samplerate)
            info["offset"] = start / f.samplerate
    except (soundfile.LibsndfileError, RuntimeError) as error:
        raise decode_error(path, error) from error
    n_samples = framer.n_samples
    if n_samples < params.n_fft:
        raise AudioLoadError(f"{path!r} holds {n_samples} samples at {params.sr} Hz, shorter than one frame "
                             f"(n_fft={params.n_fft})")  # fmt: skip
    if params.n_samples is not None and n_samples < params.n_samples:
        warnings.append(f"padded: {n_samples / params.sr:.3f} s of audio, zero-padded to {params.duration} s")
        framer.feed(np.zeros(params.n_samples - n_samples, np.float32))
    if framer.peak <= SILENCE_PEAK:
        warnings.append(f"silent: peak |sample| {framer.peak:.3g} <= {SILENCE_PEAK:g}")
    X = np.ascontiguousarray(framer.finish(), dtype=np.float32)
    info["audio_seconds"] = n_samples / params.sr  # decoded audio, without the padding
    info["warning"] = "; ".join(warnings) or None
    return X, info


def features(path, params: ExtractParams | None = None, **kwargs) -> np.ndarray:
    """The features of one audio file, exactly as `extract` stores them.

    Parameters
    ----------
    path : str or os.PathLike
        A wav, flac, ogg or mp3 file.
    params : ExtractParams, optional
        The parameters; or give them as keywords (``feature="mfcc", sr=12000, ...``).

    Returns
    -------
    X : np.ndarray [shape=(n_features, n_frames), dtype=float32]

    Raises
    ------
    fasttag.AudioLoadError
        The file is missing, empty, undecodable or shorter than one frame.

    Examples
    --------
    >>> import soundfile as sf
    >>> import fasttag
    >>> sf.write("track.flac", fasttag.datasets.example_audio(seconds=30.0, sr=22050), 22050)
    >>> X = fasttag.extraction.features("track.flac", duration=29.12)   # (96, 1366) log-mel
    >>> X.shape, X.dtype
    ((96, 1366), dtype('float32'))
    """
    params = _params(params, kwargs)
    return _extract_file(path, params)[0]


def _params(params, kwargs) -> ExtractParams:
    if params is not None and kwargs:
        raise ParameterError(f"give params or keyword parameters, not both (got {sorted(kwargs)})")
    if params is None:
        return ExtractParams(**kwargs)
    if not isinstance(params, ExtractParams):
        raise ParameterError(f"params must be an ExtractParams, got {type(params).__name__}")
    return params
