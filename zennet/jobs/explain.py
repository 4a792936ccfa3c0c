"""``zennet explain MODEL INPUT``: explain a saved model's decision on an input and draw the
heat map over it, or trace one training step (``trace=True``)."""

import math
from pathlib import Path

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
    smoothgrad,
    trace_step,
)
from zennet.jobs.figure import save_attributions
from zennet.jobs.inputs import load_input
from zennet.jobs.predict import softmax
from zennet.jobs.speech import explain_transcription
from zennet.jobs.textcls import explain_text
from zennet.models import MODELS, load_model
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


def explain(model_path, input_path, method="ig", out=None, target=None, trace=False):
    """Explain the model file ``model_path`` (written by ``zennet train``) on ``input_path``
    (an image file or a .npy array of inputs, loaded as the predict job does).

    ``method`` is a name in ``METHODS``; ``target`` the class to explain (default: each
    sample's predicted class). Writes each input beside its attribution map, titled and
    with a colour bar, to the PNG ``out`` (default: heatmap.png, or heatmap-2.png, ... if
    that exists: an earlier picture is never overwritten unasked) and returns {"method",
    "predicted": [class per sample], "target": [...], "probability": [of the target],
    "path", "note"}. A text classifier takes the text itself as ``input_path`` and returns
    :func:`zennet.jobs.textcls.explain_text`'s dict (an HTML file only with ``out``). With
    ``trace=True`` it returns instead the text of one traced training
    step (:func:`zennet.explain.trace_step`, labels = the targets).
    """
    attribute = METHODS.get(method)
    model, recipe = load_model(model_path)
    if getattr(MODELS.get(recipe["name"]), "text_classifier", False):  # input is the text
        if trace or method != "ig":
            raise ValueError(
                "a text classifier is explained by integrated gradients on its token "
                "embeddings only; drop --trace and --method."
            )
        return explain_text(model_path, input_path, _text_output(out), target)
    path = None if trace else _output_path(out)
    if getattr(MODELS.get(recipe["name"]), "ctc", False):  # a transcription, not a class
        return _explain_transcription(model, model_path, input_path, method, path, target, trace)
    x, note = load_input(input_path, tuple(recipe["input_shape"]))  # (N, *input_shape)
    probabilities = softmax(Trainer(model, optimizer=None).predict(x))
    predicted = probabilities.argmax(axis=1)
    classes = probabilities.shape[1]
    if target is not None and not 0 <= int(target) < classes:
        raise ValueError(
            f"target {target} is not a class of this model, which has {classes} classes "
            f"(0..{classes - 1})."
        )
    targets = predicted if target is None else np.full(len(x), int(target))
    if trace:
        return format_trace(trace_step(model, x, targets))
    images, model = _as_images(x, model)  # (N, H, W) or (N, C, H, W)
    attributions = attribute(model, images, targets)
    maps = attributions.reshape(len(x), -1, *images.shape[-2:]).sum(axis=1)  # signed (N, H, W)
    gray = _for_display(images if images.ndim == 3 else images.mean(axis=1))
    chosen = probabilities[np.arange(len(x)), targets]
    labels = [
        f"class {t} (p={p:.3f})" + ("" if t == c else f"; predicted {c}")
        for t, c, p in zip(targets, predicted, chosen)
    ]
    title = f"{METHODS.help(method)} — {Path(model_path).name} on {Path(input_path).name}"
    save_attributions(path, gray, maps, title, labels)
    return {
        "method": method,
        "predicted": predicted.tolist(),
        "target": targets.tolist(),
        "probability": chosen.tolist(),
        "path": str(path),
        "note": note,
    }


def _explain_transcription(model, model_path, input_path, method, path, target, trace):
    """explain() for a CTC speech model: the attributions of its transcription of a WAV."""
    if trace or target is not None:
        option = "--trace" if trace else "--target"
        raise ValueError(
            f"{option} is for classifiers; {Path(model_path).name} transcribes digit strings, "
            f"and explain shows what in the spectrogram made its transcription (drop {option})."
        )
    mels, attribution, text, probability = explain_transcription(
        model, input_path, METHODS.get(method)
    )
    title = f"{METHODS.help(method)} — {Path(model_path).name} on {Path(input_path).name}"
    label = f"heard {text} (p={probability:.3f}); log-mel input left"
    save_attributions(path, _for_display(mels[None]), attribution[None], title, [label])
    return {"method": method, "predicted": [text], "target": [text],
            "probability": [probability], "path": str(path), "note": None}  # fmt: skip


def _for_display(images):
    """Images in [0, 1] for the picture: inputs outside it (log-mel spectrograms,
    standardized images) are scaled, each from its own minimum to its maximum."""
    if images.min() >= 0 and images.max() <= 1:
        return images
    low = images.min(axis=(1, 2), keepdims=True)
    return (images - low) / np.maximum(images.max(axis=(1, 2), keepdims=True) - low, 1e-12)


def _output_path(out):
    """The PNG to write: ``out`` (its folder must exist), or the first free heatmap[-n].png."""
    if out is None:
        candidates = (
            Path("heatmap.png" if n == 1 else f"heatmap-{n}.png") for n in range(1, 10**4)
        )
        return next(p for p in candidates if not p.exists())
    out = Path(out)
    if not out.parent.is_dir():
        raise FileNotFoundError(
            f"--out {out}: the folder {out.parent} does not exist; create it or choose another."
        )
    return out


def _text_output(out):
    """The HTML file of a text's attributions (None: the terminal only)."""
    if out is not None and not Path(out).parent.is_dir():
        raise FileNotFoundError(f"--out {out}: the folder {Path(out).parent} does not exist.")
    return out


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
