"""Converters of the convolution, pooling and resizing layers (NCHW, as ONNX).

Weights need no change: PyTorch's and ONNX's Conv weights are both (C_out, C_in/groups,
*k), ConvTranspose's both (C_in, C_out/groups, *k). Padding is symmetric in PyTorch;
ONNX takes begin and end pads: [p_1, ..., p_n, p_1, ..., p_n].
"""

import numpy as np

from zennet import nn
from zennet.functional.conv import ntuple
from zennet.functional.pool import adaptive_average_matrix, pool_output_size
from zennet.onnx.graph import key, register

_CONVOLUTIONS = (nn.Conv1d, nn.Conv2d, nn.ConvTranspose1d, nn.ConvTranspose2d)
_MAX_POOLS, _AVG_POOLS = (nn.MaxPool1d, nn.MaxPool2d), (nn.AvgPool1d, nn.AvgPool2d)
_ADAPTIVE_POOLS = (nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d)
_SPATIAL_DIMS = {cls: 1 for cls in (nn.Conv1d, nn.ConvTranspose1d, nn.MaxPool1d, nn.AvgPool1d,
                                    nn.AdaptiveAvgPool1d)}  # fmt: skip


def _spatial(module, name, x):
    """The number of spatial dims; the example input must be a batch (N, C, *S)."""
    nd = _SPATIAL_DIMS.get(type(module), 2)
    if x.ndim != nd + 2:
        raise ValueError(
            f"onnx.export: {type(module).__name__} {name!r} got an example input of shape "
            f"{x.shape}; export it with a batched {nd + 2}-D (N, C, ...) example input."
        )
    return nd


