"""A classifier of fixed-size windows turned into a fully convolutional network (FCN).

Run on a whole image, the FCN gives in one forward pass the classifier's output for every
window at a step of ``stride`` pixels: output[:, :, i, j] = classifier(window at row
i·stride, column j·stride). The conversion keeps every layer (and its weights) and only
changes the ones that assume a window-sized input:

    AdaptiveAvgPool2d(1) on an (h, w) map   ->  AvgPool2d((h, w), stride=1)
    Flatten, Linear(C·h·w, n) on (C, h, w)   ->  Conv2d(C, n, (h, w)),  W' = W.reshape(n, C, h, w)
    later Linear(m, n)                       ->  Conv2d(m, n, 1)

This is exact only when no layer pads (a padded border inside the big image would be real
pixels) — such layers are refused.
"""

import numpy as np

from zennet import nn
from zennet.autograd import no_grad
from zennet.tensor import Tensor

_ELEMENTWISE = (nn.ReLU, nn.LeakyReLU, nn.GELU, nn.Sigmoid, nn.Tanh, nn.ELU, nn.Dropout)
_WINDOWED = (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)


def _layers(model):
    """The leaf layers of a (nested) Sequential, in order."""
    if not isinstance(model, nn.Sequential):
        raise ValueError(
            f"fully_convolutional works on Sequential models, got {type(model).__name__}."
        )
    out = []
    for layer in model:
        out += _layers(layer) if isinstance(layer, nn.Sequential) else [layer]
    return out


def _pair(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


def _check_windowed(layer):
    """Refuse a conv or pool layer that pads or rounds up: the FCN would differ at borders."""
    padding = getattr(layer, "padding", 0)
    if padding == "valid":
        padding = 0
    if isinstance(padding, str) or any(_pair(padding)) or getattr(layer, "ceil_mode", False):
        raise ValueError(
            f"fully_convolutional: {type(layer).__name__} has padding={padding!r}"
            f"{' and ceil_mode=True' if getattr(layer, 'ceil_mode', False) else ''}; a sliding "
            f"window is only equal to a convolution over the image without padding. Build the "
            f"classifier with padding=0 (e.g. zennet.vision.face_cnn)."
        )


def _as_conv(linear, channels, size):
    """Conv2d(channels, out, size) computing ``linear`` on a flattened (channels, *size) map."""
    if linear.in_features != channels * size[0] * size[1]:
        raise ValueError(
            f"fully_convolutional: Linear(in_features={linear.in_features}) cannot read the "
            f"{(channels, *size)} map a window gives; is the window size right?"
        )
    conv = nn.Conv2d(channels, linear.out_features, size, bias=linear.bias is not None)
    conv.weight.data = linear.weight.data.reshape(linear.out_features, channels, *size).copy()
    if linear.bias is not None:
        conv.bias.data = linear.bias.data.copy()
    return conv


def fully_convolutional(model, window):
    """(fcn, stride): ``model`` (a Sequential classifier of (C, *window) inputs) as an FCN.

    ``window`` is (channels, height, width). The FCN shares the convolutions, batch norms
    and pools with ``model`` (copies of the Linear weights as convolutions: convert again
    after training more); both are put in eval mode. The FCN maps (N, C, H, W) to
    (N, classes, ⌊(H − h)/stride⌋ + 1, ⌊(W − w)/stride⌋ + 1).
    """
    x = Tensor(np.zeros((1, *window), dtype=np.float32))  # traces the map's shape
    layers, stride, flat = [], 1, None  # flat: the (C, h, w) map a Flatten flattened
    model.eval()
    with no_grad():
        for layer in _layers(model):
            if isinstance(layer, _WINDOWED):
                _check_windowed(layer)
                step_h, step_w = _pair(layer.stride)
                if step_h != step_w:
                    raise ValueError(
                        f"fully_convolutional: {type(layer).__name__} has stride "
                        f"{(step_h, step_w)}; only equal strides in both directions are supported."
                    )
                stride *= step_h
                converted = layer
            elif isinstance(layer, nn.AdaptiveAvgPool2d):
                if _pair(layer.output_size) != (1, 1):
                    raise ValueError(
                        f"fully_convolutional: AdaptiveAvgPool2d({layer.output_size}) is not "
                        f"supported; only global pooling (output_size=1)."
                    )
                converted = nn.AvgPool2d(tuple(x.shape[2:]), stride=1)
            elif isinstance(layer, nn.Flatten):
                flat = tuple(x.shape[1:])
                x = layer(x)
                continue
            elif isinstance(layer, nn.Linear) and flat is not None:
                converted = _as_conv(layer, flat[0], flat[1:])
                flat = (layer.out_features, 1, 1)
            elif isinstance(layer, _ELEMENTWISE) or (
                isinstance(layer, nn.BatchNorm2d) and flat is None
            ):
                converted = layer
            else:
                raise ValueError(
                    f"fully_convolutional: cannot turn {type(layer).__name__} into a "
                    f"convolution; supported: Conv2d, pools, BatchNorm2d, activations, "
                    f"Dropout, Flatten then Linear."
                )
            x = layer(x)
            layers.append(converted)
    if x.ndim != 2 or flat is None:
        raise ValueError(
            f"fully_convolutional: the model must end in Flatten and Linear layers giving "
            f"(1, classes) for a window of {tuple(window)}; got {tuple(x.shape)}."
        )
    return nn.Sequential(*layers).eval(), stride


def sliding_window_outputs(model, image, window, stride):
    """The reference the FCN must equal: ``model`` run on every window one by one.

    image (C, H, W) -> (classes, rows, cols), row i and column j being the window at
    (i·stride, j·stride). Slow (one batch of all windows); for tests and small images.
    """
    c, h, w = image.shape
    wh, ww = window
    rows, cols = (h - wh) // stride + 1, (w - ww) // stride + 1
    crops = np.stack(
        [
            image[:, i * stride : i * stride + wh, j * stride : j * stride + ww]
            for i in range(rows)
            for j in range(cols)
        ]
    )  # (rows·cols, C, wh, ww)
    model.eval()
    with no_grad():
        out = model(Tensor(crops)).data  # (rows·cols, classes)
    return out.T.reshape(-1, rows, cols)
