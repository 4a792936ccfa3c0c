"""Layer functions: dropout, batch norm, layer norm, embedding (the user side of ops/norm.py
and ops/embedding.py). The modules in zennet/nn hold the parameters and call these."""

import warnings

import numpy as np

from zennet.functional._util import array_of, as_tensor, module_of
from zennet.functional.arith import matmul, mul, sum
from zennet.functional.shape import permute, reshape, unsqueeze
from zennet.ops import embedding as emb
from zennet.ops import norm
from zennet.random import get_rng
from zennet.trace import traced


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


def dropout(x, p=0.5, training=True, inplace=False):
    """y = x · m / (1 - p) with m ~ Bernoulli(1 - p) elementwise; y = x when not training.

    Scaling at training time ("inverted dropout") keeps E[y] = x, so evaluation needs
    no rescaling. The mask comes from zennet's seeded generator (zn.manual_seed).
    """
    _check_p("dropout", p)
    x = as_tensor(x)
    if not training or p == 0:
        return x
    return mul(x, _dropout_mask(x, x.shape, p))


def _feature_dropout(op, x, p, training, spatial):
    """Dropout of whole channels of (N, C, *spatial) or (C, *spatial): one draw per (n, c)."""
    _check_p(op, p)
    x = as_tensor(x)
    if x.ndim not in (spatial + 1, spatial + 2):
        raise ValueError(
            f"{op}: expected input of shape (N, C, ...) or (C, ...) with {spatial} spatial "
            f"dimension(s), got {x.shape}. Use dropout() for inputs without channels."
        )
    if not training or p == 0:
        return x
    channels = 1 if x.ndim == spatial + 1 else 2  # unbatched: one draw per channel
    mask_shape = x.shape[:channels] + (1,) * (x.ndim - channels)  # (N, C, 1, 1)
    return mul(x, _dropout_mask(x, mask_shape, p))


def dropout1d(x, p=0.5, training=True, inplace=False):
    """Dropout of whole channels of (N, C, L) or (C, L)."""
    return _feature_dropout("dropout1d", x, p, training, 1)


def dropout2d(x, p=0.5, training=True, inplace=False):
    """Dropout of whole channels: x (N, C, H, W) or (C, H, W); one mask value per (n, c).

    Neighbouring pixels of a feature map are strongly correlated, so dropping single
    pixels barely regularises a conv net; dropping a whole channel does. A 3-D input is
    taken as (N, C, L) (as before PyTorch 1.12); other ranks warn, as PyTorch does, and are
    taken as unbatched.
    """
    x = as_tensor(x)
    if x.ndim == 3:
        return _feature_dropout("dropout2d", x, p, training, 1)
    if x.ndim != 4:
        warnings.warn(
            f"dropout2d: received a {x.ndim}-D input; dropout2d is for 3-D or 4-D input "
            f"(channel-wise dropout, as PyTorch, which deprecates other ranks). Use dropout "
            f"instead.",
            stacklevel=2,
        )
        if x.ndim < 2:
            return dropout(x, p, training)
        return _feature_dropout("dropout2d", x, p, training, x.ndim - 1)
    return _feature_dropout("dropout2d", x, p, training, 2)


def dropout3d(x, p=0.5, training=True, inplace=False):
    """Dropout of whole channels of (N, C, D, H, W) or (C, D, H, W)."""
    return _feature_dropout("dropout3d", x, p, training, 3)


SELU_ALPHA_PRIME = 1.7580993408473766  # −λα of SELU: the value a dropped unit takes


def alpha_dropout(x, p=0.5, training=False, inplace=False, feature=False):
    """Dropout for SELU networks: dropped units are set to −λα, then an affine map a·y + b
    restores zero mean and unit variance (Klambauer et al., 2017):

        a = ((α'² p + 1)(1 − p))^(−1/2),   y = a·(x·m + α'(m − 1)) + a·α'·p,  m ~ Bernoulli(1 − p)

    ``feature``: one draw per channel (feature_alpha_dropout); p = 1 gives zeros."""
    _check_p("alpha_dropout", p)
    x = as_tensor(x)
    if not training or p == 0:
        return x
    if p == 1:  # every unit dropped: zeros, as PyTorch (a would divide by zero)
        return mul(x, 0.0)
    shape = x.shape[:2] + (1,) * (x.ndim - 2) if feature else x.shape
    keep = get_rng().random(shape) >= p
    alpha = SELU_ALPHA_PRIME
    a = (alpha * alpha * p + 1) ** -0.5 * (1 - p) ** -0.5
    m = x.device.put((keep * a).astype(x.dtype))
    b = x.device.put(((keep - 1.0) * alpha * a + alpha * a * p).astype(x.dtype))
    return mul(x, m) + b


