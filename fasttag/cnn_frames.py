"""CNN frame features: a trained FCN's feature map, frame by frame (the study's X = Cnn5(R)).

The FCN is frozen (black-box transfer): `feature_map` runs its first ``block``
blocks in eval mode without gradients and takes the maximum over what is left
of the mel axis, giving ``(n_channels, n_frames')`` per clip, the frame
features that a bag of frames or an LSTM summarises. `CNNFrames` is the
corresponding feature description (``kind="cnn"``) of `fasttag.featurizers`;
a run that uses it keeps a copy of the FCN run in its ``cnn/`` folder.
Fine-tuned transfer (all weights trained further) is `fasttag.transfer.init_from`.
"""

from __future__ import annotations

import dataclasses
import numbers
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from fasttag import _validate
from fasttag.errors import FasttagError, ParameterError
from fasttag.featurizers import FEATURES, LogMel

if TYPE_CHECKING:  # torch is imported when a CNN is first used, not with the feature registry
    from fasttag.models import FCN

#: Folder, inside a run directory, holding the FCN run whose features the run uses.
CNN_DIR = "cnn"
_LOGMEL_KEYS = ("sr", "n_fft", "hop_length", "n_mels", "seconds")


def _check_block(fcn, block) -> int:
    """``block`` as a 1-based block index of ``fcn`` (None: its last block)."""
    n_layers = len(fcn.blocks)
    if block is None:
        return n_layers
    if isinstance(block, bool) or not isinstance(block, numbers.Integral) or not 1 <= block <= n_layers:
        raise ParameterError(f"block={block!r} must be an integer in [1, {n_layers}] (the FCN's conv blocks)")
    return int(block)


def frames_after(fcn, n_frames: int, *, block: int | None = None, pool_time: bool = False) -> int:
    """Frames left after ``block`` blocks of ``fcn`` for an input of ``n_frames`` frames (int > 0)."""
    block = _check_block(fcn, block)
    n_frames = _validate.positive_int(n_frames, "n_frames")
    if not pool_time:
        return n_frames
    for blk in fcn.blocks[:block]:
        n_frames //= min(blk.pool[1], n_frames)
    return n_frames


def feature_map(fcn, S, *, block: int | None = None, pool_time: bool = False, batch_size: int = 8) -> np.ndarray:
    """Frame features of a frozen FCN: block ``block``'s output, maximum over frequency.

    The model is run in eval mode (batch norm's running statistics, no
    dropout) without gradients, and put back in the mode it was in; its
    weights and buffers are not changed.

    Parameters
    ----------
    fcn : fasttag.models.FCN
        A trained FCN (its input standardisation included).
    S : np.ndarray [shape=(n_clips, n_mels, n_frames)]
        Log-mel spectrograms in dB, as the FCN was trained on.
    block : int in [1, n_layers], optional
        The block whose output is taken; default the last one (before the
        global pooling): the study's Cnn5 for FCN-5.
    pool_time : bool
        Keep the blocks' max-pooling over time, as in training, so block ``b``
        leaves ``n_frames`` divided by the product of the time pools (for Choi's
        1366 frames, 4 frames after block 4 of FCN-5 and 1 after block 5).
        False (default) pools over frequency only, keeping one feature vector
        per input frame: the frame-by-frame features of the study.
    batch_size : int > 0
        Clips per forward pass.

    Returns
    -------
    X : np.ndarray [shape=(n_clips, n_channels, n_frames'), dtype=float32]
        ``n_channels`` is the block's channel count; ``n_frames'`` is
        `frames_after` (``n_frames`` without time pooling).
    """
    import torch
    import torch.nn.functional as F

    from fasttag._torch_device import model_device
    from fasttag.models import FCN

    if not isinstance(fcn, FCN):
        raise ParameterError(f"fcn must be a fasttag.models.FCN, not {type(fcn).__name__}")
    block = _check_block(fcn, block)
    batch_size = _validate.positive_int(batch_size, "batch_size")
    S = _validate.float_array(S, "S").astype(np.float32, copy=False)  # finite: NaN would give NaN features
    n_mels = fcn.hparams["n_mels"]
    if S.ndim != 3 or S.shape[1] != n_mels or S.shape[0] == 0 or S.shape[2] == 0:
        raise ParameterError(f"S must be log-mel spectrograms (n_clips, n_mels={n_mels}, n_frames); "
                             f"got shape {S.shape}")
    was_training = fcn.training
    device = model_device(fcn)
    fcn.eval()
    parts = []
    try:
        with torch.no_grad():
            for x in torch.from_numpy(np.ascontiguousarray(S)).split(batch_size):
                x = ((x.to(device) - fcn.feature_mean) / fcn.feature_std).unsqueeze(1)
                for blk in fcn.blocks[:block]:
                    x = blk.act(blk.bn(blk.conv(x)))
                    time_pool = min(blk.pool[1], x.shape[-1]) if pool_time else 1
                    x = F.max_pool2d(x, (min(blk.pool[0], x.shape[-2]), time_pool))  # dropout: identity in eval
                parts.append(x.amax(dim=-2).cpu().numpy())
    finally:
        fcn.train(was_training)
    return np.concatenate(parts)


