"""Ready-made models for ``zennet train --model NAME`` (the ``MODELS`` registry), and model
files that remember them.

A model built by :func:`build_model` carries its ``recipe`` (preset, input shape, classes,
arguments); a checkpoint of it (``ModelCheckpoint``, ``Trainer.save_checkpoint``) stores the
recipe beside the weights, so ``load_model(path)`` rebuilds the same architecture without
pickle.
"""

import math

from zennet import nn
from zennet.io import load_checkpoint
from zennet.registry import Registry

MODELS = Registry("model")


@MODELS.register("logistic")
def logistic(input_shape, num_classes):
    """The primer's model for many classes: Z = W·A + b, then softmax (in the loss)."""
    return nn.Sequential(nn.Flatten(), nn.Linear(math.prod(input_shape), num_classes))


@MODELS.register("mlp")
def mlp(input_shape, num_classes, hidden=(256,), dropout=0.2, standardize=0.1):
    """Input, hidden and output layers: Linear-ReLU(-Dropout) blocks, then a Linear head.

    With ``standardize`` (its eps) the inputs are standardized by a first layer whose
    statistics :func:`adapt` sets from the training data.
    """
    layers, width = [nn.Flatten()], math.prod(input_shape)
    if standardize:
        layers.append(nn.Standardize(width, eps=standardize))
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU()]
        if dropout:
            layers.append(nn.Dropout(dropout))
        width = h
    layers.append(nn.Linear(width, num_classes))
    return nn.Sequential(*layers)


@MODELS.register("cnn")
def cnn(input_shape, num_classes, channels=(32, 64), hidden=128, dropout=0.3):
    """Two blocks of Conv3×3-BatchNorm-ReLU-MaxPool2, then Linear-ReLU-Dropout-Linear.

    ``input_shape`` is (C, H, W); a flat (H·W,) square input is viewed as (1, H, W).
    """
    c, h, w = image_shape(input_shape)
    layers = [] if len(input_shape) == 3 else [nn.Unflatten(1, (c, h, w))]
    for out in channels:
        layers += [nn.Conv2d(c, out, 3, padding=1), nn.BatchNorm2d(out), nn.ReLU(), nn.MaxPool2d(2)]
        c, h, w = out, h // 2, w // 2
    layers += [
        nn.Flatten(),
        nn.Linear(c * h * w, hidden),
        nn.ReLU(),
        nn.Dropout(dropout),
        nn.Linear(hidden, num_classes),
    ]
    return nn.Sequential(*layers)


cnn.takes_images = True  # the train job hands it (N, C, H, W) images, not flat vectors


def image_shape(input_shape, who="cnn"):
    """(C, H, W) of a sample shape: itself when (C, H, W), (1, H, H) for a flat square
    image of H·H values; else a ValueError naming ``who``."""
    if len(input_shape) == 3:
        return tuple(input_shape)
    side = math.isqrt(math.prod(input_shape))
    if side * side != math.prod(input_shape):
        raise ValueError(
            f"{who}: input of shape {tuple(input_shape)} is not an image; give (C, H, W) inputs "
            f"or a flat square image (H·H,)."
        )
    return 1, side, side


def adapt(model, x):
    """Set the statistics of every Standardize layer of ``model`` from training inputs ``x``."""
    for module in model.modules():
        if isinstance(module, nn.Standardize):
            module.adapt(x)
    return model


def build_model(name, input_shape, num_classes, **kwargs):
    """The preset ``name`` for inputs of ``input_shape`` (without batch) and ``num_classes``,
    with its ``recipe`` attached (what a checkpoint stores to rebuild it)."""
    model = MODELS.get(name)(tuple(input_shape), num_classes, **kwargs)
    model.recipe = {  # zennet train may add "classes": the names of the classes
        "name": name,
        "input_shape": list(input_shape),
        "num_classes": num_classes,
        "kwargs": kwargs,
    }
    return model


def load_model(path):
    """(model, recipe) from a checkpoint of a model built by :func:`build_model`, in eval mode."""
    state = load_checkpoint(path)
    recipe = (state["extra"] or {}).get("recipe") if isinstance(state["extra"], dict) else None
    if recipe is None:
        raise ValueError(
            f"{path}: this checkpoint holds weights but no model recipe; it was not written "
            f"for a zennet.models preset. Build the model in Python and call "
            f"model.load_state_dict(zn.io.load_checkpoint(path)['model_state'])."
        )
    model_state = state["model_state"]
    recipe = _checked_recipe(recipe, path, sum(a.size for a in model_state.values()))
    try:
        model = build_model(
            recipe["name"], recipe["input_shape"], recipe["num_classes"], **recipe["kwargs"]
        )
    except (TypeError, ValueError, MemoryError) as err:
        raise ValueError(
            f"load_model: {path}: cannot build the model its recipe describes ({err})."
        ) from err
    model.load_state_dict(model_state)
    return model.eval(), recipe


def _checked_recipe(recipe, path, n_values):
    """The recipe of a model file, checked before a model is built from it: a known preset
    and positive sizes, none larger than the number of values the file holds (a damaged or
    hostile recipe must not make us allocate an absurd model)."""
    try:
        raw = recipe
        recipe = {
            "name": recipe["name"],
            "input_shape": list(recipe["input_shape"]),
            "num_classes": recipe["num_classes"],
            "kwargs": dict(recipe.get("kwargs", {})),
        }
        sizes = [*recipe["input_shape"], recipe["num_classes"], *_integers(recipe["kwargs"])]
        names = raw.get("classes")  # the classes' names (zennet train stores a data set's)
        if names is not None:
            if (
                not isinstance(names, list)
                or len(names) != recipe["num_classes"]
                or not all(isinstance(n, str) for n in names)
            ):
                raise ValueError(f"classes {names!r} are not {recipe['num_classes']} names")
            recipe["classes"] = list(names)
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise ValueError(f"load_model: {path} holds a damaged model recipe ({err!r}).") from err
    if recipe["name"] not in MODELS:
        raise ValueError(
            f"load_model: {path} names the model {recipe['name']!r}; known: {MODELS.names()}."
        )
    sizes.append(math.prod(recipe["input_shape"]))
    if not all(isinstance(n, int) and 0 < n <= n_values for n in sizes):
        raise ValueError(
            f"load_model: {path} holds a damaged model recipe: its sizes {sizes} must be "
            f"positive ints no larger than the {n_values:,} values the file holds."
        )
    return recipe


def _integers(value):
    """Every int in a recipe's kwargs (a JSON value), bools aside."""
    if isinstance(value, dict):
        return [n for v in value.values() for n in _integers(v)]
    if isinstance(value, (list, tuple)):
        return [n for v in value for n in _integers(v)]
    if isinstance(value, (str, float, bool)) or value is None:
        return []
    return [value]
