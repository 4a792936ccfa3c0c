"""``zennet explain MODEL INPUT``: explain a saved model's decision on an input and draw the
heat map over it, or trace one training step (``trace=True``)."""

import math

import numpy as np

from zennet import nn
from zennet.explain import (
    format_trace,
    grad_cam,
    gradient_x_input,
    integrated_gradients,
    last_conv_block,
    occlusion,
    saliency,
    save_overlay,
    smoothgrad,
    trace_step,
)
from zennet.jobs.inputs import load_input
from zennet.models import load_model
from zennet.registry import Registry
from zennet.training.trainer import Trainer

METHODS = Registry("explanation method")
METHODS.register("saliency", saliency, "saliency: the gradient of the class score")
METHODS.register("gxi", gradient_x_input, "gradient × input")
METHODS.register("smoothgrad", smoothgrad, "SmoothGrad: gradients averaged over noisy copies")
METHODS.register("ig", integrated_gradients, "integrated gradients from a black image")
METHODS.register(
    "occlusion",
    lambda model, x, targets: occlusion(model, x, targets, window=max(2, round(x.shape[-1] / 8))),
    "occlusion: the score's drop when a patch is covered",
)
METHODS.register(
    "gradcam",
    lambda model, x, targets: grad_cam(model, x, targets, last_conv_block(model)),
    "Grad-CAM on the last conv block (cnn models)",
)


def explain(model_path, input_path, method="ig", out="heatmap.png", target=None, trace=False):
    """Explain the model file ``model_path`` (written by ``zennet train``) on ``input_path``
    (an image file or a .npy array of inputs, loaded as the predict job does).

    ``method`` is a name in ``METHODS``; ``target`` the class to explain (default: each
    sample's predicted class). Writes the heat maps over the images to the PNG ``out`` and
    returns {"method", "predicted": [class per sample], "target": [...], "path"}. With
    ``trace=True`` it returns instead the text of one traced training step
    (:func:`zennet.explain.trace_step`, labels = the targets).
    """
    attribute = METHODS.get(method)
    model, recipe = load_model(model_path)
    x = load_input(input_path, tuple(recipe["input_shape"]))  # (N, *input_shape)
    scores = Trainer(model, optimizer=None).predict(x)
    predicted = scores.argmax(axis=1)
    if target is not None and not 0 <= int(target) < scores.shape[1]:
        raise ValueError(
            f"target {target} is not a class of this model, which has {scores.shape[1]} "
            f"classes (0..{scores.shape[1] - 1})."
        )
    targets = predicted if target is None else np.full(len(x), int(target))
    if trace:
        return format_trace(trace_step(model, x, targets))
    images, model = _as_images(x, model)  # (N, H, W) or (N, C, H, W)
    attributions = attribute(model, images, targets)
    heat = np.abs(attributions.reshape(len(x), -1, *images.shape[-2:])).sum(axis=1)
    gray = images if images.ndim == 3 else images.mean(axis=1)
    path = save_overlay(out, gray, heat)
    return {
        "method": method,
        "predicted": predicted.tolist(),
        "target": targets.tolist(),
        "path": str(path),
    }


def _as_images(x, model):
    """Image-shaped inputs and a model that takes them: a flat (N, H·H) batch is viewed as
    (N, H, H) and the model gets an nn.Flatten in front (occlusion then covers square
    patches, and the heat map is an image)."""
    if x.ndim == 4:
        return x, model
    side = math.isqrt(x.shape[1]) if x.ndim == 2 else 0
    if side * side != x.shape[1]:
        raise ValueError(
            f"inputs of shape {x.shape[1:]} are not images; the heat map needs "
            f"(C, H, W) inputs or flat square ones (H·H,)."
        )
    return x.reshape(len(x), side, side), nn.Sequential(nn.Flatten(), model)
