"""Weight normalisation (Salimans & Kingma, 2016), the hook-based API of
torch.nn.utils.weight_norm: a weight is re-parametrised as a direction and a length,

    w = g · v / ‖v‖

with ‖v‖ taken over every dim but ``dim`` (over all of v when dim is None or -1). The
module's ``weight`` parameter is replaced by ``weight_g`` and ``weight_v`` (PyTorch's
state-dict keys), and a forward pre-hook recomputes ``weight`` from them before each call.
"""

from zennet.nn.module import Parameter


def norm_except_dim(v, dim):
    """‖v‖₂ over every dim but ``dim``, kept as size-1 dims: (1, ..., v.shape[dim], ..., 1);
    dim=-1 is the norm of the whole tensor (a 0-d tensor), as PyTorch's norm_except_dim."""
    if dim == -1:
        return (v * v).sum().sqrt()
    dim = dim % v.ndim
    others = tuple(d for d in range(v.ndim) if d != dim)
    return (v * v).sum(others, keepdim=True).sqrt()


class WeightNorm:
    """The forward pre-hook that sets ``module.<name>`` = g · v / ‖v‖ before each call."""

    def __init__(self, name, dim):
        self.name, self.dim = name, -1 if dim is None else dim

    def compute_weight(self, module):
        g, v = getattr(module, self.name + "_g"), getattr(module, self.name + "_v")
        return v * (g / norm_except_dim(v, self.dim))

    @staticmethod
    def apply(module, name, dim):
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, WeightNorm) and hook.name == name:
                raise RuntimeError(
                    f"weight_norm: {type(module).__name__}.{name} already has a weight_norm "
                    f"hook; remove it with remove_weight_norm first."
                )
        weight = module._parameters.get(name)
        if weight is None:
            raise ValueError(
                f"weight_norm: {type(module).__name__} has no parameter {name!r}; its "
                f"parameters are {list(module._parameters)}."
            )
        fn = WeightNorm(name, dim)
        delattr(module, name)
        g = norm_except_dim(weight.detach(), fn.dim)
        module.register_parameter(name + "_g", Parameter(g.data.copy()))
        module.register_parameter(name + "_v", Parameter(weight.data))
        setattr(module, name, fn.compute_weight(module))
        module.register_forward_pre_hook(fn)
        return fn

    def remove(self, module):
        weight = self.compute_weight(module)
        delattr(module, self.name)
        delattr(module, self.name + "_g")
        delattr(module, self.name + "_v")
        setattr(module, self.name, Parameter(weight.data))

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module, name="weight", dim=0):
    """Re-parametrise ``module.<name>`` as g · v / ‖v‖ (parameters ``<name>_g``, the norms,
    and ``<name>_v``, the directions); returns the module.

    >>> layer = nn.utils.weight_norm(nn.Linear(20, 40))   # weight_g (40, 1), weight_v (40, 20)
    """
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module, name="weight"):
    """Undo :func:`weight_norm`: ``<name>`` becomes one parameter again, holding g · v / ‖v‖."""
    return _remove_hook(module, name, WeightNorm, "weight_norm")


def _remove_hook(module, name, kind, what):
    """Find the ``kind`` pre-hook of ``name``, undo it and unregister it; returns the module."""
    for key, hook in module._forward_pre_hooks.items():
        if isinstance(hook, kind) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(f"{what} of '{name}' not found in {type(module).__name__}")
