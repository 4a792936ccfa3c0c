"""Convolutions: F.conv1d/2d/3d and F.conv_transpose1d/2d/3d (PyTorch's arguments and
NC*S layout), one N-d body each. The arithmetic is in zennet/ops/conv.py; this file checks
and normalises the arguments, so that a bad call gets a message instead of a NumPy
error from inside an im2col."""

from zennet.functional._util import as_tensor
from zennet.functional.shape import squeeze, unsqueeze
from zennet.ops import conv as cv

_SPATIAL = {1: "L", 2: "H, W", 3: "D, H, W"}


def ntuple(op, name, value, nd, minimum=0):
    """``value`` as a tuple of nd ints >= minimum (an int is repeated, as in PyTorch)."""
    values = (value,) * nd if isinstance(value, int) else tuple(value)
    if len(values) != nd or not all(isinstance(v, int) and v >= minimum for v in values):
        raise ValueError(
            f"{op}: {name} must be an int >= {minimum} or a tuple of {nd} such ints, got {value!r}."
        )
    return values


def check_input_rank(name, shape, nd, channels):
    """Raise unless ``shape`` is (N, C, *S) or unbatched (C, *S) with nd spatial dims."""
    if len(shape) not in (nd + 1, nd + 2):
        raise ValueError(
            f"{name} got input of shape {tuple(shape)}: expected {nd + 2}-D (N, {channels}, "
            f"{_SPATIAL[nd]}) or unbatched {nd + 1}-D ({channels}, {_SPATIAL[nd]})."
        )


def check_channels(name, shape, nd, in_channels, fix=""):
    """Raise unless the input's channel dim (1, or 0 when unbatched) holds ``in_channels``."""
    check_input_rank(name, shape, nd, in_channels)
    dim = len(shape) - nd - 1
    if shape[dim] != in_channels:
        raise ValueError(
            f"{name} got input of shape {tuple(shape)}: expected {in_channels} channels at dim "
            f"{dim}, found {shape[dim]}.{fix}"
        )


