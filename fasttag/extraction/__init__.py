"""Feature extraction at collection scale: many audio files -> a `fasttag.store.FeatureStore`.

- `ExtractParams`: what is computed per track (log-mel, MFCC + deltas or chroma, the STFT
  and filterbank settings, an optional fixed-length crop);
- `features`: the features of one file, decoded and resampled in blocks (bounded memory
  on long files; with a crop only the crop's window is decoded);
- `extract`: a whole collection (a folder, a manifest CSV or a list of files) into a store,
  in worker processes (`concurrent.futures.ProcessPoolExecutor`) or on a Dask cluster,
  with a progress bar, resume, and bad files recorded instead of raised.

Blocked processing gives the whole-file result: the STFT frames of ``center=True``
framing are cut from the zero-padded sample stream ``[0] * (n_fft // 2) + y + [0] *
(n_fft // 2)`` block by block (``center=False`` on each block, blocks overlapping by
``n_fft - hop_length`` samples); the frame-local stage (mel power, chroma) runs per block,
and the track-global stage (``top_db`` clipping at the track's peak, the DCT and deltas)
once on the whole feature matrix, which is the size of the output. Resampling is soxr's
streaming resampler, whose output equals its one-shot output.
"""

from fasttag.audio import AUDIO_EXTENSIONS

from .api import ExtractSummary, extract
from .decode import features
from .params import ExtractParams
from .sources import find_tracks

# Also imported from here: by `fasttag.commands.extract` and the tests (the private hooks).
from .decode import _extract_file  # noqa: F401
from .params import _KILL_WORKER_ENV, CROPS, FEATURE_KINDS  # noqa: F401

__all__ = ["AUDIO_EXTENSIONS", "ExtractParams", "ExtractSummary", "extract", "features", "find_tracks"]
