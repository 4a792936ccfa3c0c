"""Grad-CAM (Selvaraju et al., 2017): where in the image a conv layer saw the target class.

For the activations A (N, K, h, w) of ``layer`` and the target score f_c:

    α_k = (1 / (h·w)) · Σ_ij ∂f_c/∂A_kij          (spatial mean of the gradient)
    L = ReLU(Σ_k α_k · A_k)                       (N, h, w)

then L is upsampled bilinearly to the input's height and width. A forward hook on
``layer`` swaps its output for a leaf tensor, so after backward the leaf's ``.grad`` is
∂f_c/∂A without keeping the graph below the layer.
"""

import numpy as np

from zennet import functional as F
from zennet.autograd import no_grad
from zennet.explain._common import ACTIVATIONS, as_batch, as_targets, check_scores, inspecting
from zennet.nn.conv import Conv2d
from zennet.nn.module import Module
from zennet.nn.norm import BatchNorm2d
from zennet.tensor import Tensor


def grad_cam(model, x, target, layer, batch_size=256):
    """Grad-CAM heat maps, ≥ 0, not normalised.

    ``layer`` is a sub-module of ``model`` (or its name in ``model.named_modules()``, e.g.
    "3") whose output is (N, K, h, w): usually the last conv block. The returned map has one
    channel and the input's spatial size: (N, 1, H, W) for x (N, C, H, W), (N, H, W) for x
    (N, H, W), and (N, D) for flat x (N, D) with D = H·H a square image.
    """
    with inspecting(model):
        x = as_batch("grad_cam", x)
        size = _spatial_size(x)
        layer = _find_layer(model, layer)
        fixed = None if target is None else as_targets("grad_cam", target, len(x))
        maps = []
        for i in range(0, len(x), batch_size):
            targets = None if fixed is None else fixed[i : i + batch_size]
            maps.append(_batch_cam(model, layer, x[i : i + batch_size], targets))
    cam = np.concatenate(maps)[:, None]  # (N, 1, h, w)
    with no_grad():
        up = F.interpolate(Tensor(cam), size=size, mode="bilinear", align_corners=False)
    up = np.maximum(up.data, 0)  # (N, 1, H, W); bilinear weights are >= 0, this clears -0.0
    return up.reshape(len(x), *_output_tail(x, size)).astype(x.dtype)


def _batch_cam(model, layer, x, targets):
    """(n, h, w) Grad-CAM of one batch."""
    captured = []

    def swap_for_leaf(module, inputs, output):
        leaf = output.detach().requires_grad_(True)
        captured.append(leaf)
        return leaf

    with layer.register_forward_hook(swap_for_leaf):
        scores = model(Tensor(x))
    name = f"grad_cam(layer={type(layer).__name__})"
    if len(captured) != 1:
        raise ValueError(
            f"{name}: the layer ran {len(captured)} times in the model's forward; expected "
            f"once. Pass a layer that the model calls exactly once."
        )
    activations = captured[0]
    if activations.ndim != 4:
        raise ValueError(
            f"{name}: the layer's output has shape {activations.shape}; expected (N, K, h, w) "
            f"feature maps. Pass a conv layer or block (usually the last one)."
        )
    targets = as_targets("grad_cam", targets, len(x), np.asarray(scores.data))
    check_scores("grad_cam", np.asarray(scores.data), targets)
    picked = scores[np.arange(len(x)), targets]
    if picked.requires_grad:  # False when the scores do not depend on the layer
        picked.sum().backward()
    grads = activations.grad.data if activations.grad is not None else np.zeros(activations.shape)
    weights = grads.mean(axis=(2, 3))  # α (n, K)
    return np.maximum(np.einsum("nk,nkhw->nhw", weights, activations.data), 0)


def _find_layer(model, layer):
    if isinstance(layer, str):
        modules = dict(model.named_modules())
        if layer not in modules:
            raise ValueError(
                f"grad_cam: the model has no layer named {layer!r}; its layers are "
                f"{[n for n in modules if n]}."
            )
        return modules[layer]
    if not isinstance(layer, Module) or all(m is not layer for m in model.modules()):
        raise ValueError(
            f"grad_cam: layer must be a sub-module of the model or its name, got {layer!r}."
        )
    return layer


def _spatial_size(x):
    """(H, W) of the input: the last two dims, or a square from a flat (N, H·H) input."""
    if x.ndim in (3, 4):
        return x.shape[-2:]
    side = int(round(np.sqrt(x.shape[1])))
    if x.ndim != 2 or side * side != x.shape[1]:
        raise ValueError(
            f"grad_cam: x of shape {x.shape} is not an image batch; expected (N, C, H, W), "
            f"(N, H, W) or a flat square (N, H·H)."
        )
    return side, side


def _output_tail(x, size):
    return {4: (1, *size), 3: size, 2: (size[0] * size[1],)}[x.ndim]


def last_conv_block(model):
    """Grad-CAM's usual layer: the last Conv2d of ``model``, or the BatchNorm2d/activation
    right after it (the rectified feature maps, as Grad-CAM uses them)."""
    leaves = [m for m in model.modules() if not list(m.children())]
    convs = [i for i, m in enumerate(leaves) if isinstance(m, Conv2d)]
    if not convs:
        raise ValueError(
            "grad_cam needs a model with a Conv2d layer (e.g. `zennet train --model cnn`); "
            "for this one use integrated gradients, saliency or occlusion."
        )
    i = convs[-1]
    while i + 1 < len(leaves) and isinstance(leaves[i + 1], (BatchNorm2d, *ACTIVATIONS)):
        i += 1
    return leaves[i]
