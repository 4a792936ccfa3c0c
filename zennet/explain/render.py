"""Heat maps drawn over grayscale images, written as PNG files.

Needs matplotlib (the optional extra ``pip install zennet[plot]``) for its colour maps and
PNG writer; everything else in zennet.explain works without it.
"""

import os
from pathlib import Path

import numpy as np

TARGET_SIDE = 256  # small images (8x8 digits) are enlarged to about this many pixels


def _matplotlib():
    try:
        import matplotlib
        import matplotlib.image
    except ImportError:
        raise ImportError(
            "zennet.explain.render needs matplotlib to draw heat maps and write PNG files; "
            "install it with `pip install matplotlib` (or `pip install zennet[plot]`)."
        ) from None
    return matplotlib


def overlay(image, heatmap, alpha=0.6, cmap="jet"):
    """An (H, W, 3) RGB array in [0, 1]: the heat map in colour over the grayscale image.

    ``image`` is (H, W) or (C, H, W) (channels are averaged); it is scaled to [0, 1] by its
    own range. ``heatmap`` (H, W) or (1, H, W) is shown as |h| / max |h|; each pixel mixes
    colour and image as c·a + g·(1 − a) with a = alpha·|h| / max |h|, so cold pixels show
    the image.
    """
    gray = _plane("image", image)
    heat = np.abs(_plane("heatmap", heatmap))
    if gray.shape != heat.shape:
        raise ValueError(
            f"overlay: image {gray.shape} and heatmap {heat.shape} differ in size; give a "
            f"heat map with the image's height and width."
        )
    gray = _unit(gray - gray.min())
    heat = _unit(heat)
    colours = _matplotlib().colormaps[cmap](heat)[..., :3]  # (H, W, 3)
    a = alpha * heat[..., None]
    return colours * a + gray[..., None] * (1 - a)


def save_overlay(path, images, heatmaps, alpha=0.6, cmap="jet", columns=4, side_by_side=True):
    """Write the overlays of one image (H, W) or a batch (N, ..., H, W) to the PNG ``path``.

    With ``side_by_side`` each sample shows the plain image left of its overlay. A batch
    is laid out in rows of ``columns`` samples; small images are enlarged (nearest
    neighbour) to about 256 pixels a side. The file is written to a temporary name and
    renamed, so a crash never leaves half a PNG. Returns the path.
    """
    images, heatmaps = np.asarray(images), np.asarray(heatmaps)
    if images.ndim == 2:
        images, heatmaps = images[None], heatmaps[None]
    if len(images) != len(heatmaps):
        raise ValueError(
            f"save_overlay: {len(images)} images but {len(heatmaps)} heat maps; give one each."
        )
    tiles = [overlay(i, h, alpha, cmap) for i, h in zip(images, heatmaps)]
    if side_by_side:
        tiles = [(overlay(i, np.zeros(t.shape[:2])), t) for i, t in zip(images, tiles)]
    else:
        tiles = [(t,) for t in tiles]
    scale = max(1, TARGET_SIDE // max(tiles[0][0].shape[:2]))
    tiles = [
        _grid([t.repeat(scale, axis=0).repeat(scale, axis=1) for t in parts], 2) for parts in tiles
    ]
    picture = _grid(tiles, columns, gap=4 if side_by_side else 2)
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    _matplotlib().image.imsave(tmp, picture, format="png")
    os.replace(tmp, path)
    return path


def _grid(tiles, columns, gap=2):
    """Tiles (h, w, 3) in rows of ``columns``, separated by ``gap`` white pixels."""
    h, w, _ = tiles[0].shape
    rows = -(-len(tiles) // columns)
    cols = min(columns, len(tiles))
    picture = np.ones((rows * (h + gap) - gap, cols * (w + gap) - gap, 3))
    for k, tile in enumerate(tiles):
        r, c = divmod(k, columns)
        picture[r * (h + gap) : r * (h + gap) + h, c * (w + gap) : c * (w + gap) + w] = tile
    return picture


def _plane(name, array):
    """(H, W) float64 from (H, W) or (C, H, W) (channel mean)."""
    array = np.asarray(array, dtype=np.float64)
    if array.ndim == 3:
        array = array.mean(axis=0)
    if array.ndim != 2:
        raise ValueError(
            f"overlay: {name} of shape {array.shape} is not an image; expected (H, W) or (C, H, W)."
        )
    return array


def _unit(array):
    """Divide by the maximum (arrays of zeros stay zeros)."""
    top = array.max()
    return array / top if top > 0 else array
