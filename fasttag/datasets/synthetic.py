"""Synthetic tagged music: `make_tagged_music` and `example_audio`.

`make_tagged_music` writes a reproducible set of music-like clips with exact
multi-label tags (instruments, drums, tempo, mode, loudness, texture, room)
plus a manifest CSV, which `fasttag.datasets.read_manifest` reads.
`example_audio` returns one such clip as an array, for examples and quick trials.

Every clip is drawn from its own random stream, seeded by ``(seed, 0, index)``:
the same seed gives bit-identical audio, and clip ``i`` does not depend on how
many clips are generated.
"""

from __future__ import annotations

import csv
import functools
import io
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import NamedTuple

import numpy as np
import soundfile as sf
from scipy import signal
from tqdm import tqdm

from fasttag._atomic import write_text_atomic
from fasttag._validate import (MAX_CLIP_SECONDS, MAX_SAMPLE_RATE, is_finite_real, is_integer, positive_int,
                               seed as checked_seed)
from fasttag._workers import resolve_workers
from fasttag.errors import ParameterError

#: Every tag `make_tagged_music` can assign, in manifest order.
TAGS = (
    "piano", "strings", "organ", "guitar", "bass", "flute", "synth", "bells",
    "drums", "no_drums", "fast", "slow", "major", "minor", "loud", "quiet",
    "solo", "ensemble", "dense", "sparse", "reverb", "lofi",
)  # fmt: skip

#: Audio formats `make_tagged_music` writes: file extension -> soundfile subtype.
FORMATS = {"flac": "PCM_16", "wav": "PCM_16", "ogg": "VORBIS"}
MIN_SR = 8000  # Hz: the instruments' filters and the lo-fi band need at least this
MIN_SECONDS = 0.5  # the shortest clip that holds a note of every instrument

# Tag thresholds, on quantities measured from each clip's score and audio.
FAST_BPM, SLOW_BPM = 125.0, 90.0  # tempo, beats per minute
DENSE_RATE, SPARSE_RATE = 4.0, 1.5  # distinct pitched note onsets per second
LOUD_DBFS, QUIET_DBFS = -18.0, -28.0  # RMS level of the final clip, dB re full scale

_TABLE_SIZE = 2048  # one cycle of a wavetable, samples (a power of two)
_N_HARMONICS = 48
_HARMONIC_BASIS = np.sin(
    2 * np.pi * np.outer(np.arange(1, _N_HARMONICS + 1), np.arange(_TABLE_SIZE)) / _TABLE_SIZE
)
_MAJOR = np.array([0, 2, 4, 5, 7, 9, 11])
_MINOR = np.array([0, 2, 3, 5, 7, 8, 11])  # harmonic minor: its leading tone is in no major key
_PROGRESSIONS = {  # chord roots as scale degrees (0 = tonic), one chord per bar
    "major": ((0, 4, 5, 3), (0, 3, 4, 0), (0, 5, 3, 4), (0, 3, 0, 4)),
    "minor": ((0, 5, 3, 4), (0, 3, 4, 0), (0, 3, 5, 4), (0, 3, 0, 4)),
}
_ENSEMBLE_SIZES = (1, 2, 3, 4)  # pitched instruments per clip ...
_ENSEMBLE_PROBS = (0.3, 0.35, 0.22, 0.13)  # ... and how often


# --------------------------------------------------------------------------- synthesis


def _harmonic(amps: np.ndarray, f0: float, phase: np.ndarray, sr: int) -> np.ndarray:
    """Wavetable oscillator: harmonics ``amps`` of ``f0`` (Hz) at ``phase`` (cycles).

    Harmonics at or above 0.45 ``sr`` are dropped, so nothing aliases.
    """
    n = min(len(amps), int(0.45 * sr / f0))
    table = amps[:n] @ _HARMONIC_BASIS[:n]
    return table[(phase * _TABLE_SIZE).astype(np.int64) & (_TABLE_SIZE - 1)]


def _vibrato_phase(f0: float, t: np.ndarray, rate: float, depth: float) -> np.ndarray:
    """Phase (cycles) of ``f0 * (1 + depth * sin(2 pi rate t))``, integrated in closed form."""
    return f0 * t + f0 * depth * (1 - np.cos(2 * np.pi * rate * t)) / (2 * np.pi * rate)


