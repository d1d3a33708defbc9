"""Torch taggers: modules mapping features to tag logits.

Every model standardises its input with two buffers, ``feature_mean`` and
``feature_std`` (per mel bin, or per feature), which
`fasttag.training.train` fits on the training set; they travel in the
``state_dict``, so a saved model carries its normalisation. Every model also
has ``hparams``, the keyword arguments that rebuild it (see `MODELS`), and
returns logits: apply a sigmoid (as `fasttag.training.predict` does) for
probabilities.
"""

from fasttag.models.crnn import CRNN
from fasttag.models.fcn import FCN
from fasttag.models.key_head import KeyProfileHead
from fasttag.models.lstm import LSTMTagger
from fasttag.models.mlp import MLP

#: Model classes by name, as stored in a run's ``config.json``.
MODELS = {"FCN": FCN, "MLP": MLP, "LSTMTagger": LSTMTagger, "CRNN": CRNN}

__all__ = ["CRNN", "FCN", "MLP", "MODELS", "KeyProfileHead", "LSTMTagger"]
