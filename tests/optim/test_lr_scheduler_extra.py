"""LambdaLR, MultiplicativeLR, ConstantLR, PolynomialLR, CosineAnnealingWarmRestarts,
CyclicLR, SequentialLR and ChainedScheduler against torch.optim.lr_scheduler: the same
learning rates (and CyclicLR's momenta) for 30 steps with SGD and Adam."""

import numpy as np
import pytest
import torch

from tests.optim.test_lr_scheduler import _optimizers, _trace
from zennet.optim import lr_scheduler

CASES = [
    ("LambdaLR", dict(lr_lambda=lambda e: 0.95**e)),
    ("LambdaLR", dict(lr_lambda=[lambda e: 1 / (e + 1), lambda e: 0.5])),
    ("MultiplicativeLR", dict(lr_lambda=lambda e: 0.9)),
    ("ConstantLR", dict()),
    ("ConstantLR", dict(factor=0.5, total_iters=7)),
    ("PolynomialLR", dict()),
    ("PolynomialLR", dict(total_iters=12, power=2.0)),
    ("CosineAnnealingWarmRestarts", dict(T_0=5)),
    ("CosineAnnealingWarmRestarts", dict(T_0=3, T_mult=2, eta_min=0.001)),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, step_size_up=4)),
    (
        "CyclicLR",
        dict(
            base_lr=[0.01, 0.001], max_lr=0.1, step_size_up=3, step_size_down=5, mode="triangular2"
        ),
    ),
    (
        "CyclicLR",
        dict(
            base_lr=0.01,
            max_lr=0.1,
            step_size_up=4,
            mode="exp_range",
            gamma=0.95,
            cycle_momentum=False,
        ),
    ),
]


def _build(lib, name, opt, options):
    return getattr(lib.optim.lr_scheduler if lib is torch else lr_scheduler, name)(opt, **options)


@pytest.mark.parametrize("kind", ["SGD", "Adam"])
@pytest.mark.parametrize("name, options", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_thirty_steps_match_pytorch(name, options, kind):
    if name == "CyclicLR" and kind == "Adam" and options.get("cycle_momentum", True) is False:
        pytest.skip("covered with SGD")
    opt, ref = _optimizers(kind)
    ours = _trace(opt, _build(None, name, opt, options), 30)
    theirs = _trace(ref, _build(torch, name, ref, options), 30)
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-15)


def _sequence(lib, opt):
    module = torch.optim.lr_scheduler if lib is torch else lr_scheduler
    warmup = module.LinearLR(opt, start_factor=0.1, total_iters=4)
    decay = module.CosineAnnealingLR(opt, T_max=10)
    step = module.StepLR(opt, step_size=2, gamma=0.5)
    return module.SequentialLR(opt, [warmup, decay, step], milestones=[5, 12])


def _chain(lib, opt):
    module = torch.optim.lr_scheduler if lib is torch else lr_scheduler
    schedulers = [module.ConstantLR(opt, 0.5, total_iters=3), module.ExponentialLR(opt, 0.9)]
    return module.ChainedScheduler(schedulers)


@pytest.mark.parametrize("combine", [_sequence, _chain])
@pytest.mark.parametrize("kind", ["SGD", "Adam"])
def test_combinators_match_pytorch(combine, kind):
    opt, ref = _optimizers(kind)
    ours = _trace(opt, combine(None, opt), 20)
    theirs = _trace(ref, combine(torch, ref), 20)
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-15)


def test_bad_arguments_are_named():
    opt, _ = _optimizers("SGD")
    with pytest.raises(ValueError, match="CosineAnnealingWarmRestarts: T_0 must be a positive"):
        lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=0)
    with pytest.raises(ValueError, match="SequentialLR: expected 1 milestones for 2"):
        lr_scheduler.SequentialLR(
            opt, [lr_scheduler.ConstantLR(opt), lr_scheduler.ConstantLR(opt)], milestones=[]
        )
    with pytest.raises(ValueError, match="LambdaLR: expected 2 values"):
        lr_scheduler.LambdaLR(opt, [lambda e: 1.0])
