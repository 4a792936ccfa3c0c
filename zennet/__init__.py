"""zennet: a readable deep-learning framework on NumPy.

import zennet as zn
import zennet.functional as F
from zennet import nn, optim
"""

from zennet import startup  # first: what importing zennet does to the process (startup.py)
from zennet.tensor import Tensor, is_tensor, numel
from zennet.autograd import inference_mode
from zennet import functional  # its modules attach the Tensor methods they define
from zennet.grad_mode import detect_anomaly, enable_grad, is_grad_enabled, no_grad
from zennet.backend import Device, device, get_default_dtype, set_default_dtype
from zennet.backend import get_num_threads, set_num_threads
from zennet import autograd  # zn.autograd.grad
from zennet.creation import (
    Generator,
    arange,
    as_tensor,
    asarray,
    bernoulli,
    empty,
    empty_like,
    zero_,
    from_numpy,
    logspace,
    multinomial,
    normal,
    rand_like,
    randint_like,
    randn_like,
    randperm,
    scalar_tensor,
    eye,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    rand,
    randint,
    randn,
    tensor,
    zeros,
    zeros_like,
)
from zennet.functional import (
    abs,
    amax,
    amin,
    argmax,
    argmin,
    cat,
    chunk,
    clamp,
    clip,
    concat,
    exp,
    flatten,
    log,
    logsumexp,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    permute,
    reshape,
    sigmoid,
    softmax,
    split,
    sqrt,
    squeeze,
    stack,
    std,
    sum,
    tanh,
    transpose,
    unsqueeze,
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
from zennet.functional import linalg  # zn.linalg.norm, det, inv, solve, ...
from zennet.functional import (
    add,
    clone,
    div,
    divide,
    fill,
    mul,
    multiply,
    neg,
    pow,
    sub,
    subtract,
    true_divide,
)
from zennet.functional.convert import channels_last, contiguous_format, preserve_format
from zennet import nn
from zennet.gradcheck import gradcheck
from zennet.random import get_rng_state, manual_seed, set_rng_state

from zennet import data
from zennet.io import load, save
from zennet import optim
from zennet import training
from zennet.training import History, Trainer
from zennet import cuda
from zennet import kernels
from zennet.kernels import use_compiled_kernels
from zennet.parallel import use_threads
from zennet.ops.winograd import use_conv_algorithm

# Data sets, interpretability, exchange with PyTorch and ONNX, pretrained models and traced
# inference load on first use, so that `import zennet` stays fast (docs/performance.md).
_ON_FIRST_USE = ("datasets", "explain", "interop", "onnx", "pretrained", "jit")
_MODULES = {"datasets": "zennet.data.datasets"}


def __getattr__(name):
    if name in _ON_FIRST_USE:
        import importlib

        module = importlib.import_module(_MODULES.get(name, f"zennet.{name}"))
        globals()[name] = module
        return module
    raise AttributeError(f"module 'zennet' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_ON_FIRST_USE))


from zennet.dtypes import (  # noqa: E402 (PyTorch's dtype names; zn.float shadows nothing here)
    bool,
    double,
    float,
    float16,
    float32,
    float64,
    half,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    short,
    uint8,
)

bool_ = bool

from zennet.version import __version__  # noqa: E402
