"""Activations g of A = g(Z): the user side of ops/activation.py."""

from zennet.functional._util import as_tensor, check_numbers, normalize_dim
from zennet.ops import activation as act
from zennet.tensor import tensor_method


@tensor_method
def relu(x):
    return act.ReLU.apply(x)


def leaky_relu(x, negative_slope=0.01):
    return act.LeakyReLU.apply(x, slope=negative_slope)


def elu(x, alpha=1.0):
    return act.ELU.apply(x, alpha=alpha)


def gelu(x, approximate="none"):
    """x·Φ(x); approximate='tanh' uses the tanh formula of the original paper."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}.")
    return act.GELU.apply(x, approximate=approximate)


@tensor_method
def sigmoid(x):
    return act.Sigmoid.apply(x)


@tensor_method
def tanh(x):
    return act.Tanh.apply(x)


def softplus(x, beta=1.0, threshold=20.0):
    return act.Softplus.apply(x, beta=beta, threshold=threshold)


def silu(x):
    return act.SiLU.apply(x)


@tensor_method
def softmax(x, dim=-1, dtype=None):
    """e^x / Σ e^x along dim, shifted by the max so it never overflows."""
    x = as_tensor(x) if dtype is None else as_tensor(x).to(dtype)
    check_numbers("softmax", x)
    return act.Softmax.apply(x, dim=normalize_dim("softmax", dim, x.ndim))


@tensor_method
def log_softmax(x, dim=-1, dtype=None):
    """log softmax(x) computed as x - logsumexp(x), stable for any logits."""
    x = as_tensor(x) if dtype is None else as_tensor(x).to(dtype)
    check_numbers("log_softmax", x)
    return act.LogSoftmax.apply(x, dim=normalize_dim("log_softmax", dim, x.ndim))