def resolve_padding(op, padding, kernel, stride, dilation):
    """PyTorch's padding forms -> ((lo, hi), ...) per spatial dim.

    'valid' is no padding; 'same' pads d·(k - 1) in total, the odd element after
    (stride 1 only, as PyTorch); an int or tuple pads both sides equally.
    """
    nd = len(kernel)
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * nd
        if padding != "same":
            raise ValueError(
                f"{op}: padding must be 'valid', 'same', an int or a tuple, got {padding!r}."
            )
        if any(s != 1 for s in stride):
            raise ValueError(
                f"{op}: padding='same' needs stride 1 (got stride={stride}), as in PyTorch; give "
                f"the padding as numbers instead, e.g. padding={tuple(k // 2 for k in kernel)}."
            )
        totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return tuple((t // 2, t - t // 2) for t in totals)
    return tuple((p, p) for p in ntuple(op, "padding", padding, nd))


def check_weight(op, w, nd, groups, transposed):
    """The weight's rank and its divisibility by groups."""
    layout = "(in, out/groups, *k)" if transposed else "(out, in/groups, *k)"
    if w.ndim != nd + 2:
        raise ValueError(f"{op}: weight must be {nd + 2}-D {layout}, got shape {w.shape}.")
    if not isinstance(groups, int) or groups < 1 or w.shape[0] % groups:
        what = "in_channels" if transposed else "out_channels"
        raise ValueError(
            f"{op}: {what} (weight.shape[0] = {w.shape[0]}) must be divisible by groups, "
            f"got groups={groups!r}."
        )


def check_operands(op, x, w, b, in_channels, out_channels, groups):
    """Channel count, bias shape and dtypes of a (transposed) convolution's operands."""
    if x.shape[1] != in_channels:
        raise ValueError(
            f"{op}: input of shape {x.shape} has {x.shape[1]} channels at dim 1, but weight of "
            f"shape {w.shape} with groups={groups} expects {in_channels}."
        )
    if b is not None and tuple(b.shape) != (out_channels,):
        raise ValueError(f"{op}: bias must have shape ({out_channels},), got {b.shape}.")
    operands = [t for t in (x, w, b) if t is not None]
    if len({t.dtype for t in operands}) > 1:
        raise TypeError(
            f"{op}: input, weight and bias must have the same dtype, got "
            f"{', '.join(str(t.dtype) for t in operands)}; convert them with .float()."
        )


def check_fits(op, padded, kernel, dilation):
    """The dilated kernel must fit in the padded input."""
    spans = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    if any(p < s for p, s in zip(padded, spans)):
        raise ValueError(
            f"{op}: the kernel {tuple(kernel)} (spanning {spans} with dilation {dilation}) is "
            f"larger than the padded input {tuple(padded)}; use a smaller kernel, more padding "
            f"or a larger input."
        )


def _batched(op, nd, x, channels, body):
    """Run ``body`` on a batch; an unbatched (C, *S) input gets a batch dim of 1 and back."""
    check_input_rank(op, x.shape, nd, channels)
    if x.ndim == nd + 2:
        return body(x)
    return squeeze(body(unsqueeze(x, 0)), 0)


def conv_nd(op, nd, input, weight, bias, stride, padding, dilation, groups):
    """The shared body of conv1d/conv2d/conv3d."""
    x, w = as_tensor(input), as_tensor(weight)
    b = None if bias is None else as_tensor(bias)
    check_weight(op, w, nd, groups, transposed=False)
    kernel = w.shape[2:]
    stride = ntuple(op, "stride", stride, nd, minimum=1)
    dilation = ntuple(op, "dilation", dilation, nd, minimum=1)
    pads = resolve_padding(op, padding, kernel, stride, dilation)

    def body(x):
        check_operands(op, x, w, b, w.shape[1] * groups, w.shape[0], groups)
        padded = [n + lo + hi for n, (lo, hi) in zip(x.shape[2:], pads)]
        check_fits(op, padded, kernel, dilation)
        return cv.Conv.apply(x, w, b, stride=stride, padding=pads, dilation=dilation, groups=groups)

    return _batched(op, nd, x, w.shape[1] * groups, body)


def conv_transpose_nd(
    op, nd, input, weight, bias, stride, padding, output_padding, groups, dilation
):
    """The shared body of conv_transpose1d/2d/3d."""
    x, w = as_tensor(input), as_tensor(weight)
    b = None if bias is None else as_tensor(bias)
    check_weight(op, w, nd, groups, transposed=True)
    stride = ntuple(op, "stride", stride, nd, minimum=1)
    dilation = ntuple(op, "dilation", dilation, nd, minimum=1)
    pads = tuple((p, p) for p in ntuple(op, "padding", padding, nd))
    extra = ntuple(op, "output_padding", output_padding, nd)
    if any(e >= max(s, d) for e, s, d in zip(extra, stride, dilation)):
        raise ValueError(
            f"{op}: output_padding {extra} must be smaller than stride {stride} or dilation "
            f"{dilation} in every dim."
        )

    def body(x):
        check_operands(op, x, w, b, w.shape[0], w.shape[1] * groups, groups)
        sizes = [
            (n - 1) * s - 2 * p + d * (k - 1) + e + 1
            for n, k, s, d, (p, _), e in zip(
                x.shape[2:], w.shape[2:], stride, dilation, pads, extra
            )
        ]
        if min(sizes) < 1:
            raise ValueError(
                f"{op}: input of shape {x.shape} gives a non-positive output size {sizes}."
            )
        return cv.ConvTranspose.apply(
            x,
            w,
            b,
            stride=stride,
            padding=pads,
            output_padding=extra,
            dilation=dilation,
            groups=groups,
        )

    return _batched(op, nd, x, w.shape[0], body)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-d convolution: input (N, C, L), weight (O, C/groups, k) -> (N, O, L_out)."""
    return conv_nd("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-d convolution (cross-correlation, as PyTorch):

        y[n, o, i, j] = b[o] + Σ_{c, a, e} W[o, c, a, e] · xpad[n, g·Cg + c, i·s + a·d, j·s + e·d]

    with g = o // (O/groups) the group of channel o and Cg = C/groups.

    input (N, C, H, W), weight (O, C/groups, kh, kw), bias (O,) -> (N, O, H_out, W_out),
    H_out = (H + 2·padding - dilation·(kh - 1) - 1) // stride + 1. ``padding`` may be an
    int, a tuple, 'valid' or 'same'.
    """
    return conv_nd("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-d convolution: input (N, C, D, H, W), weight (O, C/groups, kd, kh, kw)
    -> (N, O, D_out, H_out, W_out), each size as conv2d's rule."""
    return conv_nd("conv3d", 3, input, weight, bias, stride, padding, dilation, groups)


def conv_transpose1d(
    input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
):
    """1-d transposed convolution: input (N, Cin, L), weight (Cin, Cout/groups, k)."""
    options = (stride, padding, output_padding, groups, dilation)
    return conv_transpose_nd("conv_transpose1d", 1, input, weight, bias, *options)


def conv_transpose2d(
    input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
):
    """2-d transposed convolution, the gradient of conv2d with respect to its input:

    input (N, Cin, H, W), weight (Cin, Cout/groups, kh, kw) -> (N, Cout, H_out, W_out),
    H_out = (H - 1)·stride - 2·padding + dilation·(kh - 1) + output_padding + 1.
    """
    options = (stride, padding, output_padding, groups, dilation)
    return conv_transpose_nd("conv_transpose2d", 2, input, weight, bias, *options)


def conv_transpose3d(
    input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
):
    """3-d transposed convolution: input (N, Cin, D, H, W), weight (Cin, Cout/groups, kd, kh,
    kw) -> (N, Cout, D_out, H_out, W_out), each size as conv_transpose2d's rule."""
    options = (stride, padding, output_padding, groups, dilation)
    return conv_transpose_nd("conv_transpose3d", 3, input, weight, bias, *options)