def feature_alpha_dropout(x, p=0.5, training=False, inplace=False):
    """alpha_dropout with one draw per channel of (N, C, *)."""
    return alpha_dropout(x, p, training, feature=True)


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
    if x.ndim < 2 and x.numel() == 0:  # nothing to normalise: PyTorch returns it as it is
        return x * 1
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
    compiled = norm.compiled_channel_stats(x)
    if compiled is not None:  # one pass, and the op normalises x without x - μ
        return (*compiled, None)
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


def embedding(
    input,
    weight,
    padding_idx=None,
    max_norm=None,
    norm_type=2.0,
    scale_grad_by_freq=False,
    sparse=False,
):
    """Rows of weight (num_embeddings, dim) picked by integer indices (*) -> (*, dim).

    ``padding_idx``: that row gets no gradient (its vector stays as it is). ``max_norm``:
    first, each looked-up row whose ``norm_type``-norm exceeds it is scaled in place to
    norm max_norm (weight changes, as in PyTorch). ``scale_grad_by_freq``: a row's
    gradient is divided by how often it occurs in ``input``. ``sparse``: accepted; the
    gradient stays dense (optim.SparseAdam updates only the rows it touches).
    """
    options = dict(max_norm=max_norm, norm_type=norm_type, scale_grad_by_freq=scale_grad_by_freq)
    return lookup("embedding", input, weight, padding_idx, **options)


def renorm_rows(weight, idx, max_norm, norm_type):
    """W[i] ← W[i] · max_norm / (‖W[i]‖_p + 1e-7) for each distinct i in idx whose p-norm
    exceeds max_norm; in place, outside the graph (PyTorch's embedding_renorm_)."""
    xp = module_of(weight)
    data = weight.data
    rows = xp.unique(idx.reshape(-1))
    norms = xp.linalg.norm(data[rows], ord=norm_type, axis=1)  # (rows,)
    over = norms > max_norm
    scale = max_norm / (norms[over].astype(np.float64) + 1e-7)
    data[rows[over]] *= scale.astype(data.dtype)[:, None]


@traced("embedding")  # F.embedding and nn.Embedding both come here
def lookup(
    op, indices, weight, padding_idx, max_norm=None, norm_type=2.0, scale_grad_by_freq=False
):
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
    if max_norm is not None:
        renorm_rows(weight, idx, max_norm, norm_type)
    return emb.Embedding.apply(
        weight, indices=idx, padding_idx=padding_idx, scale_grad_by_freq=scale_grad_by_freq
    )


def padding_index(op, padding_idx, num):
    """padding_idx as a row number in [0, num); negative counts from the end."""
    if not -num <= padding_idx < num:
        raise ValueError(f"{op}: padding_idx {padding_idx} is out of range for {num} embeddings.")
    return padding_idx % num


def bilinear(input1, input2, weight, bias=None):
    """y[…, o] = Σ_ij x1[…, i]·A[o, i, j]·x2[…, j] + b[o]: x1 (*, in1), x2 (*, in2),
    weight (out, in1, in2) -> (*, out)."""
    x1, x2 = as_tensor(input1), as_tensor(input2)
    out, in1, in2 = weight.shape
    if x1.shape[-1] != in1 or x2.shape[-1] != in2 or x1.shape[:-1] != x2.shape[:-1]:
        raise ValueError(
            f"bilinear: inputs {x1.shape} and {x2.shape} must be (*, {in1}) and (*, {in2}) "
            f"with the same leading dimensions, for weight {weight.shape}."
        )
    flat = reshape(permute(weight, (1, 0, 2)), (in1, out * in2))  # (in1, out·in2)
    t = reshape(matmul(x1, flat), x1.shape[:-1] + (out, in2))  # x1ᵀA: (*, out, in2)
    y = sum(t * unsqueeze(x2, -2), -1)  # (*, out)
    return y if bias is None else y + bias