def _envelope(t: np.ndarray, dur: float, attack: float, release: float) -> np.ndarray:
    """Linear attack (s), hold until ``dur`` (s), then exponential release (time constant, s)."""
    env = np.minimum(t / attack, 1.0)
    return env * np.exp(-np.maximum(t - dur, 0.0) / release)


def _tail(release: float) -> float:
    """Seconds a note rings after its release starts (five time constants)."""
    return 5 * release


Render = Callable[[float, float], np.ndarray]  # (f0 in Hz, duration in s) -> samples


def _piano(rng: np.random.Generator, sr: int) -> Render:
    """Struck string: a bright fast-decaying spectrum over a slow, darker one; damper on release."""
    n = np.arange(1, _N_HARMONICS + 1)
    bright = np.abs(np.sin(np.pi * n * rng.uniform(0.08, 0.16))) / n
    dark = np.array([1.0, 0.4, 0.15])
    tau_bright, tau_dark = rng.uniform(0.12, 0.25), rng.uniform(0.8, 1.6)

    def note(f0: float, dur: float) -> np.ndarray:
        t = np.arange(int((dur + _tail(0.08)) * sr)) / sr
        k = np.sqrt(262.0 / f0)  # higher notes decay faster
        y = _harmonic(bright, f0, f0 * t, sr) * np.exp(-t / (tau_bright * k))
        y += 0.7 * _harmonic(dark, f0, f0 * t, sr) * np.exp(-t / (tau_dark * k))
        return y * _envelope(t, dur, 0.002, 0.08)

    return note


def _guitar(rng: np.random.Generator, sr: int) -> Render:
    """Plucked string: comb-filtered 1/n^1.5 spectrum, fast decay of the upper partials."""
    n = np.arange(1, _N_HARMONICS + 1)
    bright = np.abs(np.sin(np.pi * n * rng.uniform(0.15, 0.3))) / n**1.5
    dark = np.array([1.0, 0.5, 0.3, 0.1])
    tau_bright, tau_dark = rng.uniform(0.04, 0.08), rng.uniform(0.35, 0.7)

    def note(f0: float, dur: float) -> np.ndarray:
        t = np.arange(int((dur + _tail(0.05)) * sr)) / sr
        y = _harmonic(bright, f0, f0 * t, sr) * np.exp(-t / tau_bright)
        y += 0.6 * _harmonic(dark, f0, f0 * t, sr) * np.exp(-t / tau_dark)
        return y * _envelope(t, dur, 0.001, 0.05)

    return note


def _strings(rng: np.random.Generator, sr: int) -> Render:
    """Bowed section: two detuned sawtooth voices with vibrato and a slow attack."""
    amps = 1.0 / np.arange(1, _N_HARMONICS + 1) ** 0.9
    rate, depth = rng.uniform(4.5, 6.5), rng.uniform(0.003, 0.008)
    detune, attack = 2 ** (rng.uniform(4, 9) / 1200), rng.uniform(0.08, 0.25)

    def note(f0: float, dur: float) -> np.ndarray:
        t = np.arange(int((dur + _tail(0.15)) * sr)) / sr
        y = sum(
            _harmonic(amps, f, _vibrato_phase(f, t, rate * r, depth), sr)
            for f, r in ((f0 * detune, 1.0), (f0 / detune, 1.13))
        )
        return y * _envelope(t, dur, attack, 0.15)

    return note


def _organ(rng: np.random.Generator, sr: int) -> Render:
    """Drawbar organ: a fixed set of harmonics, instant on and off, no vibrato."""
    amps = np.zeros(16)
    amps[[0, 1, 2, 3, 5, 7, 9, 11, 15]] = rng.uniform(0.0, 1.0, 9) ** 2
    amps[0] = 1.0

    def note(f0: float, dur: float) -> np.ndarray:
        t = np.arange(int((dur + _tail(0.01)) * sr)) / sr
        return _harmonic(amps, f0, f0 * t, sr) * _envelope(t, dur, 0.005, 0.01)

    return note


def _bass(rng: np.random.Generator, sr: int) -> Render:
    """Electric bass: few harmonics, a plucked decay towards a sustain level."""
    amps = np.array([1.0, 0.6, 0.3, 0.15, 0.08]) * rng.uniform(0.5, 1.0) ** np.arange(5)
    tau = rng.uniform(0.4, 0.9)

    def note(f0: float, dur: float) -> np.ndarray:
        t = np.arange(int((dur + _tail(0.06)) * sr)) / sr
        decay = 0.35 + 0.65 * np.exp(-t / tau)
        return _harmonic(amps, f0, f0 * t, sr) * decay * _envelope(t, dur, 0.005, 0.06)

    return note


