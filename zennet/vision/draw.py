"""Boxes drawn over an image, written as a PNG (needs matplotlib: ``pip install zennet[plot]``)."""

from pathlib import Path

import numpy as np


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.patches import Rectangle
    except ImportError:
        raise ImportError(
            "draw_boxes needs matplotlib to draw boxes and write PNG files: "
            "`pip install matplotlib` (or `pip install zennet[plot]`)."
        ) from None
    return plt, Rectangle


COLOURS = ("tab:red", "tab:cyan", "tab:green", "tab:orange")


def draw_boxes(path, image, detections, truth=None, title="detections"):
    """Write ``image`` (H, W) grey or (3, H, W) / (H, W, 3) RGB with boxes to the PNG ``path``.

    ``detections`` maps a label (e.g. "zennet CNN") to (boxes (K, 4), scores (K,) or None);
    each set gets its colour and, per box, its score. ``truth`` boxes are drawn dashed in
    white. Boxes are (x0, y0, x1, y1) in pixels. Written to a temporary name, then renamed.
    Returns the path.
    """
    plt, Rectangle = _pyplot()

    image = np.asarray(image)
    if image.ndim == 3 and image.shape[0] in (1, 3):
        image = np.moveaxis(image, 0, -1).squeeze()
    figure, axes = plt.subplots(figsize=(6, 6 * image.shape[0] / image.shape[1] + 0.4))
    axes.imshow(image, cmap="gray" if image.ndim == 2 else None)
    for x0, y0, x1, y1 in np.asarray(truth if truth is not None else []).reshape(-1, 4):
        axes.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, ec="w", ls="--", lw=1))
    for colour, (label, (boxes, scores)) in zip(COLOURS, detections.items()):
        boxes = np.asarray(boxes).reshape(-1, 4)
        axes.plot([], [], color=colour, label=f"{label} ({len(boxes)})")
        for k, (x0, y0, x1, y1) in enumerate(boxes):
            axes.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, ec=colour, lw=1.5))
            if scores is not None:
                axes.text(x0, y0 - 2, f"{scores[k]:.2f}", color=colour, fontsize=7)
    if detections:
        axes.legend(loc="lower right", fontsize=8)
    axes.set_title(title)
    axes.set_xlabel("x (pixels)")
    axes.set_ylabel("y (pixels)")
    path = Path(path)
    temporary = path.with_name(path.name + ".tmp.png")
    figure.savefig(temporary, dpi=80, bbox_inches="tight")
    plt.close(figure)
    temporary.replace(path)
    return path
