"""Optimizer state dicts cross between PyTorch and zennet: a torch.optim state dict loads
into the zennet optimizer (and ours, its arrays made tensors, into torch's), and both
continue with the same steps."""

import numpy as np
import pytest
import torch

from tests.optim.test_optimizers import (
    _assert_same_history,
    _ours,
    _problem,
    _run,
    _set_ours,
    _set_theirs,
    _theirs,
)
from zennet import optim

CASES = [
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("Adam", dict(lr=0.05, amsgrad=True)),
    ("AdamW", dict(lr=0.05)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5)),
    ("Adagrad", dict(lr=0.1)),
    ("NAdam", dict(lr=0.05)),
    ("RAdam", dict(lr=0.05)),
    ("Adamax", dict(lr=0.05)),
    ("Adadelta", dict(lr=1.0)),
    ("Rprop", dict(lr=0.01)),
    ("ASGD", dict(lr=0.05, t0=3)),
]


def _to_torch(state_dict):
    """Our state dict with PyTorch's value types: tensors, "step" a float32 tensor."""

    def value(key, v):
        if key == "step":
            return torch.tensor(float(v))
        return (
            torch.tensor(np.asarray(v)) if np.ndim(v) or key in ("mu_product", "eta", "mu") else v
        )

    state = {i: {k: value(k, v) for k, v in s.items()} for i, s in state_dict["state"].items()}
    return {"state": state, "param_groups": state_dict["param_groups"]}


@pytest.mark.parametrize("name, options", CASES, ids=[c[0] for c in CASES])
def test_torch_state_loads_into_zennet_and_back(name, options):
    start, grads = _problem(seed=4)
    theirs = _theirs(start)
    ref = getattr(torch.optim, name)(theirs, **options)
    _run(ref, theirs, grads[:8], _set_theirs)
    # PyTorch -> zennet: the state dict as torch.optim made it
    ours = _ours([p.detach().numpy() for p in theirs])
    opt = getattr(optim, name)(ours, **options)
    opt.load_state_dict(ref.state_dict())
    _assert_same_history(
        _run(opt, ours, grads[8:14], _set_ours), _run(ref, theirs, grads[8:14], _set_theirs)
    )
    # zennet -> PyTorch: a fresh torch optimizer continues from our state
    again = _theirs([p.data for p in ours])
    fresh = getattr(torch.optim, name)(again, **options)
    fresh.load_state_dict(_to_torch(opt.state_dict()))
    _assert_same_history(
        _run(fresh, again, grads[14:], _set_theirs), _run(opt, ours, grads[14:], _set_ours)
    )
