"""Run a model file written for PyTorch on PyTorch and on zennet.

Each file in this folder is PyTorch code (``import torch``, ``import torch.nn as nn``,
...). ``load(name, "zennet")`` executes it with only its import lines changed
(``import zennet as torch``, ``import zennet.nn as nn``, ...), exactly the port the
issue asks for; ``compare(name)`` builds both, copies PyTorch's state dict into ours,
and checks the loss and every parameter's gradient (and the inputs' where floating).

A model file defines ``build()`` -> model, ``inputs(rng)`` -> tuple of tensors and
``loss(model, *inputs)`` -> scalar; optionally ``train(model, *inputs)`` -> list of
losses from a few optimizer steps.
"""

import importlib.util
import pathlib
import re

import numpy as np
import torch

HERE = pathlib.Path(__file__).parent

PORT = [  # the import lines of a PyTorch script and their zennet spelling
    (r"^import torch$", "import zennet as torch"),
    (r"^import torch\.(\S+) as (\w+)$", r"import zennet.\1 as \2"),
    (r"^from torch(\.\S+)? import (.*)$", r"from zennet\1 import \2"),
]


def source(name, lib):
    text = (HERE / f"{name}.py").read_text()
    if lib == "zennet":
        for pattern, replacement in PORT:
            text = re.sub(pattern, replacement, text, flags=re.M)
    return text


def load(name, lib):
    """The model file as a module, on ``lib`` ("torch" or "zennet")."""
    spec = importlib.util.spec_from_loader(f"tests.models.{name}_{lib}", loader=None)
    module = importlib.util.module_from_spec(spec)
    exec(compile(source(name, lib), str(HERE / f"{name}.py"), "exec"), module.__dict__)
    return module


def _numpy(t):
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


def compare(name, seed=0, rtol=1e-5, atol=1e-6, train=True):
    """Same loss, parameter gradients and input gradients on both libraries."""
    theirs_ns, ours_ns = load(name, "torch"), load(name, "zennet")
    torch.manual_seed(seed)
    theirs, ours = theirs_ns.build(), ours_ns.build()
    reference = theirs.state_dict()
    assert list(ours.state_dict()) == list(reference), "state-dict keys differ"
    ours.load_state_dict({k: v.numpy() for k, v in reference.items()})
    theirs.train(train)
    ours.train(train)
    results = []
    for ns, model in ((theirs_ns, theirs), (ours_ns, ours)):
        xs = ns.inputs(np.random.default_rng(seed))
        loss = ns.loss(model, *xs)
        loss.backward()
        results.append((loss, xs, dict(model.named_parameters())))
    (ref, xrs, ref_params), (out, xs, params) = results
    np.testing.assert_allclose(_numpy(out), _numpy(ref), rtol=rtol, atol=atol)
    for key, p in params.items():
        r = ref_params[key].grad
        if r is None:
            assert p.grad is None or not np.any(_numpy(p.grad)), key
            continue
        np.testing.assert_allclose(
            _numpy(p.grad), _numpy(r), rtol=rtol, atol=atol, err_msg=f"grad of {key}"
        )
    for i, (x, xr) in enumerate(zip(xs, xrs)):
        if getattr(xr, "grad", None) is not None:
            np.testing.assert_allclose(
                _numpy(x.grad), _numpy(xr.grad), rtol=rtol, atol=atol, err_msg=f"input {i}"
            )
    return ours, theirs


def compare_training(name, seed=0, rtol=1e-5, atol=1e-6):
    """The losses of ``train`` (a few optimizer steps) and the weights after them."""
    theirs_ns, ours_ns = load(name, "torch"), load(name, "zennet")
    torch.manual_seed(seed)
    theirs, ours = theirs_ns.build(), ours_ns.build()
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    losses = [
        ns.train(model, *ns.inputs(np.random.default_rng(seed)))
        for ns, model in ((theirs_ns, theirs), (ours_ns, ours))
    ]
    np.testing.assert_allclose(losses[1], losses[0], rtol=rtol, atol=atol)
    for (k, a), b in zip(ours.state_dict().items(), theirs.state_dict().values()):
        np.testing.assert_allclose(a, b.numpy(), rtol=rtol, atol=atol, err_msg=k)
    return losses[1]
