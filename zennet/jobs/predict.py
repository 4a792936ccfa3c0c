"""``zennet predict MODEL INPUT``: the class of each input, with its probability."""

import numpy as np

from zennet.jobs.inputs import load_input
from zennet.jobs.speech import transcribe_wav
from zennet.models import MODELS, load_model
from zennet.training.trainer import Trainer


def predict(model_path, input_path):
    """{"classes": predicted class per input, "names": their names (when the model was
    trained on a data set that names its classes, e.g. the languages) or None,
    "probabilities": (N, classes), "note": what was done to the input (an inverted image) or
    None} for an image file, a WAV file or a .npy array; for a CTC speech model {"texts":
    the digit string, "probabilities": its beam's}."""
    net, recipe = load_model(model_path)
    if getattr(MODELS.get(recipe["name"]), "ctc", False):  # a digit string, not a class
        texts, probabilities = transcribe_wav(net, input_path)
        return {"texts": texts, "probabilities": probabilities, "note": None}
    x, note = load_input(input_path, tuple(recipe["input_shape"]))
    probabilities = softmax(Trainer(net, optimizer=None).predict(x))
    classes = probabilities.argmax(axis=1)
    names = recipe.get("classes")
    return {
        "classes": classes,
        "names": None if names is None else [names[c] for c in classes],
        "probabilities": probabilities,
        "note": note,
    }


def softmax(scores):
    """Class probabilities of (N, classes) scores."""
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)