def _flute(rng: np.random.Generator, sr: int) -> Render:
    """Flute: nearly sinusoidal, gentle vibrato, breath noise."""
    amps = np.array([1.0, rng.uniform(0.1, 0.4), rng.uniform(0.02, 0.15), 0.02])
    rate, depth = rng.uniform(4.5, 5.5), rng.uniform(0.002, 0.005)
    breath = rng.uniform(0.04, 0.1)

    def note(f0: float, dur: float) -> np.ndarray:
        t = np.arange(int((dur + _tail(0.08)) * sr)) / sr
        y = _harmonic(amps, f0, _vibrato_phase(f0, t, rate, depth), sr)
        y[1:] += breath * np.diff(rng.standard_normal(len(t)))
        return y * _envelope(t, dur, rng.uniform(0.04, 0.1), 0.08)

    return note


def _synth(rng: np.random.Generator, sr: int) -> Render:
    """Synth lead: two detuned square waves (odd harmonics), no vibrato."""
    n = np.arange(1, _N_HARMONICS + 1)
    amps = np.where(n % 2 == 1, 1.0, rng.uniform(0.0, 0.15)) / n
    detune = 2 ** (rng.uniform(6, 14) / 1200)

    def note(f0: float, dur: float) -> np.ndarray:
        t = np.arange(int((dur + _tail(0.06)) * sr)) / sr
        y = _harmonic(amps, f0 * detune, f0 * detune * t, sr)
        y += _harmonic(amps, f0 / detune, f0 / detune * t, sr)
        return y * _envelope(t, dur, 0.01, 0.06)

    return note


def _bells(rng: np.random.Generator, sr: int) -> Render:
    """Bells: inharmonic partials, each ringing out on its own (the note length is ignored)."""
    ratios = np.array([0.5, 1.0, 1.19, 1.56, 2.0, 2.51, 3.01, 4.17])
    amps = np.array([0.4, 1.0, 0.6, 0.5, 0.5, 0.3, 0.25, 0.15])
    ring = rng.uniform(0.8, 1.6)

    @functools.cache
    def strike(f0: float) -> np.ndarray:
        keep = ratios * f0 < 0.45 * sr
        tau = ring / ratios[keep, None]
        t = np.arange(int(_tail(ring) * sr), dtype=np.float32) / np.float32(sr)  # float32: twice as fast
        partials = np.sin(np.float32(2 * np.pi * f0) * ratios[keep, None].astype(np.float32) * t)
        partials *= np.exp(-t / tau.astype(np.float32))
        return (amps[keep] @ partials) * np.minimum(t / 0.002, 1.0)

    return lambda f0, dur: strike(f0)


class _Instrument(NamedTuple):
    name: str
    make: Callable[[np.random.Generator, int], Render]
    weight: float  # how often it is picked, relative
    low: int  # MIDI range it plays in
    high: int


_INSTRUMENTS = (
    _Instrument("piano", _piano, 1.0, 45, 84),
    _Instrument("strings", _strings, 0.9, 52, 88),
    _Instrument("organ", _organ, 0.8, 43, 79),
    _Instrument("guitar", _guitar, 0.9, 40, 76),
    _Instrument("bass", _bass, 1.0, 28, 50),
    _Instrument("flute", _flute, 0.7, 62, 93),
    _Instrument("synth", _synth, 0.6, 55, 86),
    _Instrument("bells", _bells, 0.25, 67, 96),
)


