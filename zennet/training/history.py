"""History: what fit() returns, as in Keras — ``history.history["val_accuracy"]``."""

from zennet.nn.html import html_table


class History:
    """Per-epoch logs: ``history[key]`` is a list with one value per epoch."""

    def __init__(self, history=None, epoch=None):
        self.history = {k: list(v) for k, v in (history or {}).items()}
        self.epoch = list(epoch or [])

    def append(self, epoch, logs):
        self.epoch.append(epoch)
        for key, value in logs.items():
            self.history.setdefault(key, []).append(float(value))

    def __getitem__(self, key):
        return self.history[key]

    def __repr__(self):
        keys = ", ".join(self.history)
        return f"History(epochs={len(self.epoch)}, keys=[{keys}])"

    def _repr_html_(self):
        """Jupyter's view: one row per epoch, one column per logged quantity."""
        keys = list(self.history)
        rows = [
            [epoch + 1] + [f"{self.history[k][i]:.4f}" for k in keys]
            for i, epoch in enumerate(self.epoch)
        ]
        return html_table(["epoch", *keys], rows, caption=repr(self))

    def to_dict(self):
        return {"history": self.history, "epoch": self.epoch}
