"""The job behind ``zennet explain MODEL INPUT``: explain a saved model's decision on an
input and draw the heat map over it, or trace one training step (``trace=True``)."""

import math

import numpy as np

from zennet import nn
from zennet.explain import gradients
from zennet.explain._common import inspecting, scores_of
from zennet.explain.gradcam import grad_cam
from zennet.explain.occlusion import occlusion
from zennet.explain.render import save_overlay
from zennet.explain.trace import format_trace, trace_step
from zennet.models import load_model
from zennet.nn.activation import _Activation
from zennet.training.run import _load_input  # the predict job's loader

METHODS = ("saliency", "gxi", "smoothgrad", "ig", "occlusion", "gradcam")


def explain_job(
    model_path, input_path, method="ig", out="heatmap.png", target=None, trace=False, lr=0.1
):
    """Explain the model file ``model_path`` (written by ``zennet train``) on ``input_path``
    (an image file or a .npy array of inputs, loaded as the predict job does).

    ``method``: saliency | gxi (gradient × input) | smoothgrad | ig (integrated gradients) |
    occlusion | gradcam (on the last conv block's output). ``target`` is the class to explain
    (default: each sample's predicted class). Writes the heat maps over the images to the
    PNG ``out`` and returns {"method", "predicted": [class per sample], "target": [...],
    "path"}. With ``trace=True`` it returns instead the text of one traced training step
    (:func:`zennet.explain.trace_step`, labels = the targets, learning rate ``lr``).
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {METHODS}.")
    model, recipe = load_model(model_path)
    x = _load_input(input_path, tuple(recipe["input_shape"]))  # (N, *input_shape)
    with inspecting(model):
        scores = scores_of(model, x)
    predicted = scores.argmax(axis=1)
    if target is not None and not 0 <= int(target) < scores.shape[1]:
        raise ValueError(
            f"target {target} is not a class of this model, which has {scores.shape[1]} "
            f"classes (0..{scores.shape[1] - 1})."
        )
    targets = predicted if target is None else np.full(len(x), int(target))
    if trace:
        return format_trace(trace_step(model, x, targets, lr=lr))
    images, model = _as_images(x, model)  # (N, H, W) or (N, C, H, W)
    attributions = _attribute(method, model, images, targets)
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


def _attribute(method, model, x, targets):
    if method == "gradcam":
        return grad_cam(model, x, targets, _last_conv_block(model))
    if method == "occlusion":
        return occlusion(model, x, targets, window=max(2, round(x.shape[-1] / 8)))
    function = {
        "saliency": gradients.saliency,
        "gxi": gradients.gradient_x_input,
        "smoothgrad": gradients.smoothgrad,
        "ig": gradients.integrated_gradients,
    }[method]
    return function(model, x, targets)


def _last_conv_block(model):
    """Grad-CAM's layer: the last Conv2d, or the BatchNorm2d/activation right after it (the
    rectified feature maps, as Grad-CAM uses them)."""
    leaves = [m for m in model.modules() if not list(m.children())]
    convs = [i for i, m in enumerate(leaves) if isinstance(m, nn.Conv2d)]
    if not convs:
        raise ValueError(
            "--method gradcam needs a model with a Conv2d layer (e.g. `zennet train "
            "--model cnn`); for this one use --method ig, saliency or occlusion."
        )
    i = convs[-1]
    while i + 1 < len(leaves) and isinstance(leaves[i + 1], (nn.BatchNorm2d, _Activation)):
        i += 1
    return leaves[i]