@dataclass(frozen=True, eq=False)
class CNNFrames:
    """Frame features of a frozen FCN on log-mel clips (``kind="cnn"``): `feature_map` of `logmel`.

    Build it from a trained FCN run with `from_run`. In a run directory the
    FCN is kept as a run of its own in ``cnn/`` (`save_files`); ``as_dict()``
    names that folder and the block, and `from_dict` reads it back.

    Parameters
    ----------
    fcn : fasttag.models.FCN
        The trained network (not changed by this class).
    tags : tuple of str
        The FCN's own tags (kept so its run can be saved again).
    logmel : fasttag.featurizers.LogMel
        The FCN's log-mel parameters, with the clip length of these features.
    block : int, optional
        Block whose output is taken (1-based; default the last).
    pool_time : bool
        As in `feature_map` (default False: one vector per log-mel frame).
    """

    kind: ClassVar[str] = "cnn"

    fcn: FCN = field(repr=False)
    tags: tuple = field(repr=False)
    logmel: LogMel
    block: int | None = None
    pool_time: bool = False

    def __post_init__(self):
        from fasttag.models import FCN

        if not isinstance(self.fcn, FCN):
            raise ParameterError(f"fcn must be a fasttag.models.FCN, not {type(self.fcn).__name__}")
        if self.fcn.hparams.get("n_chroma", 0):
            raise ParameterError("CNN frames need an FCN on log-mel alone; this one also takes "
                                 f"{self.fcn.hparams['n_chroma']} chroma rows")  # fmt: skip
        if not isinstance(self.logmel, LogMel) or self.logmel.n_mels != self.fcn.hparams["n_mels"]:
            raise ParameterError(f"logmel={self.logmel!r} must be LogMel parameters with the FCN's "
                                 f"n_mels={self.fcn.hparams['n_mels']}")  # fmt: skip
        if len(self.tags) != self.fcn.hparams["n_tags"]:
            raise ParameterError(f"tags has {len(self.tags)} names but the FCN has "
                                 f"{self.fcn.hparams['n_tags']} outputs")
        if not isinstance(self.pool_time, bool):
            raise ParameterError(f"pool_time={self.pool_time!r} must be True or False")
        object.__setattr__(self, "block", _check_block(self.fcn, self.block))
        object.__setattr__(self, "tags", tuple(self.tags))

    @classmethod
    def from_run(cls, run, *, seconds: float | None = None, block: int | None = None, pool_time: bool = False):
        """CNN frames of the FCN of a trained run (a directory or a `fasttag.training.Run`).

        ``seconds`` is the clip length (default the run's); the log-mel
        parameters are the run's. FasttagError if the run is not an FCN on log-mels.
        """
        from fasttag.training import Run, load_run

        source = run if isinstance(run, Run) else load_run(run)
        name = type(source.model).__name__
        if name != "FCN" or source.features.get("kind", "logmel") != "logmel":
            raise FasttagError(f"{getattr(source, 'path', None) or 'the run'} holds a {name} on "
                               f"{source.features.get('kind', 'logmel')} features; CNN frames need an FCN "
                               "trained on logmel")  # fmt: skip
        logmel = LogMel.from_dict(source.features)
        if seconds is not None:
            logmel = dataclasses.replace(logmel, seconds=seconds)
        return cls(source.model, tuple(source.tags), logmel, block=block, pool_time=pool_time)

    # -- what the registry needs ---------------------------------------------------------------

    sr = property(lambda self: self.logmel.sr, doc="Sampling rate, Hz.")
    n_fft = property(lambda self: self.logmel.n_fft)
    hop_length = property(lambda self: self.logmel.hop_length)
    n_mels = property(lambda self: self.logmel.n_mels)
    seconds = property(lambda self: self.logmel.seconds, doc="Clip length, s.")
    n_samples = property(lambda self: self.logmel.n_samples, doc="Samples per clip.")

    @property
    def n_features(self) -> int:
        """Rows of the feature matrix: the block's channels."""
        return self.fcn.hparams["channels"][self.block - 1]

    @property
    def n_frames(self) -> int:
        """Frames per clip (`frames_after` the log-mel's frames)."""
        return frames_after(self.fcn, self.logmel.n_frames, block=self.block, pool_time=self.pool_time)

    def __call__(self, y: np.ndarray) -> np.ndarray:
        """CNN frame features of clips ``(n_clips, n_samples)``: ``(n_clips, n_features, n_frames)`` float32."""
        y = np.asarray(y)
        S = self.logmel(y.reshape(-1, y.shape[-1]))
        return self.from_logmel(S).reshape(y.shape[:-1] + (self.n_features, -1))

    def from_logmel(self, S) -> np.ndarray:
        """The same from log-mel spectrograms ``(n_clips, n_mels, n_frames)`` already computed."""
        return feature_map(self.fcn, S, block=self.block, pool_time=self.pool_time)

    def as_dict(self) -> dict:
        """JSON form: the FCN run's folder (relative to the run directory), block, pooling, clip."""
        clip = {key: getattr(self.logmel, key) for key in _LOGMEL_KEYS}
        return {"kind": self.kind, "run": CNN_DIR, "block": self.block, "pool_time": self.pool_time, **clip}

    def save_files(self, run_dir) -> None:
        """Save the FCN as a run of its own in ``run_dir/cnn``."""
        from fasttag.training import save_run

        save_run(Path(run_dir) / CNN_DIR, self.fcn, tags=self.tags, features=self.logmel.as_dict(),
                 info={"saved_by": "CNNFrames"})  # fmt: skip

    @classmethod
    def from_dict(cls, features: dict, root=None):
        """Rebuild from ``as_dict()`` and the FCN run saved under ``root`` (the run directory)."""
        from fasttag.training import load_run

        if features.get("kind") != cls.kind:
            raise FasttagError(f"run features {features!r} are not {cls.kind} parameters")
        if root is None:
            raise FasttagError("cnn features keep their FCN in the run directory: give root=RUN_DIR")
        try:
            source = load_run(Path(root) / features["run"])
            built = cls.from_run(source, seconds=features["seconds"], block=features["block"],
                                 pool_time=features["pool_time"])  # fmt: skip
        except KeyError as exc:
            raise FasttagError(f"run features {features!r} lack {exc}") from None
        except ParameterError as exc:
            raise FasttagError(f"run features {features!r} are not valid cnn parameters: {exc}") from None
        saved = {key: features.get(key) for key in _LOGMEL_KEYS}
        if saved != {key: getattr(built.logmel, key) for key in _LOGMEL_KEYS}:
            raise FasttagError(f"run features {saved} do not match the log-mel of the FCN in {root}/{features['run']}")
        return built


FEATURES[CNNFrames.kind] = CNNFrames
