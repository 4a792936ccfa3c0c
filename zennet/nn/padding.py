"""Padding layers: Zero-, Constant-, Reflection-, Replication- and CircularPad in 1-D, 2-D
and 3-D, each F.pad (functional/padding.py) with its mode and PyTorch's ``padding``
argument: an int (every side) or a tuple (left, right[, top, bottom[, front, back]])."""

from zennet.functional.padding import pad
from zennet.nn.module import Module


class _PadNd(Module):
    """F.pad(x, self.padding, mode, value) over the last ``nd`` dimensions."""

    mode, nd = "constant", 1

    def __init__(self, padding, value=0.0):
        super().__init__()
        if isinstance(padding, int):
            padding = (padding,) * (2 * self.nd)
        padding = tuple(int(p) for p in padding)
        if len(padding) != 2 * self.nd:
            raise ValueError(
                f"{type(self).__name__}: padding must be an int or {2 * self.nd} ints "
                f"(before and after each of the last {self.nd} dimensions), got {padding}."
            )
        self.padding, self.value = padding, value

    def forward(self, x):
        if x.ndim not in (self.nd + 1, self.nd + 2):
            raise ValueError(
                f"{type(self).__name__} expects a {self.nd + 1}-D or {self.nd + 2}-D input "
                f"((C, *) or (N, C, *) with {self.nd} padded dimensions), got shape {x.shape}."
            )
        value = self.value if self.mode == "constant" else None
        return pad(x, self.padding, mode=self.mode, value=value)

    def extra_repr(self):
        if self.mode == "constant" and type(self).__name__.startswith("Constant"):
            return f"padding={self.padding}, value={self.value}"
        return f"{self.padding}"


def _layer(name, mode, nd, constant=False):
    """The class ``name``: padding by ``mode`` over ``nd`` dimensions."""
    formula = f"{mode} padding of the last {nd} dimension(s)."
    body = {"mode": mode, "nd": nd, "__doc__": formula, "__module__": __name__}
    if not constant:  # ZeroPad, ReflectionPad, ...: no value argument
        body["__init__"] = lambda self, padding: _PadNd.__init__(self, padding)
    return type(name, (_PadNd,), body)


ZeroPad1d, ZeroPad2d, ZeroPad3d = (_layer(f"ZeroPad{n}d", "constant", n) for n in (1, 2, 3))
ConstantPad1d, ConstantPad2d, ConstantPad3d = (
    _layer(f"ConstantPad{n}d", "constant", n, constant=True) for n in (1, 2, 3)
)
ReflectionPad1d, ReflectionPad2d, ReflectionPad3d = (
    _layer(f"ReflectionPad{n}d", "reflect", n) for n in (1, 2, 3)
)
ReplicationPad1d, ReplicationPad2d, ReplicationPad3d = (
    _layer(f"ReplicationPad{n}d", "replicate", n) for n in (1, 2, 3)
)
CircularPad1d, CircularPad2d, CircularPad3d = (
    _layer(f"CircularPad{n}d", "circular", n) for n in (1, 2, 3)
)
