"""F.unfold (im2col) and F.fold (col2im) as convolutions with one-hot kernels, so their
gradients are those of conv2d and conv_transpose2d: unfold's gradient is fold and back."""

from zennet.functional._util import as_tensor, module_of
from zennet.functional.conv import conv2d, conv_transpose2d, ntuple
from zennet.functional.shape import reshape


def _one_hot_kernels(x, channels, kernel):
    """(C·kh·kw, 1, kh, kw): kernel c·K + k picks offset k of its window (K = kh·kw)."""
    xp = module_of(x)
    K = kernel[0] * kernel[1]
    eye = xp.eye(K, dtype=x.dtype).reshape(K, 1, kernel[0], kernel[1])
    return as_tensor(xp.concatenate([eye] * channels, axis=0))


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Sliding kh×kw windows of x (N, C, H, W) as columns: (N, C·kh·kw, L), L windows,
    row c·kh·kw + i·kw + j holding x[n, c, i·d + ·, j·d + ·] (PyTorch's order)."""
    x = as_tensor(input)
    if x.ndim != 4:
        raise ValueError(f"unfold: expected a 4-D input (N, C, H, W), got shape {x.shape}.")
    kernel = ntuple("unfold", "kernel_size", kernel_size, 2, minimum=1)
    N, C = x.shape[:2]
    cols = conv2d(x, _one_hot_kernels(x, C, kernel), None, stride, padding, dilation, groups=C)
    L = cols.shape[2] * cols.shape[3]  # not -1: an empty batch (N = 0) has no size to infer
    return reshape(cols, (N, cols.shape[1], L))  # (N, C·K, L)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """The sum of columns (N, C·kh·kw, L) back into (N, C, H, W): each window adds its
    values where unfold took them (overlaps add up)."""
    cols = as_tensor(input)
    kernel = ntuple("fold", "kernel_size", kernel_size, 2, minimum=1)
    size = ntuple("fold", "output_size", output_size, 2, minimum=1)
    d, p, s = (
        ntuple("fold", n, v, 2)
        for n, v in (("dilation", dilation), ("padding", padding), ("stride", stride))
    )
    K = kernel[0] * kernel[1]
    if cols.ndim != 3 or cols.shape[1] % K:
        raise ValueError(
            f"fold: expected input (N, C·{K}, L) for kernel_size {kernel}, got {cols.shape}."
        )
    blocks = [(size[i] + 2 * p[i] - d[i] * (kernel[i] - 1) - 1) // s[i] + 1 for i in (0, 1)]
    if blocks[0] * blocks[1] != cols.shape[2]:
        raise ValueError(
            f"fold: output_size {size} with kernel {kernel} gives {blocks[0]}×{blocks[1]} "
            f"blocks, but the input has L = {cols.shape[2]}."
        )
    C = cols.shape[1] // K
    grid = reshape(cols, (cols.shape[0], C * K, blocks[0], blocks[1]))
    natural = [(blocks[i] - 1) * s[i] - 2 * p[i] + d[i] * (kernel[i] - 1) + 1 for i in (0, 1)]
    extra = tuple(size[i] - natural[i] for i in (0, 1))
    weight = _one_hot_kernels(cols, C, kernel)
    return conv_transpose2d(grid, weight, None, s, p, extra, groups=C, dilation=d)
