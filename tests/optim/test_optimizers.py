"""Every optimizer against torch.optim: 20 steps from the same parameters with the same
gradients give the same parameters (float64, rtol 1e-6), and the same state."""

import numpy as np
import pytest
import torch

import zennet as zn
from zennet import nn, optim

SHAPES = [(3, 4), (5,)]

CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3, weight_decay=0.05)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.05)),
    ("SGD", dict(lr=0.1, momentum=0.5, maximize=True)),
    ("Adam", dict(lr=0.05)),
    ("Adam", dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ("Adam", dict(lr=0.05, amsgrad=True)),
    ("Adam", dict(lr=0.05, amsgrad=True, weight_decay=0.1, maximize=True)),
    ("AdamW", dict(lr=0.05)),
    ("AdamW", dict(lr=0.05, weight_decay=0.3, amsgrad=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, eps=1e-6, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, momentum=0.9)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.8, weight_decay=0.1)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.2)),
    ("Adagrad", dict(lr=0.1, eps=1e-3, maximize=True)),
]


def _problem(seed=0, steps=20):
    """Initial parameters and a gradient sequence; parameter 1 skips every third step."""
    rng = np.random.default_rng(seed)
    params = [rng.standard_normal(s) for s in SHAPES]
    grads = [[rng.standard_normal(s) for s in SHAPES] for _ in range(steps)]
    for k in range(0, steps, 3):
        grads[k][1] = None
    return params, grads


def _run(opt, params, grads, set_grad):
    history = []
    for step_grads in grads:
        for p, g in zip(params, step_grads):
            set_grad(p, g)
        opt.step()
        history.append(
            [np.array(p.detach().numpy() if torch.is_tensor(p) else p.data) for p in params]
        )
    return history


def _ours(params):
    return [nn.Parameter(p.copy()) for p in params]


def _theirs(params):
    return [torch.tensor(p.copy(), requires_grad=True) for p in params]


def _set_ours(p, g):
    p.grad = None if g is None else zn.tensor(g.copy())


def _set_theirs(p, g):
    p.grad = None if g is None else torch.tensor(g.copy())


def _assert_same_history(ours, theirs):
    for step, (a, b) in enumerate(zip(ours, theirs)):
        for k, (x, y) in enumerate(zip(a, b)):
            np.testing.assert_allclose(
                x, y, rtol=1e-6, atol=1e-12, err_msg=f"step {step} param {k}"
            )


def compare_with_torch(name, options):
    """20 steps of optim.<name> and torch.optim.<name>: same parameters and state."""
    start, grads = _problem()
    ours, theirs = _ours(start), _theirs(start)
    opt = getattr(optim, name)(ours, **options)
    ref = getattr(torch.optim, name)(theirs, **options)
    _assert_same_history(_run(opt, ours, grads, _set_ours), _run(ref, theirs, grads, _set_theirs))
    # the state has PyTorch's keys and values, parameters numbered as PyTorch numbers them
    state, ref_state = opt.state_dict()["state"], ref.state_dict()["state"]
    assert sorted(state) == sorted(ref_state)
    for i in ref_state:
        assert sorted(state[i]) == sorted(ref_state[i]), (name, i)
        for key, value in ref_state[i].items():
            np.testing.assert_allclose(
                state[i][key], np.asarray(value), rtol=1e-6, atol=1e-12, err_msg=key
            )


@pytest.mark.parametrize("name, options", CASES, ids=[f"{n}-{o}" for n, o in CASES])
def test_twenty_steps_match_pytorch(name, options):
    compare_with_torch(name, options)


def check_round_trip(name, options):
    """Saving the state after 10 steps and loading it into a fresh optimizer continues
    exactly as the uninterrupted run."""
    start, grads = _problem(seed=1)
    cls = getattr(optim, name)
    whole = _ours(start)
    uninterrupted = _run(cls(whole, **options), whole, grads, _set_ours)

    first = _ours(start)
    opt = cls(first, **options)
    _run(opt, first, grads[:10], _set_ours)
    saved = opt.state_dict()
    _run(opt, first, grads[10:12], _set_ours)  # the saved state must not change after saving

    resumed = _ours(uninterrupted[9])  # the parameters after 10 steps
    fresh = cls(resumed, lr=123.0)  # the options come back from the state dict too
    fresh.load_state_dict(saved)
    assert fresh.param_groups[0]["lr"] == options["lr"]
    _assert_same_history(_run(fresh, resumed, grads[10:], _set_ours), uninterrupted[10:])


