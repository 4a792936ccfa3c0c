"""NAdam, RAdam, Adamax, Adadelta, Rprop, ASGD and LBFGS against torch.optim: 20 steps
from the same parameters with the same gradients (float64, rtol 1e-6), the same state
(PyTorch's keys and values), a state-dict round trip, and LBFGS with a closure."""

import numpy as np
import pytest
import torch

import zennet as zn
from tests.optim.test_optimizers import check_round_trip, compare_with_torch
from zennet import optim

CASES = [
    ("NAdam", dict(lr=0.05)),
    ("NAdam", dict(lr=0.05, betas=(0.8, 0.99), weight_decay=0.1, momentum_decay=0.01)),
    ("NAdam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", dict(lr=0.05)),
    ("RAdam", dict(lr=0.05, betas=(0.5, 0.9), weight_decay=0.1)),
    ("RAdam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)),
    ("Adamax", dict(lr=0.05)),
    ("Adamax", dict(lr=0.05, eps=1e-3, weight_decay=0.1, maximize=True)),
    ("Adadelta", dict(lr=1.0)),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-4, weight_decay=0.1)),
    ("Rprop", dict(lr=0.01)),
    ("Rprop", dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.2), maximize=True)),
    ("ASGD", dict(lr=0.05)),
    ("ASGD", dict(lr=0.05, lambd=0.01, alpha=0.5, t0=5, weight_decay=0.1)),
]
IDS = [f"{n}-{o}" for n, o in CASES]


@pytest.mark.parametrize("name, options", CASES, ids=IDS)
def test_twenty_steps_match_pytorch(name, options):
    compare_with_torch(name, options)


@pytest.mark.parametrize("name, options", CASES, ids=IDS)
def test_state_dict_round_trip_continues_identically(name, options):
    check_round_trip(name, options)


def _rosenbrock(lib, p):
    x, y = p[0], p[1]
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
@pytest.mark.parametrize("history_size", [100, 3])
def test_lbfgs_matches_pytorch_on_rosenbrock(line_search_fn, history_size):
    start = np.array([-1.2, 1.0])
    runs = {}
    for lib, make in ((zn, lambda a: zn.nn.Parameter(a.copy())), (torch, None)):
        p = make(start) if lib is zn else torch.tensor(start.copy(), requires_grad=True)
        cls = optim.LBFGS if lib is zn else torch.optim.LBFGS
        lr = 1 if line_search_fn else 0.1
        opt = cls([p], lr=lr, history_size=history_size, line_search_fn=line_search_fn)

        def closure(p=p, opt=opt, lib=lib):
            opt.zero_grad()
            loss = _rosenbrock(lib, p)
            loss.backward()
            return loss

        losses = [float(opt.step(closure).detach()) for _ in range(4)]
        runs[lib] = (p.detach().numpy().copy(), losses, opt.state[opt.param_groups[0]["params"][0]])
    (ours, our_losses, state), (theirs, their_losses, ref_state) = runs[zn], runs[torch]
    # 80 float64 iterations on an ill-conditioned valley: rounding grows to ~1e-9
    np.testing.assert_allclose(our_losses, their_losses, rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(ours, theirs, rtol=1e-7, atol=1e-12)
    assert state["func_evals"] == ref_state["func_evals"]
    assert state["n_iter"] == ref_state["n_iter"]
    if line_search_fn:  # the line search reaches the minimum (1, 1)
        np.testing.assert_allclose(ours, [1.0, 1.0], atol=1e-4)


def test_lbfgs_trains_a_float64_model_like_pytorch(rng):
    x = rng.standard_normal((20, 3))
    y = np.sin(x).sum(1, keepdims=True)
    ours = zn.nn.Sequential(zn.nn.Linear(3, 8), zn.nn.Tanh(), zn.nn.Linear(8, 1)).double()
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    theirs = theirs.double()
    theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    results = []
    for lib, model in ((zn, ours), (torch, theirs)):
        opt_cls = optim.LBFGS if lib is zn else torch.optim.LBFGS
        opt = opt_cls(model.parameters(), lr=0.8, line_search_fn="strong_wolfe")
        xt, yt = lib.tensor(x), lib.tensor(y)

        def closure(model=model, opt=opt, xt=xt, yt=yt):
            opt.zero_grad()
            loss = ((model(xt) - yt) ** 2).mean()
            loss.backward()
            return loss

        results.append([float(opt.step(closure).detach()) for _ in range(3)])
    np.testing.assert_allclose(results[0], results[1], rtol=1e-7)
    assert results[0][-1] < results[0][0] / 5


def test_torch_flags_are_accepted_or_refused_by_name():
    p = [zn.nn.Parameter(np.ones(2))]
    optim.NAdam(p, foreach=True)  # foreach changes nothing: accepted
    with pytest.raises(NotImplementedError, match="RAdam: capturable=True"):
        optim.RAdam(p, capturable=True)
    with pytest.raises(NotImplementedError, match="Adadelta: differentiable=True"):
        optim.Adadelta(p, differentiable=True)
    with pytest.raises(ValueError, match="Rprop: etas must satisfy"):
        optim.Rprop(p, etas=(1.5, 1.2))
    with pytest.raises(ValueError, match="LBFGS: line_search_fn must be None or 'strong_wolfe'"):
        optim.LBFGS(p, line_search_fn="armijo")


def test_registered_names():
    for name in ("nadam", "radam", "adamax", "adadelta", "rprop", "asgd", "lbfgs"):
        assert optim.OPTIMIZERS.get(name).__name__.lower() == name
