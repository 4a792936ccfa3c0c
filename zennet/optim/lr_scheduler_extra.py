"""More learning-rate schedules, as torch.optim.lr_scheduler computes them: LambdaLR,
MultiplicativeLR, ConstantLR, PolynomialLR, CosineAnnealingWarmRestarts, CyclicLR, and
the combinators SequentialLR and ChainedScheduler (import them from
``zennet.optim.lr_scheduler`` as PyTorch code does)."""

import math
from bisect import bisect_right

from zennet.optim.lr_scheduler import LRScheduler, ReduceLROnPlateau

__all__ = [
    "ChainedScheduler",
    "ConstantLR",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "LambdaLR",
    "MultiplicativeLR",
    "PolynomialLR",
    "SequentialLR",
]


def _per_group(name, optimizer, value):
    """One value per parameter group: a list as given (checked), or the value repeated."""
    groups = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != groups:
            raise ValueError(f"{name}: expected {groups} values, one per group, got {value}.")
        return list(value)
    return [value] * groups


class LambdaLR(LRScheduler):
    """lr = base_lr · λ(epoch), one function per group (or one for all)."""

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        self.lr_lambdas = _per_group("LambdaLR", optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [base * f(self.last_epoch) for f, base in zip(self.lr_lambdas, self.base_lrs)]

    def start_lrs(self):
        return [base * f(0) for f, base in zip(self.lr_lambdas, self.base_lrs)]

    def state_dict(self):
        """As PyTorch: the functions are left out (only callable objects' __dict__ kept)."""
        state = super().state_dict()
        state["lr_lambdas"] = [None] * len(self.lr_lambdas)
        return state

    def load_state_dict(self, state_dict):
        state = {k: v for k, v in state_dict.items() if k != "lr_lambdas"}
        super().load_state_dict(state)


class MultiplicativeLR(LambdaLR):
    """lr ← lr · λ(epoch) at every step after the first."""

    def get_lr(self):
        if self._is_initial:
            return self._current_lrs()
        lambdas = self.lr_lambdas
        return [lr * f(self.last_epoch) for f, lr in zip(lambdas, self._current_lrs())]


class ConstantLR(LRScheduler):
    """lr = base_lr · factor for the first ``total_iters`` steps, then base_lr."""

    def __init__(self, optimizer, factor=1.0 / 3, total_iters=5, last_epoch=-1):
        if not 0 <= factor <= 1:
            raise ValueError(f"ConstantLR: factor must be in [0, 1], got {factor}.")
        self.factor, self.total_iters = factor, total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        lrs = self._current_lrs()
        if self.last_epoch == 0:
            return [lr * self.factor for lr in lrs]
        if self.last_epoch != self.total_iters:
            return lrs
        return [lr / self.factor for lr in lrs]

    def start_lrs(self):
        return [base * self.factor for base in self.base_lrs]


class PolynomialLR(LRScheduler):
    """lr = base_lr · (1 − epoch/total_iters)^power, then 0 after total_iters."""

    def __init__(self, optimizer, total_iters=5, power=1.0, last_epoch=-1):
        self.total_iters, self.power = total_iters, power
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        t, T = self.last_epoch, self.total_iters
        if self._is_initial or t > T:
            return self._current_lrs()
        decay = ((1.0 - t / T) / (1.0 - (t - 1) / T)) ** self.power
        return [lr * decay for lr in self._current_lrs()]


class CosineAnnealingWarmRestarts(LRScheduler):
    """SGDR (Loshchilov & Hutter, 2017): lr = η_min + ½(base_lr − η_min)(1 + cos(π T_cur/T_i)),
    restarting at base_lr after T_i steps; each period is T_mult times the last."""

    def __init__(self, optimizer, T_0, T_mult=1, eta_min=0.0, last_epoch=-1):
        if not (isinstance(T_0, int) and T_0 > 0):
            raise ValueError(f"CosineAnnealingWarmRestarts: T_0 must be a positive int, got {T_0}.")
        if not (isinstance(T_mult, int) and T_mult >= 1):
            raise ValueError(
                f"CosineAnnealingWarmRestarts: T_mult must be an int >= 1, got {T_mult}."
            )
        self.T_0, self.T_i, self.T_mult, self.eta_min = T_0, T_0, T_mult, eta_min
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        low, phase = self.eta_min, math.pi * self.T_cur / self.T_i
        return [low + (base - low) * (1 + math.cos(phase)) / 2 for base in self.base_lrs]

    def step(self):
        if self.last_epoch >= 0:
            self.T_cur += 1
            if self.T_cur >= self.T_i:
                self.T_cur, self.T_i = self.T_cur % self.T_i, self.T_i * self.T_mult
        else:
            self.T_cur = 0
        super().step()


class CyclicLR(LRScheduler):
    """Cyclical learning rates (Smith, 2017): lr goes linearly from base_lr up to max_lr in
    step_size_up steps and back in step_size_down, the height scaled per cycle by
    ``mode`` (triangular: 1, triangular2: halved each cycle, exp_range: gamma^step) or
    ``scale_fn``; with ``cycle_momentum`` the momentum (or Adam's beta1) moves opposite."""

    def __init__(
        self,
        optimizer,
        base_lr,
        max_lr,
        step_size_up=2000,
        step_size_down=None,
        mode="triangular",
        gamma=1.0,
        scale_fn=None,
        scale_mode="cycle",
        cycle_momentum=True,
        base_momentum=0.8,
        max_momentum=0.9,
        last_epoch=-1,
    ):
        if mode not in ("triangular", "triangular2", "exp_range") and scale_fn is None:
            raise ValueError(
                f"CyclicLR: mode must be triangular, triangular2 or exp_range, got {mode!r}."
            )
        base_lrs = _per_group("CyclicLR", optimizer, base_lr)
        if last_epoch == -1:
            for lr, group in zip(base_lrs, optimizer.param_groups):
                group["lr"] = lr
        self.max_lrs = _per_group("CyclicLR", optimizer, max_lr)
        up = float(step_size_up)
        down = float(step_size_down) if step_size_down is not None else up
        self.total_size, self.step_ratio = up + down, up / (up + down)
        self.mode, self.gamma, self.scale_mode = mode, gamma, scale_mode
        self._custom_scale = scale_fn
        if scale_fn is None:
            self.scale_mode = "iterations" if mode == "exp_range" else "cycle"
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError(
                    "CyclicLR: cycle_momentum needs an optimizer with momentum or betas."
                )
            self.use_beta1 = "betas" in optimizer.defaults
            self.base_momentums = _per_group("CyclicLR", optimizer, base_momentum)
            self.max_momentums = _per_group("CyclicLR", optimizer, max_momentum)
            if last_epoch == -1:
                for m, group in zip(self.max_momentums, optimizer.param_groups):
                    self._set_momentum(group, m)
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def scale_fn(self, x):
        if self._custom_scale is not None:
            return self._custom_scale(x)
        if self.mode == "triangular2":
            return 1 / 2.0 ** (x - 1)
        return self.gamma**x if self.mode == "exp_range" else 1.0

    def _set_momentum(self, group, momentum):
        if self.use_beta1:
            group["betas"] = (momentum, *group["betas"][1:])
        else:
            group["momentum"] = momentum

    def get_lr(self):
        cycle = math.floor(1 + self.last_epoch / self.total_size)
        x = 1.0 + self.last_epoch / self.total_size - cycle
        rise = x / self.step_ratio if x <= self.step_ratio else (x - 1) / (self.step_ratio - 1)
        scale = self.scale_fn(cycle if self.scale_mode == "cycle" else self.last_epoch)
        if self.cycle_momentum:
            pairs = zip(self.base_momentums, self.max_momentums, self.optimizer.param_groups)
            for low, high, group in pairs:
                self._set_momentum(group, high - (high - low) * rise * scale)
        return [low + (high - low) * rise * scale for low, high in zip(self.base_lrs, self.max_lrs)]


def _check_schedulers(name, schedulers, optimizer):
    if not schedulers:
        raise ValueError(f"{name} expects at least one scheduler, got none.")
    for i, scheduler in enumerate(schedulers):
        if isinstance(scheduler, ReduceLROnPlateau):
            raise ValueError(f"{name}: ReduceLROnPlateau (scheduler {i}) needs a metric to step.")
        if scheduler.optimizer is not optimizer:
            raise ValueError(f"{name}: scheduler {i} belongs to another optimizer.")


class SequentialLR:
    """One schedule after another: schedulers[i] runs from milestones[i − 1] (its step 0)
    to milestones[i]. E.g. a LinearLR warm-up for 5 steps, then CosineAnnealingLR."""

    def __init__(self, optimizer, schedulers, milestones, last_epoch=-1):
        _check_schedulers("SequentialLR", schedulers, optimizer)
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(
                f"SequentialLR: expected {len(schedulers) - 1} milestones for "
                f"{len(schedulers)} schedulers, got {len(milestones)}."
            )
        self.optimizer, self._schedulers, self._milestones = optimizer, schedulers, milestones
        self.last_epoch = last_epoch + 1
        for group in optimizer.param_groups:  # undo what building the schedulers did
            group["lr"] = group["initial_lr"]
        for scheduler in schedulers:
            scheduler.last_epoch -= 1
        first = schedulers[0]
        first._is_initial = True
        first.step()
        first._is_initial = False
        self._last_lr = first.get_last_lr()

    def step(self):
        self.last_epoch += 1
        index = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[index]
        if index > 0 and self._milestones[index - 1] == self.last_epoch:  # restart it
            scheduler.last_epoch = 0
            for group, lr in zip(self.optimizer.param_groups, scheduler.start_lrs()):
                group["lr"] = lr
            scheduler._last_lr = scheduler._current_lrs()
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    def get_last_lr(self):
        return self._last_lr


class ChainedScheduler:
    """Several schedules at once: each ``step()`` steps every one, in order, so their
    (chainable) factors multiply."""

    def __init__(self, schedulers, optimizer=None):
        optimizer = optimizer or schedulers[0].optimizer
        _check_schedulers("ChainedScheduler", schedulers, optimizer)
        self.optimizer, self._schedulers = optimizer, list(schedulers)
        self._last_lr = [group["lr"] for group in optimizer.param_groups]

    def step(self):
        for scheduler in self._schedulers:
            scheduler.step()
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self):
        return self._last_lr