@pytest.mark.parametrize("name, options", CASES, ids=[f"{n}-{o}" for n, o in CASES])
def test_state_dict_round_trip_continues_identically(name, options):
    check_round_trip(name, options)


def test_param_groups_with_their_own_options_match_pytorch():
    start, grads = _problem(seed=2)
    ours, theirs = _ours(start), _theirs(start)

    def groups(p):
        return [{"params": [p[0]], "lr": 0.1, "momentum": 0.9}, {"params": [p[1]]}]

    opt = optim.SGD(groups(ours), lr=0.01, nesterov=False)
    ref = torch.optim.SGD(groups(theirs), lr=0.01)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.01]
    _assert_same_history(_run(opt, ours, grads, _set_ours), _run(ref, theirs, grads, _set_theirs))
    assert opt.state_dict()["param_groups"][1]["params"] == [1]


def test_add_param_group_matches_pytorch():
    start, grads = _problem(seed=3)
    ours, theirs = _ours(start), _theirs(start)
    opt, ref = optim.Adam([ours[0]], lr=0.01), torch.optim.Adam([theirs[0]], lr=0.01)
    opt.add_param_group({"params": ours[1], "lr": 0.1, "amsgrad": True})
    ref.add_param_group({"params": theirs[1], "lr": 0.1, "amsgrad": True})
    _assert_same_history(_run(opt, ours, grads, _set_ours), _run(ref, theirs, grads, _set_theirs))


def test_zero_grad_and_closure():
    p = nn.Parameter(np.array([1.0, 2.0]))
    opt = optim.SGD([p], lr=0.5)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with zn.no_grad():  # step re-enables gradients for the closure, as PyTorch does
        loss = opt.step(closure)
    assert loss.item() == 5.0
    np.testing.assert_allclose(p.data, [0.0, 0.0])  # p - 0.5 · 2p
    p.grad = zn.tensor(np.array([1.0, 1.0]))
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(p.grad.numpy(), [0.0, 0.0])
    opt.zero_grad()
    assert p.grad is None


def test_full_batch_sgd_is_gradient_descent():
    w = nn.Parameter(np.array([0.5, -1.0]))
    grad = np.array([0.2, 0.4])
    w.grad = zn.tensor(grad)
    optim.SGD([w], lr=0.1).step()
    np.testing.assert_allclose(w.data, np.array([0.5, -1.0]) - 0.1 * grad)  # W ← W - α·dW


def test_float32_parameters_stay_float32():
    p = nn.Parameter(np.ones(3, dtype=np.float32))
    opt = optim.Adam([p], lr=0.1, weight_decay=0.1)
    p.grad = zn.tensor(np.ones(3, dtype=np.float32))
    opt.step()
    assert p.data.dtype == np.float32 and opt.state[p]["exp_avg"].dtype == np.float32


def test_repr_lists_the_options():
    text = repr(optim.Adam([nn.Parameter(np.ones(2))], lr=0.01))
    assert text.startswith("Adam (") and "Parameter Group 0" in text and "lr: 0.01" in text


# ----------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "name, options, message",
    [
        ("SGD", dict(lr=-0.1), r"SGD: lr must be >= 0, got -0.1"),
        ("SGD", dict(momentum=-0.5), r"SGD: momentum must be >= 0"),
        ("SGD", dict(nesterov=True), r"SGD: Nesterov momentum needs momentum > 0 and dampening"),
        ("SGD", dict(momentum=0.9, dampening=0.1, nesterov=True), r"dampening=0.1"),
        ("Adam", dict(lr=-1e-3), r"Adam: lr must be >= 0, got -0.001"),
        ("Adam", dict(betas=(0.9, 1.0)), r"Adam: betas\[1\] must be in \[0, 1\), got 1.0"),
        ("Adam", dict(eps=-1e-8), r"Adam: eps must be >= 0"),
        ("AdamW", dict(weight_decay=-0.01), r"AdamW: weight_decay must be >= 0"),
        ("RMSprop", dict(alpha=-0.9), r"RMSprop: alpha must be >= 0"),
        ("Adagrad", dict(lr_decay=-1), r"Adagrad: lr_decay must be >= 0"),
        ("Adagrad", dict(initial_accumulator_value=-1), r"Adagrad: initial_accumulator_value"),
    ],
)
def test_bad_hyperparameters_name_the_optimizer(name, options, message):
    with pytest.raises(ValueError, match=message):
        getattr(optim, name)([nn.Parameter(np.ones(2))], **options)


