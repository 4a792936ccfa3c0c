"""Training curves and confusion matrices as PNG files (matplotlib is an optional extra)."""

import numpy as np


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_history(history, path):
    """Loss and metric curves per epoch, train and validation; returns False without matplotlib."""
    plt = _pyplot()
    if plt is None:
        return False
    keys = [k for k in history if not k.startswith("val_") and k != "lr"]
    fig, axes = plt.subplots(1, len(keys), figsize=(4.5 * len(keys), 3.5), squeeze=False)
    for ax, key in zip(axes[0], keys):
        epochs = np.arange(1, len(history[key]) + 1)
        ax.plot(epochs, history[key], label="train")
        if f"val_{key}" in history:
            ax.plot(epochs, history[f"val_{key}"], label="validation")
        ax.set_xlabel("epoch")
        ax.set_title(key)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def plot_confusion_matrix(matrix, path, class_names=None):
    """A heat map of a confusion matrix with the counts written in; False without matplotlib."""
    plt = _pyplot()
    if plt is None:
        return False
    n = len(matrix)
    fig, ax = plt.subplots(figsize=(0.5 * n + 2.5, 0.5 * n + 2))
    ax.imshow(matrix, cmap="Blues")
    for i in range(n):
        for j in range(n):
            color = "white" if matrix[i, j] > matrix.max() / 2 else "black"
            ax.text(j, i, int(matrix[i, j]), ha="center", va="center", color=color, fontsize=8)
    names = class_names or [str(i) for i in range(n)]
    ax.set_xticks(range(n), names, rotation=90 if n > 10 else 0)
    ax.set_yticks(range(n), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True
