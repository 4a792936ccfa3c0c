"""History: what fit() returns, as in Keras — ``history.history["val_accuracy"]``."""


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

    def to_dict(self):
        return {"history": self.history, "epoch": self.epoch}
