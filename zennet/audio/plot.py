"""Pictures of spectrograms and of attributions over them (needs matplotlib): time on x in
seconds, mel band on y, a colour bar, a title."""

import numpy as np


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError(
            "speech pictures need matplotlib: pip install matplotlib (or zennet[plot])."
        ) from None
    return plt


def _panel(fig, ax, image, title, label, hop_seconds, cmap, **kw):
    extent = (0, image.shape[1] * hop_seconds, 0, image.shape[0])
    shown = ax.imshow(image, origin="lower", aspect="auto", extent=extent, cmap=cmap, **kw)
    ax.set(title=title, xlabel="time (s)", ylabel="mel band")
    fig.colorbar(shown, ax=ax, label=label)


def save_spectrogram(path, log_mel, title="log-mel spectrogram", hop_seconds=0.01):
    """Draw ``log_mel`` (n_mels, frames) to ``path`` (PNG)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 2.6), dpi=100)
    _panel(fig, ax, np.asarray(log_mel), title, "normalized log power", hop_seconds, "magma")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def save_attribution(path, log_mel, attribution, title, hop_seconds=0.01):
    """The spectrogram above and the attribution (same shape; red raises the score, blue
    lowers it) below, to ``path`` (PNG)."""
    plt = _pyplot()
    log_mel, attribution = np.asarray(log_mel), np.asarray(attribution)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(6, 5), dpi=100, sharex=True)
    _panel(fig, top, log_mel, "input: log-mel spectrogram", "normalized log power",
           hop_seconds, "magma")  # fmt: skip
    limit = float(np.abs(attribution).max()) or 1.0
    _panel(fig, bottom, attribution, title, "attribution", hop_seconds, "RdBu_r",
           vmin=-limit, vmax=limit)  # fmt: skip
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