def _pads(padding, kernel, dilation):
    """ONNX pads from PyTorch's padding: symmetric, or 'same' (the odd one at the end)."""
    if padding == "valid":
        padding = (0,) * len(kernel)
    if padding == "same":
        total = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return [t // 2 for t in total] + [t - t // 2 for t in total]
    return list(padding) * 2


@register(*_CONVOLUTIONS)
def convolution(g, module, name, x):
    _spatial(module, name, x)
    inputs = [x.name, g.weight(key(name, "weight"), module.weight)]
    if module.bias is not None:
        inputs.append(g.weight(key(name, "bias"), module.bias))
    attributes = dict(
        kernel_shape=list(module.kernel_size),
        strides=list(module.stride),
        dilations=list(module.dilation),
        group=module.groups,
        pads=_pads(module.padding, module.kernel_size, module.dilation),
    )
    if module.transposed:
        return g.node("ConvTranspose", inputs, output_padding=list(module.output_padding),
                      **attributes)  # fmt: skip
    return g.node("Conv", inputs, **attributes)


def _window(module, nd, dilation=1):
    kernel = ntuple(type(module).__name__, "kernel_size", module.kernel_size, nd)
    stride = ntuple(type(module).__name__, "stride", module.stride, nd)
    padding = ntuple(type(module).__name__, "padding", module.padding, nd)
    dilation = ntuple(type(module).__name__, "dilation", dilation, nd)
    return kernel, stride, padding, dilation


def _ceil_overhang(module, x, nd, kernel, stride, padding, dilation):
    """ONNX's ceil_mode keeps a last window that starts in the right padding; PyTorch
    drops it. Returns the end pads that give PyTorch's output size with floor rounding."""
    sizes = x.shape[-nd:]
    want = pool_output_size(type(module).__name__, sizes, kernel, stride, padding, dilation, True)
    span = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    ends = zip(want, stride, span, sizes, padding)
    return [max((o - 1) * s + sp - n - p, 0) for o, s, sp, n, p in ends]


@register(*_MAX_POOLS)
def max_pool(g, module, name, x):
    """MaxPool; ceil_mode as extra end padding (padding is -inf for max pooling)."""
    nd = _spatial(module, name, x)
    kernel, stride, padding, dilation = _window(module, nd, module.dilation)
    end = list(padding)
    if module.ceil_mode:
        end = _ceil_overhang(module, x, nd, kernel, stride, padding, dilation)
    return g.node("MaxPool", [x.name], kernel_shape=list(kernel), strides=list(stride),
                  pads=list(padding) + end, dilations=list(dilation))  # fmt: skip


def avg_pool_check(module):
    if getattr(module, "divisor_override", None) is not None:
        return "divisor_override has no ONNX AveragePool equivalent"
    return None


@register(*_AVG_POOLS, check=avg_pool_check)
def avg_pool(g, module, name, x):
    """AveragePool. ceil_mode as extra end padding that the divisor leaves out; PyTorch's
    count_include_pad padding (which the divisor counts) then becomes real zeros (Pad)."""
    nd = _spatial(module, name, x)
    kernel, stride, padding, dilation = _window(module, nd)
    window = dict(kernel_shape=list(kernel), strides=list(stride))
    if not module.ceil_mode:
        return g.node("AveragePool", [x.name], pads=list(padding) * 2,
                      count_include_pad=int(module.count_include_pad), **window)  # fmt: skip
    y, begin = x.name, list(padding)
    end = _ceil_overhang(module, x, nd, kernel, stride, padding, dilation)
    if module.count_include_pad and any(padding):
        y = g.node("Pad", [y, g.ints([0, 0, *padding, 0, 0, *padding])])  # zeros
        begin, end = [0] * nd, [max(e - p, 0) for e, p in zip(end, padding)]
    return g.node("AveragePool", [y], pads=begin + end, count_include_pad=0, **window)


@register(*_ADAPTIVE_POOLS)
def adaptive_avg_pool(g, module, name, x):
    """GlobalAveragePool for output size 1, AveragePool when the sizes divide, and else
    PyTorch's overlapping windows as averaging matrices: y = A_H · x · A_Wᵀ."""
    nd = _spatial(module, name, x)
    sizes = x.shape[-nd:]
    wanted = module.output_size if isinstance(module.output_size, (tuple, list)) else (
        module.output_size,) * nd  # fmt: skip
    out = [n if o is None else o for n, o in zip(sizes, wanted)]
    if all(o == 1 for o in out):
        return g.node("GlobalAveragePool", [x.name])
    if all(n % o == 0 for n, o in zip(sizes, out)):
        kernel = [n // o for n, o in zip(sizes, out)]
        return g.node("AveragePool", [x.name], kernel_shape=kernel, strides=kernel)
    y = x.name
    for axis, (n, o) in enumerate(zip(sizes, out)):
        if n == o:
            continue
        matrix = g.const(adaptive_average_matrix(n, o), hint="average")  # (o, n)
        if axis == nd - 1:  # the last dim: x · Aᵀ
            y = g.node("MatMul", [y, g.node("Transpose", [matrix], perm=[1, 0])])
        else:  # H of (N, C, H, W): A · x
            y = g.node("MatMul", [matrix, y])
    return y


def upsample_check(module):
    if module.mode not in ("nearest", "linear", "bilinear"):
        return f"mode={module.mode!r} is not exported"
    return None


@register(nn.Upsample, check=upsample_check)
def upsample(g, module, name, x):
    """Resize as F.interpolate: nearest copies src ⌊dst / scale⌋ ('asymmetric', 'floor');
    (bi)linear samples (dst + ½)/scale - ½ ('half_pixel') or lines up the corners."""
    nd = x.ndim - 2
    if module.mode == "nearest":
        how = dict(mode="nearest", coordinate_transformation_mode="asymmetric",
                   nearest_mode="floor")  # fmt: skip
    else:
        corners = "align_corners" if module.align_corners else "half_pixel"
        how = dict(mode="linear", coordinate_transformation_mode=corners)
    if module.size is None and not module.recompute_scale_factor:
        factors = module.scale_factor
        factors = factors if isinstance(factors, tuple) else (factors,) * nd
        scales = g.const([1.0, 1.0, *factors], np.float32, "scales")
        return g.node("Resize", [x.name, "", scales], **how)
    out = g.node("Shape", [x.name], start=0, end=2)  # (N, C), the batch kept dynamic
    sizes = g.node("Concat", [out, g.ints(list(_output_size(module, x)))], axis=0)
    return g.node("Resize", [x.name, "", "", sizes], **how)


def _output_size(module, x):
    nd, spatial = x.ndim - 2, x.shape[2:]
    if module.size is not None:
        return ntuple("Upsample", "size", module.size, nd, minimum=1)
    factors = module.scale_factor
    factors = factors if isinstance(factors, tuple) else (factors,) * nd
    return tuple(int(np.floor(n * f)) for n, f in zip(spatial, factors))
