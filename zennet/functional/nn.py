"""Layer functions: dropout, batch norm, layer norm, embedding (the user side of ops/norm.py
and ops/embedding.py). The modules in zennet/nn hold the parameters and call these."""

import numpy as np

from zennet.functional._util import array_of, as_tensor, module_of
from zennet.functional.arith import mul
from zennet.ops import embedding as emb
from zennet.ops import norm
from zennet.random import get_rng


def _check_p(op, p):
    if not 0 <= p <= 1:
        raise ValueError(f"{op}: dropout probability p must be between 0 and 1, got {p}.")


def _dropout_mask(x, shape, p):
    """Keep each element with probability 1 - p and scale the kept ones by 1/(1 - p); drawn
    on the host from zennet's generator (the same masks on every device), on x's device."""
    if p == 1:
        return module_of(x).zeros(shape, dtype=x.dtype)
    keep = get_rng().random(shape, dtype=np.float32) >= p
    return x.device.put(keep.astype(x.dtype) * x.dtype.type(1 / (1 - p)))


def dropout(x, p=0.5, training=True):
    """y = x · m / (1 - p) with m ~ Bernoulli(1 - p) elementwise; y = x when not training.

    Scaling at training time ("inverted dropout") keeps E[y] = x, so evaluation needs
    no rescaling. The mask comes from zennet's seeded generator (zn.manual_seed).
    """
    _check_p("dropout", p)
    x = as_tensor(x)
    if not training or p == 0:
        return x
    return mul(x, _dropout_mask(x, x.shape, p))


def dropout2d(x, p=0.5, training=True):
    """Dropout of whole channels: x (N, C, H, W) or (N, C, L); one mask value per (n, c).

    Neighbouring pixels of a feature map are strongly correlated, so dropping single
    pixels barely regularises a conv net; dropping a whole channel does.
    """
    _check_p("dropout2d", p)
    x = as_tensor(x)
    if x.ndim not in (3, 4):
        raise ValueError(
            f"dropout2d: expected input of shape (N, C, H, W) or (N, C, L), got {x.shape}. "
            f"Use dropout() for inputs without channels."
        )
    if not training or p == 0:
        return x
    mask_shape = x.shape[:2] + (1,) * (x.ndim - 2)  # (N, C, 1, 1): one draw per channel
    return mul(x, _dropout_mask(x, mask_shape, p))


def batch_norm(
    x,
    running_mean,
    running_var,
    weight=None,
    bias=None,
    training=False,
    momentum=0.1,
    eps=1e-5,
):
    """Normalise each channel (axis 1) of x (N, C, *) and scale by weight, shift by bias.

    Training: batch mean and biased variance over N and the spatial axes; the running
    statistics (when given) are updated in place, as in PyTorch, with the unbiased variance:

        running_mean ← (1 - momentum)·running_mean + momentum·μ_batch
        running_var  ← (1 - momentum)·running_var  + momentum·σ²_batch·M/(M - 1)

    Evaluation: the running statistics are used and not changed.
    """
    x = as_tensor(x)
    if x.ndim < 2:
        raise ValueError(f"batch_norm: expected input of shape (N, C, *), got {x.shape}.")
    channels = x.shape[1]
    for name, t in (
        ("running_mean", running_mean),
        ("running_var", running_var),
        ("weight", weight),
        ("bias", bias),
    ):
        if t is not None and tuple(t.shape) != (channels,):
            raise ValueError(
                f"batch_norm: input of shape {x.shape} has {channels} channels (axis 1) but "
                f"{name} has shape {tuple(t.shape)}; they must match."
            )
    if training and x.numel() == 0:  # an empty batch: nothing to learn from (as PyTorch)
        xp = module_of(x)
        mean, var, centered = xp.zeros(channels, x.dtype), xp.ones(channels, x.dtype), None
        training = False
    elif training:
        mean, var, centered = _batch_stats(x.data)
        if running_mean is not None:
            _update_running(running_mean, running_var, mean, var, momentum, x.numel() // channels)
    else:
        if running_mean is None or running_var is None:
            raise ValueError(
                "batch_norm: evaluation (training=False) needs running_mean and running_var."
            )
        mean, var, centered = array_of(running_mean), array_of(running_var), None
    return norm.BatchNorm.apply(
        x, weight, bias, mean=mean, var=var, eps=eps, batch_stats=training, centered=centered
    )


def _batch_stats(x):
    """Mean and biased variance of each channel over every other axis, two (C,) arrays,
    and x − mean (N, C, *), which the op turns into x̂ in place."""
    count = x.size // x.shape[1]
    if count < 2:
        raise ValueError(
            f"batch_norm: expected more than 1 value per channel when training, got input of "
            f"shape {x.shape}. Use a batch of at least 2 samples, or call model.eval()."
        )
    mean = norm.channel_sum(x) / count
    centered = x - mean.reshape((1, -1) + (1,) * (x.ndim - 2))
    return mean, norm.channel_dot(centered, centered) / count, centered


def _update_running(running_mean, running_var, mean, var, momentum, count):
    """The in-place moving averages of PyTorch (unbiased variance, weight ``momentum``)."""
    rm, rv = array_of(running_mean), array_of(running_var)
    rm *= 1 - momentum
    rm += (momentum * mean).astype(rm.dtype, copy=False)
    rv *= 1 - momentum
    rv += (momentum * var * (count / (count - 1))).astype(rv.dtype, copy=False)


def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise each sample over its last len(normalized_shape) axes, then γ·x̂ + β."""
    x = as_tensor(x)
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if x.shape[x.ndim - len(shape) :] != shape or x.ndim < len(shape):
        raise ValueError(
            f"layer_norm: input of shape {x.shape} does not end in normalized_shape {shape}; "
            f"its last {len(shape)} dimension(s) must be {shape}."
        )
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != shape:
            raise ValueError(f"layer_norm: {name} has shape {tuple(t.shape)}; expected {shape}.")
    return norm.LayerNorm.apply(x, weight, bias, ndims=len(shape), eps=eps)


def embedding(indices, weight, padding_idx=None):
    """Rows of weight (num_embeddings, dim) picked by integer indices (*) -> (*, dim).

    ``padding_idx``: that row gets no gradient (its vector stays as it is).
    """
    return lookup("embedding", indices, weight, padding_idx)


def lookup(op, indices, weight, padding_idx):
    """F.embedding with errors that name ``op`` (the nn.Embedding module names itself)."""
    idx = module_of(weight).asarray(array_of(indices))
    num = weight.shape[0]
    if not np.issubdtype(idx.dtype, np.integer):
        raise TypeError(
            f"{op}: indices must be integers, got dtype {idx.dtype}. Convert them with "
            f".long() (token ids and class labels are integers)."
        )
    if idx.size and (idx.min() < 0 or idx.max() >= num):
        bad = idx.min() if idx.min() < 0 else idx.max()
        raise ValueError(
            f"{op} got index {int(bad)}, out of range for {num} embeddings (valid indices "
            f"are 0..{num - 1}). Is num_embeddings (the vocabulary size) large enough?"
        )
    if padding_idx is not None:
        padding_idx = padding_index(op, padding_idx, num)
    return emb.Embedding.apply(weight, indices=idx, padding_idx=padding_idx)


def padding_index(op, padding_idx, num):
    """padding_idx as a row number in [0, num); negative counts from the end."""
    if not -num <= padding_idx < num:
        raise ValueError(f"{op}: padding_idx {padding_idx} is out of range for {num} embeddings.")
    return padding_idx % num
