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
from zennet.functional.decomposition import *  # noqa: F403 (its __all__)
from zennet.functional.solvers import *  # noqa: F403 (its __all__)
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

from zennet.functional.conv import (
    conv1d,
    conv2d,
    conv3d,
    conv_transpose1d,
    conv_transpose2d,
    conv_transpose3d,
)
from zennet.functional.pool import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    avg_pool1d,
    avg_pool2d,
    avg_pool3d,
    interpolate,
    max_pool1d,
    max_pool2d,
    max_pool3d,
)

from zennet.functional.activation_extra import (
    celu,
    glu,
    hardshrink,
    hardsigmoid,
    hardswish,
    hardtanh,
    logsigmoid,
    mish,
    prelu,
    relu6,
    rrelu,
    selu,
    softmin,
    softshrink,
    softsign,
    tanhshrink,
    threshold,
)
from zennet.functional.distance import cosine_similarity, normalize, pairwise_distance, pdist
from zennet.functional.embedding_bag import embedding_bag
from zennet.functional.fold import fold, unfold
from zennet.functional.nn import (
    alpha_dropout,
    bilinear,
    dropout1d,
    dropout3d,
    feature_alpha_dropout,
)
from zennet.functional.losses_more import (
    cosine_embedding_loss,
    gaussian_nll_loss,
    hinge_embedding_loss,
    margin_ranking_loss,
    multi_margin_loss,
    multilabel_margin_loss,
    multilabel_soft_margin_loss,
    poisson_nll_loss,
    soft_margin_loss,
    triplet_margin_loss,
    triplet_margin_with_distance_loss,
)
from zennet.functional.norm_extra import (
    group_norm,
    instance_norm,
    local_response_norm,
    rms_norm,
)
from zennet.functional.padding import pad  # noqa: F811 (all of PyTorch's modes)
from zennet.functional.pool_extra import (
    adaptive_avg_pool3d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    adaptive_max_pool3d,
    lp_pool1d,
    lp_pool2d,
    one_hot,
)
from zennet.functional.unpool import max_unpool1d, max_unpool2d, max_unpool3d
from zennet.functional.sampling import affine_grid, grid_sample, gumbel_softmax
from zennet.functional.shuffle import channel_shuffle, pixel_shuffle, pixel_unshuffle
from zennet.functional.ctc import ctc_loss