def test_bad_group_options_are_checked_too():
    opt = optim.SGD([nn.Parameter(np.ones(2))], lr=0.1)
    with pytest.raises(ValueError, match=r"SGD: lr must be >= 0, got -1"):
        opt.add_param_group({"params": [nn.Parameter(np.ones(2))], "lr": -1})


def test_bad_parameter_lists():
    p = nn.Parameter(np.ones(2))
    with pytest.raises(ValueError, match=r"Adam: got an empty parameter list"):
        optim.Adam([])
    with pytest.raises(ValueError, match=r"SGD: got an empty parameter list"):
        optim.SGD(nn.Sequential().parameters())
    with pytest.raises(TypeError, match=r"Adam: got a Module; pass model.parameters\(\)"):
        optim.Adam(nn.Sequential())
    with pytest.raises(TypeError, match=r"single Tensor; wrap it in a list"):
        optim.Adam(p)
    with pytest.raises(TypeError, match=r"Adam can only optimize Tensors, but one of the params"):
        optim.Adam([np.ones(2)])
    with pytest.raises(ValueError, match=r"can't optimize a non-leaf Tensor"):
        optim.Adam([p * 2])
    opt = optim.Adam([p])
    with pytest.raises(ValueError, match=r"Adam: some parameters appear in more than one group"):
        opt.add_param_group({"params": [p]})


def test_load_state_dict_from_other_parameters_is_refused():
    opt = optim.Adam([nn.Parameter(np.ones(2)), nn.Parameter(np.ones(3))])
    other = optim.Adam([nn.Parameter(np.ones(2))])
    with pytest.raises(ValueError, match=r"groups of sizes \[2\], this one \[1\]"):
        other.load_state_dict(opt.state_dict())
    for p in opt.param_groups[0]["params"]:
        p.grad = zn.ones_like(p)
    opt.step()
    saved = opt.state_dict()
    swapped = optim.Adam([nn.Parameter(np.ones(3)), nn.Parameter(np.ones(2))])
    with pytest.raises(ValueError, match=r"state 'exp_avg' has shape \(2,\) but its parameter"):
        swapped.load_state_dict(saved)


def test_training_a_small_model_matches_pytorch(rng):
    """Linear -> ReLU -> Linear, cross-entropy, AdamW + OneCycleLR + clipping: 15 steps."""
    x = rng.standard_normal((16, 5)).astype(np.float32)
    y = rng.integers(0, 3, size=16)
    model = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 3))
    ref = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    ref.load_state_dict({k: torch.tensor(v) for k, v in model.state_dict().items()})
    opt, ref_opt = (
        optim.AdamW(model.parameters(), lr=0.01),
        torch.optim.AdamW(ref.parameters(), lr=0.01),
    )
    sched = optim.lr_scheduler.OneCycleLR(opt, max_lr=0.05, total_steps=15)
    ref_sched = torch.optim.lr_scheduler.OneCycleLR(ref_opt, max_lr=0.05, total_steps=15)
    loss_fn, ref_loss_fn = (
        nn.CrossEntropyLoss(label_smoothing=0.1),
        torch.nn.CrossEntropyLoss(label_smoothing=0.1),
    )
    for _ in range(15):
        opt.zero_grad()
        ref_opt.zero_grad()
        loss = loss_fn(model(zn.tensor(x)), y)
        ref_loss = ref_loss_fn(ref(torch.tensor(x)), torch.tensor(y))
        loss.backward()
        ref_loss.backward()
        np.testing.assert_allclose(loss.item(), ref_loss.item(), rtol=1e-4)
        norm = nn.utils.clip_grad_norm_(model.parameters(), 0.5)
        ref_norm = torch.nn.utils.clip_grad_norm_(ref.parameters(), 0.5)
        np.testing.assert_allclose(norm.item(), ref_norm.item(), rtol=1e-4)
        opt.step()
        ref_opt.step()
        sched.step()
        ref_sched.step()
    for k, v in ref.state_dict().items():
        np.testing.assert_allclose(model.state_dict()[k], v.numpy(), rtol=1e-4, atol=1e-5)
