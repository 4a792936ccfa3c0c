"""``zennet detect MODEL IMAGE --out boxes.png``: faces found by a window classifier.

The model file is a :func:`zennet.vision.save_face_model` file (examples/faces.py --final
writes one) or a ``zennet train`` file whose preset has no padding. The image is read in
grey, in [0, 1], as the crops the classifier learned from.
"""

from zennet.data.datasets import load_image
from zennet.vision import detect, draw_boxes, load_face_model


def _window_classifier(path):
    """(model, window side) of a model file."""
    loaded = load_face_model(path)
    if loaded is not None:
        return loaded
    from zennet.models import load_model

    model, recipe = load_model(path)
    shape = recipe["input_shape"]
    if len(shape) != 3 or shape[1] != shape[2]:
        raise ValueError(
            f"zennet detect: {path} holds a {recipe['name']!r} model for inputs of shape "
            f"{tuple(shape)}; a detector needs a classifier of square (C, H, H) windows, such "
            f"as zennet.vision.face_cnn (examples/faces.py --final PATH)."
        )
    return model, shape[1]


def detect_job(model, image, out, threshold=0.5, scale_factor=1.25, min_size=None, max_size=None):
    """Detect in ``image`` with the classifier in ``model``; draw the boxes to ``out``.

    Returns {"boxes": (K, 4) x0 y0 x1 y1, "scores": (K,), "path": out}.
    """
    classifier, window = _window_classifier(model)
    picture = load_image(image, grayscale=True)  # (1, H, W) in [0, 1]
    boxes, scores = detect(
        classifier,
        picture,
        window=window,
        threshold=threshold,
        factor=scale_factor,
        min_size=min_size,
        max_size=max_size,
    )
    title = f"zennet detect: {len(boxes)} face(s), p(face) >= {threshold}"
    path = draw_boxes(out, picture[0], {"zennet": (boxes, scores)}, title=title)
    return {"boxes": boxes, "scores": scores, "path": str(path)}


def format_detections(result):
    """One line per box, best first, then the file written."""
    lines = [
        f"x0={x0:.0f} y0={y0:.0f} x1={x1:.0f} y1={y1:.0f} score={score:.4f}"
        for (x0, y0, x1, y1), score in zip(result["boxes"], result["scores"])
    ]
    return "\n".join([*lines, f"wrote {result['path']}"])
