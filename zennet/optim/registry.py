"""The optimizer names of ``zennet train --optimizer NAME``: each optimizer's file registers
its class here (``OPTIMIZERS.register("adam", Adam)``), and :func:`get` builds one by name."""

from zennet.registry import Registry

OPTIMIZERS = Registry("optimizer")


def get(name, params, **kwargs):
    """The optimizer registered as ``name`` over ``params``: ``optim.get("adam", model.parameters(),
    lr=1e-3)``; keyword arguments left out (or None) take the optimizer's own defaults."""
    cls = OPTIMIZERS.get(name.lower() if isinstance(name, str) else name)
    return cls(list(params), **{k: v for k, v in kwargs.items() if v is not None})
