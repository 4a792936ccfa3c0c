"""Every LR scheduler against torch.optim.lr_scheduler: the same learning rates (and, for
OneCycleLR, momenta) step by step, a state-dict round trip, and the errors."""

import numpy as np
import pytest
import torch

import zennet as zn
from zennet import nn, optim
from zennet.optim import lr_scheduler

LRS = (0.1, 0.02)  # two parameter groups with their own learning rates

CASES = [
    ("StepLR", dict(step_size=3)),
    ("StepLR", dict(step_size=4, gamma=0.5)),
    ("MultiStepLR", dict(milestones=[2, 5, 5, 11], gamma=0.3)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=7)),
    ("CosineAnnealingLR", dict(T_max=6, eta_min=0.001)),
    ("LinearLR", dict()),
    ("LinearLR", dict(start_factor=0.1, end_factor=0.8, total_iters=12)),
    ("OneCycleLR", dict(max_lr=1.0, total_steps=25)),
    (
        "OneCycleLR",
        dict(
            max_lr=[1.0, 0.5],
            epochs=5,
            steps_per_epoch=5,
            pct_start=0.2,
            anneal_strategy="linear",
            div_factor=10.0,
            final_div_factor=100.0,
        ),
    ),
    ("OneCycleLR", dict(max_lr=1.0, total_steps=25, three_phase=True, base_momentum=0.7)),
    ("OneCycleLR", dict(max_lr=1.0, total_steps=25, cycle_momentum=False)),
]


def _optimizers(kind):
    """The same two-group optimizer in zennet and in PyTorch."""
    ours = [nn.Parameter(np.ones(2)), nn.Parameter(np.ones(3))]
    theirs = [torch.ones(2, requires_grad=True), torch.ones(3, requires_grad=True)]
    options = dict(momentum=0.9) if kind == "SGD" else {}

    def groups(ps):
        return [{"params": [p], "lr": lr} for p, lr in zip(ps, LRS)]

    return (
        getattr(optim, kind)(groups(ours), **options),
        getattr(torch.optim, kind)(groups(theirs), **options),
    )


def _momenta(opt):
    return [g["betas"][0] if "betas" in g else g["momentum"] for g in opt.param_groups]


def _trace(opt, scheduler, steps):
    """Learning rates and momenta after each of ``steps`` steps (the first at construction)."""
    rows = [scheduler.get_last_lr() + _momenta(opt)]
    for _ in range(steps):
        opt.step()  # no gradients: changes nothing, but PyTorch wants it before the scheduler
        scheduler.step()
        rows.append(scheduler.get_last_lr() + _momenta(opt))
    return np.array(rows)


@pytest.mark.parametrize("kind", ["SGD", "Adam"])
@pytest.mark.parametrize("name, options", CASES, ids=[f"{n}-{o}" for n, o in CASES])
def test_twenty_steps_match_pytorch(name, options, kind):
    opt, ref = _optimizers(kind)
    ours = _trace(opt, getattr(lr_scheduler, name)(opt, **options), 20)
    theirs = _trace(ref, getattr(torch.optim.lr_scheduler, name)(ref, **options), 20)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-15)
    assert [g["lr"] for g in opt.param_groups] == list(ours[-1, :2])


@pytest.mark.parametrize("name, options", CASES, ids=[f"{n}-{o}" for n, o in CASES])
def test_state_dict_round_trip_continues_identically(name, options):
    opt, _ = _optimizers("SGD")
    scheduler = getattr(lr_scheduler, name)(opt, **options)
    whole = _trace(opt, scheduler, 20)

    opt, _ = _optimizers("SGD")
    scheduler = getattr(lr_scheduler, name)(opt, **options)
    _trace(opt, scheduler, 10)
    saved_opt, saved = opt.state_dict(), scheduler.state_dict()

    opt, _ = _optimizers("SGD")
    resumed = getattr(lr_scheduler, name)(opt, **options)
    opt.load_state_dict(saved_opt)
    resumed.load_state_dict(saved)
    np.testing.assert_array_equal(_trace(opt, resumed, 10), whole[10:])


def test_stacked_schedulers_chain_like_pytorch():
    opt, ref = _optimizers("SGD")
    ours = [lr_scheduler.LinearLR(opt, 0.25, total_iters=4), lr_scheduler.ExponentialLR(opt, 0.9)]
    theirs = [
        torch.optim.lr_scheduler.LinearLR(ref, 0.25, total_iters=4),
        torch.optim.lr_scheduler.ExponentialLR(ref, 0.9),
    ]
    for _ in range(10):
        opt.step()
        ref.step()
        for a, b in zip(ours, theirs):
            a.step()
            b.step()
        np.testing.assert_allclose(ours[-1].get_last_lr(), theirs[-1].get_last_lr(), rtol=1e-12)


PLATEAU_CASES = [
    dict(),
    dict(patience=2, factor=0.5),
    dict(mode="max", patience=1, threshold=0.05),
    dict(patience=1, threshold=0.05, threshold_mode="abs", cooldown=2),
    dict(mode="max", patience=0, threshold_mode="abs", min_lr=[0.05, 0.001], factor=0.3),
]


