"""Spectral normalisation (Miyato et al., 2018), the hook-based API of
torch.nn.utils.spectral_norm: a weight is divided by its largest singular value σ,

    W_SN = W / σ(W),   σ ≈ uᵀ W v

with W viewed as a matrix (``dim`` first, the rest flattened) and u, v estimated by power
iteration, one or more steps per forward pass in training mode, continued from the last:

    v ← normalize(Wᵀ u),   u ← normalize(W v)

The module's ``weight`` parameter becomes ``weight_orig``, and u and v are the buffers
``weight_u`` and ``weight_v`` (PyTorch's state-dict keys); a forward pre-hook sets
``weight`` = W_SN before each call. σ's gradient flows through W only (u and v are
constants of the step, as in PyTorch).
"""

from zennet.autograd import no_grad
from zennet.creation import randn
from zennet.functional.distance import normalize
from zennet.nn.conv import _ConvTranspose
from zennet.nn.module import Parameter
from zennet.nn.utils.weight_norm import _remove_hook


class SpectralNorm:
    """The forward pre-hook that sets ``module.<name>`` = W / σ(W) before each call."""

    def __init__(self, name="weight", n_power_iterations=1, dim=0, eps=1e-12):
        if n_power_iterations <= 0:
            raise ValueError(
                f"spectral_norm: n_power_iterations must be positive, got {n_power_iterations}."
            )
        self.name, self.dim, self.eps = name, dim, eps
        self.n_power_iterations = n_power_iterations

    def reshape_weight_to_matrix(self, weight):
        """W (*) -> (W.shape[dim], rest): ``dim`` moved first, the others flattened."""
        if self.dim != 0:
            rest = [d for d in range(weight.ndim) if d != self.dim]
            weight = weight.permute(self.dim, *rest)
        return weight.reshape(weight.shape[0], -1)

    def compute_weight(self, module, do_power_iteration):
        weight = getattr(module, self.name + "_orig")
        u, v = getattr(module, self.name + "_u"), getattr(module, self.name + "_v")
        matrix = self.reshape_weight_to_matrix(weight)  # (h, w)
        if do_power_iteration:
            with no_grad():
                for _ in range(self.n_power_iterations):
                    v.data[...] = normalize(matrix.T @ u, dim=0, eps=self.eps).data  # (w,)
                    u.data[...] = normalize(matrix @ v, dim=0, eps=self.eps).data  # (h,)
        sigma = (u.detach() * (matrix @ v.detach())).sum()  # uᵀ W v
        return weight / sigma

    def remove(self, module):
        with no_grad():
            weight = self.compute_weight(module, do_power_iteration=False)
        for suffix in ("", "_u", "_v", "_orig"):
            delattr(module, self.name + suffix)
        module.register_parameter(self.name, Parameter(weight.data))

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module, module.training))

    @staticmethod
    def apply(module, name, n_power_iterations, dim, eps):
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, SpectralNorm) and hook.name == name:
                raise RuntimeError(
                    f"spectral_norm: cannot register two spectral_norm hooks on the same "
                    f"parameter {name}."
                )
        fn = SpectralNorm(name, n_power_iterations, dim, eps)
        weight = module._parameters.get(name)
        if weight is None:
            raise ValueError(
                f"spectral_norm: {type(module).__name__} has no parameter {name!r}; its "
                f"parameters are {list(module._parameters)}."
            )
        with no_grad():
            h, w = fn.reshape_weight_to_matrix(weight).shape
            made = dict(dtype=weight.dtype, device=weight.device)
            u = normalize(randn(h, **made), dim=0, eps=eps)  # random start, as PyTorch
            v = normalize(randn(w, **made), dim=0, eps=eps)
        delattr(module, name)
        module.register_parameter(name + "_orig", weight)
        setattr(module, name, weight.detach())
        module.register_buffer(name + "_u", u)
        module.register_buffer(name + "_v", v)
        module.register_forward_pre_hook(fn)
        return fn


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Divide ``module.<name>`` by its spectral norm before each forward; returns the module.

    ``dim`` (default 0, or 1 for ConvTranspose layers, whose weights are (in, out, *k)) is
    the output dim, which becomes the matrix's rows.

    >>> critic = nn.utils.spectral_norm(nn.Linear(20, 40))   # weight_orig, weight_u, weight_v
    """
    if dim is None:
        dim = 1 if isinstance(module, _ConvTranspose) else 0
    SpectralNorm.apply(module, name, n_power_iterations, dim, eps)
    return module


def remove_spectral_norm(module, name="weight"):
    """Undo :func:`spectral_norm`: ``<name>`` becomes one parameter holding W / σ (the last
    u and v, no new power iteration)."""
    return _remove_hook(module, name, SpectralNorm, "spectral_norm")
