"""A translator's attention map as a picture (needs matplotlib): source tokens across,
target tokens down, each cell the weight the decoder gave that source token when it wrote
that target token (each row sums to 1)."""

import textwrap

import numpy as np


def save_attention(path, weights, source_tokens, target_tokens, title="attention"):
    """Draw ``weights`` (target, source) to ``path`` (PNG), tokens on the axes."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("attention maps need matplotlib: pip install matplotlib.") from None
    weights = np.asarray(weights)
    if weights.shape != (len(target_tokens), len(source_tokens)):
        raise ValueError(
            f"save_attention: weights of shape {weights.shape} do not fit "
            f"{len(target_tokens)} target and {len(source_tokens)} source tokens."
        )
    size = (2 + 0.45 * len(source_tokens), 1.5 + 0.35 * len(target_tokens))
    fig, ax = plt.subplots(figsize=size, dpi=100)
    shown = ax.imshow(weights, cmap="viridis", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(len(source_tokens)), [repr(t)[1:-1] for t in source_tokens], rotation=90)
    ax.set_yticks(range(len(target_tokens)), [repr(t)[1:-1] for t in target_tokens])
    ax.set_title(textwrap.fill(title, 50), fontsize=9)
    ax.set(xlabel="source token", ylabel="target token written")
    fig.colorbar(shown, ax=ax, label="attention weight")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
