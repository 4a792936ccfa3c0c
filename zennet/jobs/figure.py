"""The picture of ``zennet explain``: each input beside its attribution map, with a title
naming the method, the class and its probability, and a colour bar (needs matplotlib)."""

import numpy as np

MAX_ROWS = 16  # samples drawn in one figure


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise ImportError(
            "zennet explain draws its heat maps with matplotlib: `pip install matplotlib` "
            "(or `pip install zennet[plot]`)."
        ) from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_attributions(path, images, maps, title, labels):
    """Write a PNG with one row per sample: the input (grayscale) and its map.

    ``images`` (N, H, W) in [0, 1]; ``maps`` (N, H, W) attributions. Signed maps use a
    diverging colour map centred on 0 (red: evidence for the class, blue: against);
    maps that are never negative (Grad-CAM) a sequential one from 0. ``labels[i]`` names
    sample i's row (its class and probability); ``title`` names the method.
    """
    plt = _pyplot()
    n = min(len(images), MAX_ROWS)
    signed = bool((maps[:n] < 0).any())
    fig, axes = plt.subplots(n, 2, figsize=(6.4, 2.9 * n + 0.6), squeeze=False)
    for i in range(n):
        left, right = axes[i]
        left.imshow(images[i], cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        left.set_title(f"sample {i}: input", fontsize=9)
        limit = float(np.abs(maps[i]).max()) or 1.0
        shown = right.imshow(
            maps[i],
            cmap="RdBu_r" if signed else "magma",
            vmin=-limit if signed else 0,
            vmax=limit,
            interpolation="nearest",
        )
        right.set_title(labels[i], fontsize=9)
        bar = fig.colorbar(shown, ax=right, fraction=0.046, pad=0.04)
        bar.set_label("attribution (+ for the class, − against)" if signed else "attribution")
        for ax in (left, right):
            ax.set_xticks([])
            ax.set_yticks([])
    more = f" (first {n} of {len(images)} samples)" if len(images) > n else ""
    fig.suptitle(title + more, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
