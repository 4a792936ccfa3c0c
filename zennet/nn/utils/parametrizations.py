"""torch.nn.utils.parametrizations' weight_norm and spectral_norm: the same
re-parametrisations as nn.utils.weight_norm / spectral_norm (see those files for the
math), registered with nn.utils.parametrize, under PyTorch's state-dict keys:

    weight_norm     parametrizations.weight.original0 (g), .original1 (v)
    spectral_norm   parametrizations.weight.original, .0._u, .0._v

PyTorch's parametrized spectral norm differs from the hook-based one in two details kept
here: each power-iteration step updates u from v first (u ← normalize(W v), then
v ← normalize(Wᵀ u)), and construction runs 15 steps from the random start.
"""

from zennet.autograd import no_grad
from zennet.creation import randn
from zennet.functional.distance import normalize
from zennet.nn.conv import _ConvTranspose
from zennet.nn.module import Module
from zennet.nn.utils.parametrize import register_parametrization
from zennet.nn.utils.weight_norm import norm_except_dim


class _WeightNorm(Module):
    """w = g · v / ‖v‖ (norm over every dim but ``dim``; over all of v for None or -1)."""

    def __init__(self, dim=0):
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return weight_v * (weight_g / norm_except_dim(weight_v, self.dim))

    def right_inverse(self, weight):
        return norm_except_dim(weight, self.dim), weight


class _SpectralNorm(Module):
    """W / σ(W), σ ≈ uᵀ W v by power iteration in training mode; a 1-d weight is only
    normalised."""

    def __init__(self, weight, n_power_iterations=1, dim=0, eps=1e-12):
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(f"spectral_norm: dim {dim} is out of range for a {ndim}-d weight.")
        if n_power_iterations <= 0:
            raise ValueError(
                f"spectral_norm: n_power_iterations must be positive, got {n_power_iterations}."
            )
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps, self.n_power_iterations = eps, n_power_iterations
        if ndim > 1:
            matrix = self._matrix(weight.detach())
            made = dict(dtype=weight.dtype, device=weight.device)
            self.register_buffer("_u", normalize(randn(matrix.shape[0], **made), dim=0, eps=eps))
            self.register_buffer("_v", normalize(randn(matrix.shape[1], **made), dim=0, eps=eps))
            self._power_method(matrix, 15)

    def _matrix(self, weight):
        """W (*) -> (W.shape[dim], rest)."""
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.ndim) if d != self.dim))
        return weight.reshape(weight.shape[0], -1)

    def _power_method(self, matrix, steps):
        """u ← normalize(W v), v ← normalize(Wᵀ u), ``steps`` times, in place."""
        with no_grad():
            matrix = matrix.detach()
            for _ in range(steps):
                self._u.data[...] = normalize(matrix @ self._v, dim=0, eps=self.eps).data
                self._v.data[...] = normalize(matrix.T @ self._u, dim=0, eps=self.eps).data

    def forward(self, weight):
        if weight.ndim == 1:
            return normalize(weight, dim=0, eps=self.eps)
        matrix = self._matrix(weight)
        if self.training:
            self._power_method(matrix, self.n_power_iterations)
        sigma = (self._u.detach() * (matrix @ self._v.detach())).sum()  # uᵀ W v
        return weight / sigma

    def right_inverse(self, value):
        return value


def weight_norm(module, name="weight", dim=0):
    """``module.<name>`` = g · v / ‖v‖ as a parametrization; returns the module."""
    return register_parametrization(module, name, _WeightNorm(dim))


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """``module.<name>`` = W / σ(W) as a parametrization; ``dim`` defaults to 0 (1 for
    ConvTranspose layers). Returns the module."""
    weight = getattr(module, name, None)
    if weight is None:
        raise ValueError(f"spectral_norm: {type(module).__name__} has no parameter {name!r}.")
    if dim is None:
        dim = 1 if isinstance(module, _ConvTranspose) else 0
    return register_parametrization(
        module, name, _SpectralNorm(weight, n_power_iterations, dim, eps)
    )
