"""More activations, each composed of primitives (their gradients follow from the chain
rule): PyTorch's relu6, hardtanh, selu, celu, mish, hardswish, hardsigmoid, softsign,
softmin, glu, logsigmoid, threshold, tanhshrink, softshrink, hardshrink, prelu, rrelu."""

from zennet.functional import activation as act
from zennet.functional._util import array_of, as_tensor, module_of, normalize_dim
from zennet.functional.arith import abs, clamp, div, maximum, minimum, mul, sub, where
from zennet.functional.shape import chunk, reshape
from zennet.random import get_rng
from zennet.tensor import Tensor

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def hardtanh(x, min_val=-1.0, max_val=1.0, inplace=False):
    """clamp(x, min_val, max_val)"""
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) must not exceed max_val ({max_val}).")
    return clamp(x, min_val, max_val)


def relu6(x, inplace=False):
    """min(max(x, 0), 6)"""
    return clamp(x, 0.0, 6.0)


def selu(x, inplace=False):
    """scale · elu(x, α) with PyTorch's fixed α ≈ 1.6733 and scale ≈ 1.0507."""
    return mul(act.elu(x, SELU_ALPHA), SELU_SCALE)


def celu(x, alpha=1.0, inplace=False):
    """max(0, x) + min(0, α(e^(x/α) − 1)) = α · elu(x/α)."""
    if alpha == 0:
        raise ValueError("celu: alpha must not be 0.")
    return mul(act.elu(div(x, alpha), 1.0), alpha)


def mish(x, inplace=False):
    """x · tanh(softplus(x))"""
    return mul(x, act.tanh(act.softplus(x)))


def hardsigmoid(x, inplace=False):
    """relu6(x + 3) / 6"""
    return div(relu6(as_tensor(x) + 3.0), 6.0)


def hardswish(x, inplace=False):
    """x · relu6(x + 3) / 6"""
    return mul(x, hardsigmoid(x))


def softsign(x):
    """x / (1 + |x|)"""
    return div(x, abs(x) + 1.0)


def softmin(x, dim=None, dtype=None):
    """softmax(−x) along dim."""
    if dim is None:
        raise ValueError("softmin: pass dim (PyTorch's implicit choice is deprecated).")
    return act.softmax(-as_tensor(x), dim)


def glu(x, dim=-1):
    """a · sigmoid(b), where a and b are the two halves of x along dim."""
    x = as_tensor(x)
    dim = normalize_dim("glu", dim, x.ndim)
    if x.shape[dim] % 2:
        raise ValueError(
            f"glu: dimension {dim} of input {x.shape} has odd size {x.shape[dim]}; it is "
            f"split in two halves, so it must be even."
        )
    a, b = chunk(x, 2, dim)
    return mul(a, act.sigmoid(b))


def logsigmoid(x):
    """log(1 / (1 + e⁻ˣ)) = −softplus(−x), stable for large |x|."""
    return -act.softplus(-as_tensor(x))


def threshold(x, threshold, value, inplace=False):
    """x where x > threshold, else value."""
    x = as_tensor(x)
    return where(x > threshold, x, value)


def tanhshrink(x):
    """x − tanh(x)"""
    return sub(x, act.tanh(x))


def softshrink(x, lambd=0.5):
    """x − λ above λ, x + λ below −λ, 0 between."""
    if lambd < 0:
        raise ValueError(f"softshrink: lambd must be >= 0, got {lambd}.")
    x = as_tensor(x)
    return where(x > lambd, x - lambd, where(x < -lambd, x + lambd, 0.0))


def hardshrink(x, lambd=0.5):
    """x where |x| > λ, else 0."""
    x = as_tensor(x)
    return where((x > lambd) | (x < -lambd), x, 0.0)


def prelu(x, weight):
    """max(0, x) + weight · min(0, x), weight (1,) or one slope per channel (axis 1)."""
    x = as_tensor(x)
    if weight.numel() > 1:
        if x.ndim < 2 or x.shape[1] != weight.numel():
            raise ValueError(
                f"prelu: weight has {weight.numel()} slopes but input {x.shape} has "
                f"{x.shape[1] if x.ndim > 1 else 'no'} channels (axis 1); they must match."
            )
        weight = reshape(weight, (-1,) + (1,) * (x.ndim - 2))
    else:  # one slope: a scalar, so that the output keeps x's shape (x may be 0-D)
        weight = reshape(weight, ())
    return maximum(x, 0.0) + mul(weight, minimum(x, 0.0))


def rrelu(x, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Randomized leaky ReLU (Xu et al., 2015): y = x for x > 0, a·x for x <= 0, with
    a ~ U(lower, upper) drawn per element in training (from zennet's generator; dy/dx = a
    there) and a = (lower + upper)/2 in evaluation."""
    if not training:
        return act.leaky_relu(x, (lower + upper) / 2)
    x = as_tensor(x)
    slopes = x.device.put(get_rng().uniform(lower, upper, size=x.shape).astype(x.dtype))
    slope = module_of(x).where(array_of(x) <= 0, slopes, x.dtype.type(1))  # constant of x
    return mul(x, Tensor(slope))