def _drum_kit(rng: np.random.Generator, sr: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One-shot kick, snare and hi-hat samples, tuned per clip."""
    t = np.arange(int(0.5 * sr)) / sr
    f_kick = rng.uniform(45, 60) + rng.uniform(70, 130) * np.exp(-t / 0.03)
    kick = np.sin(2 * np.pi * np.cumsum(f_kick) / sr) * np.exp(-t / rng.uniform(0.1, 0.2))
    noise = rng.standard_normal((2, len(t)))
    snare = (0.6 * np.diff(noise[0], prepend=0.0) + np.sin(2 * np.pi * rng.uniform(160, 230) * t))
    snare *= np.exp(-t / rng.uniform(0.07, 0.14))
    hat = np.diff(noise[1], n=2, prepend=[0.0, 0.0]) * np.exp(-t / rng.uniform(0.015, 0.05))
    return kick, 0.7 * snare, 0.25 * hat


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x**2)))


def _place(buffer: np.ndarray, onset: float, sound: np.ndarray, sr: int) -> None:
    """Add ``sound`` into ``buffer`` starting at ``onset`` seconds, cropped at the end."""
    start = int(round(onset * sr))
    stop = min(len(buffer), start + len(sound))
    buffer[start:stop] += sound[: max(0, stop - start)]


class _Score(NamedTuple):
    """Harmony and rhythm shared by all parts of one clip."""

    tonic: int  # MIDI pitch class 0-11
    scale: np.ndarray  # semitones of the 7 scale degrees
    chords: tuple[int, ...]  # chord root degree of each bar (cycled)
    beat: float  # seconds
    per_beat: float  # notes per beat of melodies and arpeggios


Notes = list[tuple[float, float, int]]  # (onset s, duration s, scale degree)


def _pitch(score: _Score, degree: int, low: int) -> int:
    """MIDI pitch of scale ``degree`` counted from the lowest tonic at or above ``low``."""
    base = low + (score.tonic - low) % 12
    return base + 12 * (degree // 7) + int(score.scale[degree % 7])


def _chord_at(score: _Score, time: float) -> int:
    return score.chords[int(time / (4 * score.beat)) % len(score.chords)]


def _melody(rng: np.random.Generator, score: _Score, seconds: float, span: int) -> Notes:
    """Random walk over the scale, landing on chord tones on the beats."""
    step = score.beat / score.per_beat
    onsets = np.arange(0.0, seconds, step)
    rests = rng.random(len(onsets)) < 0.15
    rests[0] = False  # never a silent part
    onsets = onsets[~rests]
    degree, notes = span // 2, []
    for onset in onsets:
        degree = int(np.clip(degree + rng.choice([-2, -1, -1, 0, 1, 1, 2]), 0, span))
        if abs(onset / score.beat - round(onset / score.beat)) < 1e-6:
            root = _chord_at(score, onset)
            tones = [root + 7 * k + i for k in range(-1, 4) for i in (0, 2, 4)]
            degree = min(tones, key=lambda d: (abs(d - degree), d))
        notes.append((onset, step * rng.uniform(0.6, 1.0), degree))
    return notes


def _chords(rng: np.random.Generator, score: _Score, seconds: float) -> Notes:
    """Block chords (once or twice per bar) or arpeggios at the melody's rate."""
    if rng.random() < 0.5:
        step, pattern = 4 * score.beat / rng.choice([1, 2]), [(0, 2, 4)]
    else:
        step, pattern = score.beat / score.per_beat, [(0,), (2,), (4,), (7,)]
    notes = []
    for i, onset in enumerate(np.arange(0.0, seconds, step)):
        root = _chord_at(score, onset)
        notes += [(onset, step * 0.95, 7 + root + d) for d in pattern[i % len(pattern)]]
    return notes


def _bassline(rng: np.random.Generator, score: _Score, seconds: float) -> Notes:
    """Chord roots, once every 1, 2 or 4 beats."""
    step = score.beat * rng.choice([1, 2, 4])
    return [(t, step * 0.9, _chord_at(score, t)) for t in np.arange(0.0, seconds, step)]


def _drums(rng: np.random.Generator, score: _Score, seconds: float, sr: int, n: int) -> np.ndarray:
    """Kick on 1 and 3 (plus a random extra), snare on 2 and 4, hi-hat in 4ths, 8ths or 16ths."""
    kick, snare, hat = _drum_kit(rng, sr)
    sixteenth = score.beat / 4
    kicks = {0, 8} | ({int(rng.choice([6, 10, 14]))} if rng.random() < 0.6 else set())
    hat_every = int(rng.choice([1, 2, 2, 4]))
    out = np.zeros(n)
    for i, onset in enumerate(np.arange(0.0, seconds, sixteenth)):
        s, vel = i % 16, rng.uniform(0.7, 1.0)
        if s in kicks:
            _place(out, onset, vel * kick, sr)
        if s in (4, 12):
            _place(out, onset, vel * snare, sr)
        if s % hat_every == 0:
            _place(out, onset, vel * hat, sr)
    return out


def _band(rng: np.random.Generator, seconds: float, sr: int, n: int):
    """Compose and play a clip: the dry mix, players, drums, tempo, mode and note-onset rate."""
    mode = "major" if rng.random() < 0.5 else "minor"
    bpm = rng.uniform(60.0, 180.0)
    progressions = _PROGRESSIONS[mode]
    score = _Score(
        tonic=int(rng.integers(12)),
        scale=_MAJOR if mode == "major" else _MINOR,
        chords=progressions[rng.integers(len(progressions))],
        beat=60.0 / bpm,
        per_beat=float(rng.choice([0.5, 1.0, 2.0, 4.0])),
    )
    weights = np.array([inst.weight for inst in _INSTRUMENTS])
    k = rng.choice(_ENSEMBLE_SIZES, p=_ENSEMBLE_PROBS)
    picked = sorted(rng.choice(len(_INSTRUMENTS), size=k, replace=False, p=weights / weights.sum()))
    players = [_INSTRUMENTS[i] for i in picked]
    leads = [p.name for p in players if p.name != "bass"]
    lead = leads[rng.integers(len(leads))] if leads else None
    has_drums = rng.random() < 0.5

    mix, onsets = np.zeros(n), set()
    for inst in players:
        if inst.name == "bass":
            notes = _bassline(rng, score, seconds)
        elif inst.name == lead:
            notes = _melody(rng, score, seconds, span=min(14, (inst.high - inst.low) * 7 // 12 - 2))
        else:
            notes = _chords(rng, score, seconds)
        render, part = inst.make(rng, sr), np.zeros(n)
        for onset, dur, degree in notes:
            midi = _pitch(score, degree, inst.low)
            midi -= 12 * max(0, (midi - inst.high + 11) // 12)  # octaves down into range
            f0 = 440.0 * 2 ** ((midi - 69) / 12)
            _place(part, onset, rng.uniform(0.6, 1.0) * render(f0, dur), sr)
            onsets.add(round(onset, 3))
        mix += part / _rms(part) * 10 ** (rng.uniform(-8, 0) / 20)
    if has_drums:
        drums = _drums(rng, score, seconds, sr, n)
        mix += drums / _rms(drums) * 10 ** (rng.uniform(-8, 0) / 20)
    return mix, players, has_drums, bpm, mode, len(onsets) / seconds


def _room(rng: np.random.Generator, dry: np.ndarray, sr: int) -> tuple[np.ndarray, bool, bool]:
    """Reverb (a room, or a hall for ``reverb``), noise (strong and band-limited for ``lofi``)."""
    reverb = rng.random() < 0.35
    rt60 = rng.uniform(1.2, 2.5) if reverb else rng.uniform(0.2, 0.5)
    t = np.arange(int(rt60 * sr)) / sr
    wet = signal.fftconvolve(dry, rng.standard_normal(len(t)) * np.exp(-6.91 * t / rt60))[: len(dry)]
    mix = dry + wet * (rng.uniform(0.35, 0.6) if reverb else rng.uniform(0.05, 0.2)) * _rms(dry) / _rms(wet)
    lofi = rng.random() < 0.08
    snr_db = rng.uniform(10, 18) if lofi else rng.uniform(35, 50)
    mix += rng.standard_normal(len(mix)) * _rms(mix) * 10 ** (-snr_db / 20)
    if lofi:
        mix = signal.sosfilt(signal.butter(4, rng.uniform(1500, 2800), fs=sr, output="sos"), mix)
    return mix, reverb, lofi


def _clip(rng: np.random.Generator, seconds: float, sr: int) -> tuple[np.ndarray, list[str]]:
    """One clip (float32 samples in [-1, 1]) and its tags."""
    n = int(round(seconds * sr))
    dry, players, has_drums, bpm, mode, onset_rate = _band(rng, seconds, sr, n)
    mix, reverb, lofi = _room(rng, dry, sr)
    mix *= 10 ** (rng.uniform(-36.0, -12.0) / 20) / _rms(mix)
    mix /= max(1.0, np.max(np.abs(mix)) / 0.98)  # no clipping
    level = 20 * np.log10(_rms(mix))
    n_sources = len(players) + has_drums
    flags = {
        **{inst.name: inst in players for inst in _INSTRUMENTS},
        "drums": has_drums, "no_drums": not has_drums,
        "fast": bpm >= FAST_BPM, "slow": bpm < SLOW_BPM,
        "major": mode == "major", "minor": mode == "minor",
        "loud": level >= LOUD_DBFS, "quiet": level < QUIET_DBFS,
        "solo": n_sources == 1, "ensemble": n_sources >= 3,
        "dense": onset_rate >= DENSE_RATE, "sparse": onset_rate < SPARSE_RATE,
        "reverb": reverb, "lofi": lofi,
    }  # fmt: skip
    return mix.astype(np.float32), [tag for tag in TAGS if flags[tag]]


def _write_clip(job: tuple[Path, int, int, float, int, str]) -> tuple[str, list[str]]:
    """Render clip ``index`` of ``seed`` and write it under ``out/audio``: (its relative path, its tags)."""
    out, seed, index, seconds, sr, fmt = job
    audio, tags = _clip(np.random.default_rng([seed, 0, index]), seconds, sr)
    name = f"audio/track_{index:05d}.{fmt}"
    partial = out / f"audio/.track_{index:05d}.{fmt}.part"  # renamed when whole: a kill leaves no cut clip
    sf.write(partial, audio, sr, format=fmt.upper(), subtype=FORMATS[fmt])
    os.replace(partial, out / name)
    return name, tags


def _splits(n: int, rng: np.random.Generator) -> list[str]:
    """70 / 15 / 15 percent train / valid / test in random order (all train below 3 tracks)."""
    n_held = max(1, round(0.15 * n)) if n >= 3 else 0
    labels = ["valid"] * n_held + ["test"] * n_held + ["train"] * (n - 2 * n_held)
    return [labels[i] for i in rng.permutation(n)]


def _clip_settings(seconds, sr, seed) -> tuple[float, int, int]:
    """The generator's ``(seconds, sr, seed)``, checked; else ParameterError naming the parameter."""
    if not is_finite_real(seconds) or not MIN_SECONDS <= seconds <= MAX_CLIP_SECONDS:
        raise ParameterError(f"seconds={seconds!r} must be a number from {MIN_SECONDS} to {MAX_CLIP_SECONDS} (s)")
    if not is_integer(sr) or not MIN_SR <= sr <= MAX_SAMPLE_RATE:
        raise ParameterError(f"sr={sr!r} must be an integer from {MIN_SR} to {MAX_SAMPLE_RATE} (Hz): the "
                             "instruments' filters need that band")
    return float(seconds), int(sr), checked_seed(seed)


def make_tagged_music(
    n_tracks: int,
    *,
    seconds: float = 29.12,
    sr: int = 12000,
    seed: int = 0,
    out: str | Path,
    fmt: str = "flac",
    workers: int | None = 1,
    progress: bool = False,
) -> Path:
    """Write a reproducible set of synthetic, multi-labelled music clips.

    Each clip mixes one to four pitched instruments (piano, bowed strings, organ,
    plucked guitar, bass, flute, synth lead, bells; each with its own timbre and
    envelope, randomised per clip) and, in half of the clips, a drum kit (kick,
    snare, hi-hat). They play a chord progression in a random major or harmonic
    minor key at 60-180 BPM: a melody (a random walk over the scale that lands
    on chord tones on the beats), block or arpeggiated chords, and a bass line.
    The mix goes through a room or a long hall (exponentially decaying noise
    impulse response), gets background noise (strong and band-limited for
    ``lofi``) and a random level.

    Tags (see `TAGS`) are exact, from the score and the final audio: each
    instrument present; ``drums`` / ``no_drums``; ``fast`` (>= 125 BPM) /
    ``slow`` (< 90 BPM); ``major`` / ``minor``; ``loud`` (RMS >= -18 dBFS) /
    ``quiet`` (< -28 dBFS); ``solo`` (one source) / ``ensemble`` (three or more,
    the kit counting as one); ``dense`` (>= 4 distinct note onsets per second) /
    ``sparse`` (< 1.5 per second); ``reverb`` (hall); ``lofi`` (about 8 %).

    Parameters
    ----------
    n_tracks : int > 0
        Number of clips.
    seconds : float in [MIN_SECONDS, MAX_CLIP_SECONDS] = [0.5, 86400]
        Length of every clip, in seconds. The default, 29.12 s at 12 kHz, gives
        Choi et al.'s 1366 frames at ``hop_length=256``.
    sr : int, MIN_SR (8000) <= sr <= 1536000
        Sampling rate, in Hz.
    seed : int in [0, 2**63)
        Clip ``i`` comes from the random stream ``(seed, 0, i)``
        and the splits from ``(seed, 1)``.
    out : str or Path
        Directory to write into (created if needed): ``manifest.csv`` and the
        clips under ``audio/``. Existing files of the same names are replaced. Each
        file is written whole or not at all (renamed into place), the manifest last.
    fmt : {"flac", "ogg", "wav"}
        Audio format: 16-bit FLAC or WAV, or Ogg Vorbis (lossy).
    workers : int or None
        Processes rendering clips (-1: one per CPU); the files do not depend on it.
    progress : bool
        A progress bar (clips/s, ETA).

    Returns
    -------
    manifest : Path
        The manifest CSV, columns ``path,tags,split``: paths relative to it,
        tags separated by ``;``, split 70 / 15 / 15 % train / valid / test
        (all train below 3 tracks).

    See Also
    --------
    read_manifest, multi_hot

    Examples
    --------
    >>> from fasttag.datasets import TAGS, make_tagged_music, read_manifest
    >>> csv_path = make_tagged_music(10, seconds=2.0, out="clips")
    >>> csv_path.as_posix()
    'clips/manifest.csv'
    >>> tracks, vocabulary = read_manifest(csv_path)
    >>> len(tracks), tracks[0].track_id, set(vocabulary) <= set(TAGS)
    (10, 'audio/track_00000.flac', True)
    >>> [track.split for track in tracks].count("train")   # 70 / 15 / 15 %
    6
    """
    n_tracks = positive_int(n_tracks, "n_tracks")
    seconds, sr, seed = _clip_settings(seconds, sr, seed)
    if fmt not in FORMATS:
        raise ParameterError(f"fmt={fmt!r} must be one of {sorted(FORMATS)}")
    workers = min(resolve_workers(workers), n_tracks)
    out = Path(out)
    (out / "audio").mkdir(parents=True, exist_ok=True)
    splits = _splits(n_tracks, np.random.default_rng([seed, 1]))
    jobs = [(out, seed, i, seconds, sr, fmt) for i in range(n_tracks)]
    if workers == 1:
        clips = map(_write_clip, jobs)
    else:
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
        clips = pool.map(_write_clip, jobs, chunksize=4)
    table = io.StringIO()
    writer = csv.writer(table)
    writer.writerow(["path", "tags", "split"])
    try:
        for (name, tags), split in zip(tqdm(clips, total=len(jobs), desc="generate", unit="clip",
                                            disable=not progress), splits):  # fmt: skip
            writer.writerow([name, ";".join(tags), split])
    finally:
        if workers > 1:
            pool.shutdown(cancel_futures=True)
    manifest = out / "manifest.csv"
    write_text_atomic(manifest, table.getvalue())
    return manifest


def example_audio(seconds: float = 5.0, sr: int = 22050, seed: int = 0) -> np.ndarray:
    """A short piece of generated music, for examples and quick trials (nothing is downloaded).

    The clip `make_tagged_music` writes first with the same ``seconds``, ``sr`` and ``seed``,
    before its 16-bit encoding: one to four instruments playing a chord progression, drums
    for some seeds, a room and background noise.

    Parameters
    ----------
    seconds : float in [MIN_SECONDS, MAX_CLIP_SECONDS] = [0.5, 86400]
        Length, in seconds.
    sr : int, MIN_SR (8000) <= sr <= 1536000
        Sampling rate, in Hz.
    seed : int in [0, 2**63)
        The random stream: the same seed gives the same samples, another seed another piece.

    Returns
    -------
    y : np.ndarray [shape=(round(seconds * sr),), dtype=float32]
        Mono samples, peak at most 0.98 (full scale is 1).

    See Also
    --------
    make_tagged_music

    Examples
    --------
    >>> import fasttag
    >>> y = fasttag.datasets.example_audio(seconds=2.0, sr=22050)
    >>> y.shape, y.dtype
    ((44100,), dtype('float32'))
    >>> bool(0 < abs(y).max() <= 0.98)
    True
    """
    seconds, sr, seed = _clip_settings(seconds, sr, seed)
    return _clip(np.random.default_rng([seed, 0, 0]), seconds, sr)[0]
