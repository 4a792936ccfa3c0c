"""``zennet evaluate MODEL``: test metrics of a saved model on a data set's test split."""

from zennet.data import datasets
from zennet.jobs.inputs import check_input_shape
from zennet.models import load_model
from zennet.training.trainer import Trainer


def evaluate(model_path, data="digits"):
    """Test loss and accuracy of a saved model: ``{"test_loss": ..., "test_accuracy": ...}``."""
    net, recipe = load_model(model_path)
    _, (x_test, y_test) = datasets.load(data, flat=len(recipe["input_shape"]) != 3)
    check_input_shape(recipe, x_test.shape[1:], data)
    logs = Trainer(net, optimizer=None, metrics=["accuracy"]).evaluate(x_test, y_test)
    return {f"test_{k}": v for k, v in logs.items()}
