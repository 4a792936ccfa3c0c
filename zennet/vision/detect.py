"""Sliding-window detection: a window classifier run over an image pyramid as an FCN.

For each scale s of the pyramid the fully convolutional form of the classifier gives, in
one forward pass, p(face) for every window at a step of ``stride`` pixels; a window at
(row i·stride, column j·stride) of the image shrunk by s is the box
(j·stride / s, i·stride / s, (j·stride + window) / s, (i·stride + window) / s) of the
original. Boxes scoring at least ``threshold`` go through non-maximum suppression.
"""

import numpy as np

from zennet import functional as F
from zennet.autograd import no_grad
from zennet.tensor import Tensor
from zennet.vision.boxes import nms
from zennet.vision.fcn import fully_convolutional
from zennet.vision.pyramid import image_pyramid, pyramid_scales


def _as_image(image, channels):
    image = np.asarray(image, dtype=np.float32)
    if image.ndim == 2:
        image = image[None]  # (1, H, W)
    if image.ndim != 3 or image.shape[0] != channels:
        raise ValueError(
            f"detect: got an image of shape {image.shape}; the classifier reads {channels} "
            f"channel(s), so give (H, W) or ({channels}, H, W)."
        )
    return image


def score_map(fcn, image, face_class=1):
    """(rows, cols) p(face_class) of every window of ``image`` (C, H, W), from the FCN's
    logits z: softmax(z)[face_class]."""
    with no_grad():
        logits = fcn(Tensor(image[None]))  # (1, classes, rows, cols)
        return F.softmax(logits, dim=1).data[0, face_class]


def detect(
    model,
    image,
    window=25,
    threshold=0.5,
    factor=1.25,
    iou_threshold=0.3,
    min_size=None,
    max_size=None,
    face_class=1,
):
    """Boxes (K, 4) as (x0, y0, x1, y1) in the image's pixels and their scores (K,), best first.

    ``model`` classifies (C, window, window) crops (e.g. :func:`zennet.vision.face_cnn`);
    ``image`` is (H, W) or (C, H, W), in the value range the model was trained on. Objects
    of ``min_size``..``max_size`` pixels (default: the window up to the whole image) are
    searched at scales a ``factor`` apart; overlapping boxes with IoU > ``iou_threshold``
    are merged into the best one.
    """
    channels = model_channels(model)
    image = _as_image(image, channels)
    fcn, stride = fully_convolutional(model, (channels, window, window))
    scales = pyramid_scales(*image.shape[1:], window, factor, min_size, max_size)
    boxes, scores = [], []
    for _, level in image_pyramid(image, scales):
        if min(level.shape[1:]) < window:
            continue
        probability = score_map(fcn, level, face_class)  # (rows, cols)
        rows, cols = np.nonzero(probability >= threshold)
        sy, sx = level.shape[1] / image.shape[1], level.shape[2] / image.shape[2]
        y0, x0 = rows * stride / sy, cols * stride / sx
        boxes.append(np.stack([x0, y0, x0 + window / sx, y0 + window / sy], axis=1))
        scores.append(probability[rows, cols])
    boxes = np.concatenate(boxes) if boxes else np.zeros((0, 4))
    scores = np.concatenate(scores) if scores else np.zeros(0)
    keep = nms(boxes, scores, iou_threshold)
    return boxes[keep], scores[keep]


def model_channels(model):
    """Input channels of ``model``'s first convolution (1 when it has none)."""
    for module in model.modules():
        if hasattr(module, "in_channels"):
            return int(module.in_channels)
    return 1
