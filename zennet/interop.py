"""Weights from PyTorch: state dicts in memory or in .safetensors / .npz files.

zennet's layers use PyTorch's parameter names, shapes and gate orders, so a PyTorch
state dict IS a zennet state dict once its tensors are NumPy arrays:

    from zennet.interop import from_torch, load_torch_state
    state = from_torch(torch_model)                  # OrderedDict {key: ndarray}
    load_torch_state(model, torch_model)             # the same, loaded into a zennet model
    load_torch_state(model, "model.safetensors")     # safetensors.torch.save_file(...)'s file

zennet never imports torch: tensors are recognised by their methods (``.detach()``,
``.cpu()``, ``.numpy()``) and modules by ``.state_dict()``. PyTorch's ``.pt``/``.pth``
files are pickles, which zennet never opens (unpickling can run code); save the state
dict with ``safetensors.torch.save_file`` or as ``.npz`` instead.
"""

import os
from collections import OrderedDict
from collections.abc import Mapping

import numpy as np

from zennet.io import load
from zennet.tensor import Tensor

_PICKLE_SUFFIXES = (".pt", ".pth", ".bin", ".ckpt", ".pkl")
_COUNTER = "num_batches_tracked"  # BatchNorm's batch counter: int64, shape ()
_PARALLEL_PREFIX = "module."  # what nn.DataParallel / DistributedDataParallel put in front


def _to_numpy(value, key):
    """An ndarray (a copy, never a view of the tensor's memory) from a tensor-like value."""
    if isinstance(value, Tensor):
        return value.data.copy()
    if hasattr(value, "detach"):  # a torch.Tensor: drop the graph, move to the CPU
        value = value.detach()
        if "bfloat16" in str(getattr(value, "dtype", "")):  # NumPy has no bfloat16
            value = value.float()
        value = value.cpu() if hasattr(value, "cpu") else value
    if hasattr(value, "numpy") and not isinstance(value, np.ndarray):
        value = value.numpy()
    array = np.array(value, copy=True)
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"from_torch: {key!r} is a {type(value).__name__} of dtype {array.dtype}; expected "
            f"a tensor or array of numbers."
        )
    return array


def from_torch(torch_module_or_state_dict):
    """PyTorch weights as an ``OrderedDict`` of NumPy arrays, keyed as PyTorch keys them.

    Takes a ``torch.nn.Module`` (its ``state_dict()`` is used, buffers such as BatchNorm's
    running statistics included), or any mapping of names to tensors or arrays. The keys
    are zennet's keys for the equivalent zennet model. bfloat16 tensors become float32.
    """
    state = torch_module_or_state_dict
    if not isinstance(state, Mapping) and callable(getattr(state, "state_dict", None)):
        state = state.state_dict()
    if not isinstance(state, Mapping):
        raise TypeError(
            f"from_torch: expected a torch.nn.Module or a state dict (a mapping of names to "
            f"tensors), got {type(state).__name__}."
        )
    return OrderedDict((str(key), _to_numpy(value, key)) for key, value in state.items())


def _read(path_or_dict):
    if isinstance(path_or_dict, (str, os.PathLike)):
        path = os.fspath(path_or_dict)
        if path.lower().endswith(_PICKLE_SUFFIXES):
            raise ValueError(
                f"load_torch_state: {path} is a PyTorch pickle file, which zennet never opens "
                f"(unpickling can run code). In PyTorch, save the weights as safetensors: "
                f"`from safetensors.torch import save_file; "
                f"save_file(model.state_dict(), 'model.safetensors')`."
            )
        return OrderedDict(load(path))
    return from_torch(path_or_dict)


def _fit_to(model_state, state):
    """The state with PyTorch's bookkeeping adapted to the model: DataParallel's ``module.``
    prefix dropped, batch counters made optional, every array cast to the model's dtype."""
    if state and all(k.startswith(_PARALLEL_PREFIX) for k in state):
        if not any(k.startswith(_PARALLEL_PREFIX) for k in model_state):
            state = OrderedDict((k[len(_PARALLEL_PREFIX) :], v) for k, v in state.items())
    fitted = OrderedDict()
    for key, array in state.items():
        own = model_state.get(key)
        if own is None:
            if not key.endswith(_COUNTER):  # a counter the model does not keep is dropped
                fitted[key] = array
            continue
        if key.endswith(_COUNTER) and array.size == 1:
            array = array.reshape(own.shape)  # old files stored it as shape (1,)
        fitted[key] = array.astype(own.dtype, copy=False)
    for key, own in model_state.items():  # files from before PyTorch 0.4.1 have no counter
        if key.endswith(_COUNTER) and key not in fitted:
            fitted[key] = own.data
    return fitted


def load_torch_state(model, path_or_dict, strict=True):
    """Load PyTorch weights into the zennet ``model``; returns (missing, unexpected) keys.

    ``path_or_dict``: a ``.safetensors`` file (``safetensors.torch.save_file``) or ``.npz``
    file of a PyTorch state dict, or the state dict or torch module itself. Arrays are cast
    to the dtypes of the model's parameters (float16/float64 -> float32, say); BatchNorm's
    ``num_batches_tracked`` may be absent. With ``strict``, a missing or unexpected key or
    a shape mismatch raises one ValueError listing every problem (Module.load_state_dict).
    """
    state = _read(path_or_dict)
    own = model._state_tensors()
    return model.load_state_dict(_fit_to(own, state), strict=strict)
