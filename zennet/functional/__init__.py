"""``import zennet.functional as F``: every differentiable function users call."""

from zennet.functional.activation import (
    elu,
    gelu,
    leaky_relu,
    log_softmax,
    relu,
    sigmoid,
    silu,
    softmax,
    softplus,
    tanh,
)
from zennet.functional.arith import (
    abs,
    add,
    amax,
    amin,
    argmax,
    argmin,
    cast,
    clamp,
    clip,
    clone,
    div,
    divide,
    exp,
    linear,
    log,
    logsumexp,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    mul,
    multiply,
    neg,
    pow,
    sqrt,
    std,
    sub,
    subtract,
    sum,
    true_divide,
    var,
    where,
)
from zennet.functional.math import *  # noqa: F403 (its __all__)
from zennet.functional.compare import *  # noqa: F403 (its __all__)
from zennet.functional.indexing import *  # noqa: F403 (its __all__)
from zennet.functional.ordering import *  # noqa: F403 (its __all__)
from zennet.functional.structure import *  # noqa: F403 (its __all__)
from zennet.functional.linalg import *  # noqa: F403 (its __all__)
from zennet.functional.reductions import *  # noqa: F403 (its __all__)
from zennet.functional._inplace import fill
from zennet.functional import convert  # noqa: F401 (makes .to, .cpu, .float, ... Tensor methods)
from zennet.functional.shape import (
    broadcast_to,
    cat,
    chunk,
    concat,
    expand,
    flatten,
    getitem,
    pad,
    permute,
    repeat,
    reshape,
    split,
    squeeze,
    stack,
    transpose,
    unsqueeze,
    view,
)

from zennet.functional.nn import batch_norm, dropout, dropout2d, embedding, layer_norm

from zennet.functional.loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    huber_loss,
    kl_div,
    l1_loss,
    mse_loss,
    nll_loss,
    smooth_l1_loss,
)

from zennet.functional.attention import scaled_dot_product_attention

from zennet.functional.conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d
from zennet.functional.pool import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    avg_pool1d,
    avg_pool2d,
    interpolate,
    max_pool1d,
    max_pool2d,
)