@pytest.mark.parametrize("options", PLATEAU_CASES, ids=[str(o) for o in PLATEAU_CASES])
def test_reduce_lr_on_plateau_matches_pytorch(options):
    metrics = [1.0, 0.9, 0.95, 0.92, 0.905, 0.91, 0.9, 0.7, 0.71, 0.72, 0.73, 0.74] * 3
    opt, ref = _optimizers("SGD")
    ours = lr_scheduler.ReduceLROnPlateau(opt, **options)
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(ref, **options)
    for k, metric in enumerate(metrics):
        ours.step(metric)
        theirs.step(metric)
        np.testing.assert_allclose(
            ours.get_last_lr(), theirs.get_last_lr(), rtol=1e-12, err_msg=f"step {k}"
        )
    assert ours.get_last_lr() != list(LRS) or options.get("mode") == "max"


def test_reduce_lr_on_plateau_state_dict():
    opt, _ = _optimizers("SGD")
    scheduler = lr_scheduler.ReduceLROnPlateau(opt, patience=1)
    for metric in [1.0, 1.0, 1.0]:
        scheduler.step(metric)
    state = scheduler.state_dict()
    assert state["num_bad_epochs"] == 0 and state["best"] == 1.0 and "optimizer" not in state
    other = lr_scheduler.ReduceLROnPlateau(_optimizers("SGD")[0], patience=1)
    other.load_state_dict(state)
    assert other.best == 1.0 and other.last_epoch == 3


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda o: lr_scheduler.StepLR(o, step_size=0), r"StepLR: step_size must be a positive"),
        (lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=0), r"CosineAnnealingLR: T_max must"),
        (lambda o: lr_scheduler.LinearLR(o, start_factor=0), r"LinearLR: start_factor must be"),
        (lambda o: lr_scheduler.OneCycleLR(o, 1.0), r"OneCycleLR: give total_steps, or epochs"),
        (lambda o: lr_scheduler.OneCycleLR(o, 1.0, total_steps=0), r"total_steps must be a"),
        (lambda o: lr_scheduler.OneCycleLR(o, [1.0], 10), r"expected 2 values of max_lr, got 1"),
        (lambda o: lr_scheduler.OneCycleLR(o, 1.0, 10, pct_start=1.5), r"pct_start must be in"),
        (lambda o: lr_scheduler.ReduceLROnPlateau(o, factor=1.0), r"factor must be < 1"),
        (lambda o: lr_scheduler.ReduceLROnPlateau(o, mode="up"), r"mode must be 'min' or 'max'"),
        (lambda o: lr_scheduler.ExponentialLR(o, 0.9, last_epoch=3), r"needs 'initial_lr'"),
    ],
)
def test_bad_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make(_optimizers("SGD")[0])


def test_one_cycle_errors_without_momentum_and_past_the_end():
    adagrad = optim.Adagrad([nn.Parameter(np.ones(2))])
    with pytest.raises(ValueError, match=r"cycle_momentum=True needs an optimizer with momentum"):
        lr_scheduler.OneCycleLR(adagrad, 1.0, total_steps=5)
    scheduler = lr_scheduler.OneCycleLR(adagrad, 1.0, total_steps=2, cycle_momentum=False)
    scheduler.step()
    scheduler.step()
    with pytest.raises(ValueError, match=r"stepped 3 times but total_steps is 2"):
        scheduler.step()
    with pytest.raises(TypeError, match=r"StepLR: expected an optimizer, got list"):
        lr_scheduler.StepLR([], 2)


@pytest.mark.parametrize(
    "name, options",
    [
        ("MultiStepLR", dict(milestones=[3, 12], gamma=0.5)),
        ("OneCycleLR", dict(max_lr=1.0, total_steps=25)),
    ],
)
def test_optimizer_and_scheduler_state_survive_a_checkpoint_file(tmp_path, name, options):
    from zennet.io import load_checkpoint, save_checkpoint

    p = nn.Parameter(np.ones(3))
    opt = optim.Adam([p], lr=0.1, amsgrad=True)
    scheduler = getattr(lr_scheduler, name)(opt, **options)
    for _ in range(10):
        p.grad = zn.tensor(np.array([0.3, -0.2, 0.1]))
        opt.step()
        scheduler.step()
    path = tmp_path / "resume.npz"
    save_checkpoint(
        path, {"w": p.data}, opt.state_dict(), 10, {}, None, extra=scheduler.state_dict()
    )
    saved = load_checkpoint(path)

    q = nn.Parameter(saved["model_state"]["w"].copy())
    resumed_opt = optim.Adam([q], lr=0.1, amsgrad=True)
    resumed = getattr(lr_scheduler, name)(resumed_opt, **options)
    resumed_opt.load_state_dict(saved["optimizer_state"])
    resumed.load_state_dict(saved["extra"])
    for _ in range(10):
        for param in (p, q):
            param.grad = zn.tensor(np.array([0.3, -0.2, 0.1]))
        opt.step(), resumed_opt.step()
        scheduler.step(), resumed.step()
        assert resumed.get_last_lr() == scheduler.get_last_lr()
        assert resumed_opt.param_groups[0]["betas"] == opt.param_groups[0]["betas"]
    np.testing.assert_array_equal(q.data, p.data)
