"""The playground's settings: what the page may choose, their defaults, and the check that
turns a JSON object from the page into a :class:`Config` or a ValueError naming the field."""

from dataclasses import asdict, dataclass

from zennet.data.datasets.planar import MAX_POINTS, PLANAR
from zennet.nn.activation import LeakyReLU, ReLU, Sigmoid, Tanh
from zennet.nn.containers import Identity

ACTIVATIONS = {"tanh": Tanh, "relu": ReLU, "leaky_relu": LeakyReLU, "sigmoid": Sigmoid}
ACTIVATIONS["linear"] = Identity

# loss name -> (outputs of the last layer, how it reads them, in the primer's words)
LOSSES = {
    "cross_entropy": (2, "softmax over 2 outputs, L = −log p(y)"),
    "bce_with_logits": (1, "one output z, p = σ(z), L = −y·log p − (1 − y)·log(1 − p)"),
    "mse": (1, "one output ŷ, L = (ŷ − y)² with y = 0 or 1"),
}

# the page's optimizer name -> (zennet's registered name, fixed arguments, the update as
# the primer writes it; g = dW + λ·W is the gradient with the L2 term)
OPTIMIZERS = {
    "sgd": ("sgd", {}, "W ← W − α·(dW + λ·W)"),
    "momentum": ("sgd", {"momentum": 0.9}, "v ← 0.9·v + (dW + λ·W);  W ← W − α·v"),
    "adam": (
        "adam",
        {},
        "g = dW + λ·W;  m ← β₁·m + (1 − β₁)·g;  v ← β₂·v + (1 − β₂)·g²;  W ← W − α·m̂ / (√v̂ + ε)",
    ),
    "rmsprop": ("rmsprop", {}, "g = dW + λ·W;  v ← ρ·v + (1 − ρ)·g²;  W ← W − α·g / (√v + ε)"),
}

MAX_LAYERS, MAX_WIDTH = 6, 32


@dataclass
class Config:
    """One playground session's settings (the page's form, field by field)."""

    dataset: str = "circles"
    noise: float = 0.05
    size: int = 400  # points in all; a quarter of them are held out for validation
    hidden: tuple = (8, 8)  # widths of the hidden layers
    activation: str = "tanh"
    loss: str = "cross_entropy"
    optimizer: str = "adam"
    lr: float = 0.03
    batch_size: int = 16
    l2: float = 0.0
    seed: int = 0

    def to_dict(self):
        return {**asdict(self), "hidden": list(self.hidden)}


def choices():
    """What the page offers: names with their one-line help, and the defaults."""
    return {
        "datasets": {n: PLANAR.help(n) for n in PLANAR.names()},
        "activations": list(ACTIVATIONS),
        "losses": {n: text for n, (_, text) in LOSSES.items()},
        "optimizers": {n: text for n, (_, _, text) in OPTIMIZERS.items()},
        "defaults": Config().to_dict(),
        "limits": {"layers": MAX_LAYERS, "width": MAX_WIDTH, "size": MAX_POINTS},
    }


def parse_config(raw):
    """A :class:`Config` from the page's JSON object; a ValueError naming the first bad field."""
    if not isinstance(raw, dict):
        raise ValueError(f"settings must be a JSON object, got {type(raw).__name__}.")
    unknown = sorted(set(raw) - set(Config.__dataclass_fields__))
    if unknown:
        raise ValueError(f"unknown setting(s) {unknown}; known: {list(Config().to_dict())}.")
    fields = {**Config().to_dict(), **raw}
    _one_of("dataset", fields["dataset"], PLANAR.names())
    _one_of("activation", fields["activation"], ACTIVATIONS)
    _one_of("loss", fields["loss"], LOSSES)
    _one_of("optimizer", fields["optimizer"], OPTIMIZERS)
    hidden = _widths(fields["hidden"])
    return Config(
        dataset=fields["dataset"],
        noise=_number("noise", fields["noise"], 0.0, 1.0),
        size=int(_number("size", fields["size"], 8, MAX_POINTS, whole=True)),
        hidden=hidden,
        activation=fields["activation"],
        loss=fields["loss"],
        optimizer=fields["optimizer"],
        lr=_number("learning rate", fields["lr"], 0.0, 10.0, open_low=True),
        batch_size=int(_number("batch size", fields["batch_size"], 1, MAX_POINTS, whole=True)),
        l2=_number("L2 (regularization)", fields["l2"], 0.0, 1.0),
        seed=int(_number("seed", fields["seed"], 0, 2**31 - 1, whole=True)),
    )


def _one_of(field, value, names):
    if value not in names:
        raise ValueError(f"{field} must be one of {', '.join(names)}; got {value!r}.")


def _number(field, value, low, high, whole=False, open_low=False):
    kind = "a whole number" if whole else "a number"
    bad = isinstance(value, bool) or not isinstance(value, (int, float))
    if not bad and whole and value != int(value):
        bad = True
    below = not bad and (value <= low if open_low else value < low)
    if bad or below or value > high or value != value:  # value != value: NaN
        low_text = f"above {low:g}" if open_low else f"from {low:g}"
        raise ValueError(f"{field} must be {kind} {low_text} to {high:g}; got {value!r}.")
    return value


def _widths(value):
    """The hidden widths: a list like [8, 8] or a string like "8, 8" (empty: no hidden layer)."""
    if isinstance(value, str):
        parts = [p for p in value.replace(",", " ").split()]
        try:
            value = [int(p) for p in parts]
        except ValueError:
            raise ValueError(
                f"hidden layers must be widths separated by commas, like 8, 8; got {value!r}."
            ) from None
    if not isinstance(value, (list, tuple)) or len(value) > MAX_LAYERS:
        raise ValueError(
            f"hidden layers must be a list of at most {MAX_LAYERS} widths; got {value!r}."
        )
    for width in value:
        _number("each hidden layer's width", width, 1, MAX_WIDTH, whole=True)
    return tuple(int(w) for w in value)
