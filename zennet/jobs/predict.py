"""``zennet predict MODEL INPUT``: the class of each input, with its probability."""

import numpy as np

from zennet.jobs.inputs import load_input
from zennet.jobs.speech import transcribe_wav
from zennet.models import MODELS, load_model
from zennet.training.trainer import Trainer


def predict(model_path, input_path):
    """(predicted classes, class probabilities) for an image file or a .npy array of inputs."""
    net, recipe = load_model(model_path)
    if getattr(MODELS.get(recipe["name"]), "ctc", False):  # a digit string, not a class
        return transcribe_wav(net, input_path)
    x = load_input(input_path, tuple(recipe["input_shape"]))
    scores = Trainer(net, optimizer=None).predict(x)
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    probabilities = e / e.sum(axis=1, keepdims=True)
    return probabilities.argmax(axis=1), probabilities
