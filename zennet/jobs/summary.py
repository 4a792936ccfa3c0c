"""``zennet summary MODEL``: a saved model's layers and parameters."""

from zennet.models import load_model


def summary(model_path):
    """The Keras-style summary table of a saved model."""
    net, recipe = load_model(model_path)
    return net.summary(tuple(recipe["input_shape"]), print_fn=None)
