"""Learning-rate schedules: change each parameter group's ``lr`` as training goes on.

Call ``scheduler.step()`` once per epoch (or per batch for OneCycleLR), after
``optimizer.step()``; ``ReduceLROnPlateau.step(metric)`` takes the validation metric.
The formulas, and their recursive "chainable" form (each step scales the current lr, so
schedulers can be stacked), are PyTorch's; learning rates agree to rounding.
Not supported: PyTorch's deprecated ``step(epoch)``.
"""

import math
from collections import Counter

from zennet.optim.optimizer import Optimizer


def _check_optimizer(name, optimizer):
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{name}: expected an optimizer, got {type(optimizer).__name__}.")


class LRScheduler:
    """Base class: sets ``group["lr"]`` from ``get_lr()`` at every ``step()``.

    ``last_epoch`` counts the steps taken (-1 before the first, which the constructor
    takes, so the optimizer starts at the schedule's first value). ``base_lrs`` are the
    groups' learning rates when the schedule started (``group["initial_lr"]``).
    """

    def __init__(self, optimizer, last_epoch=-1):
        _check_optimizer(type(self).__name__, optimizer)
        self.optimizer = optimizer
        for i, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise ValueError(
                    f"{type(self).__name__}: resuming with last_epoch={last_epoch} needs "
                    f"'initial_lr' in param_groups[{i}]; load the optimizer's state dict first."
                )
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._step_count = 0
        self._is_initial = True
        self.step()
        self._is_initial = False

    def get_lr(self):
        """The learning rate of each group for step ``last_epoch``."""
        raise NotImplementedError

    def _current_lrs(self):
        return [group["lr"] for group in self.optimizer.param_groups]

    def step(self):
        """Advance the schedule by one step and set every group's lr."""
        self._step_count += 1
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = self._current_lrs()

    def start_lrs(self):
        """The learning rates at step 0 (SequentialLR restarts a schedule there)."""
        return list(self.base_lrs)

    def get_last_lr(self):
        """The learning rates set by the last ``step()``, one per group."""
        return self._last_lr

    def state_dict(self):
        """Every attribute but the optimizer (plain numbers and lists), as PyTorch."""
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict):
        self.__dict__.update(state_dict)


class StepLR(LRScheduler):
    """lr = base_lr · gamma^⌊epoch / step_size⌋: decay by ``gamma`` every ``step_size`` steps."""

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        if not (isinstance(step_size, int) and step_size >= 1):
            raise ValueError(f"StepLR: step_size must be a positive int, got {step_size!r}.")
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]


class MultiStepLR(LRScheduler):
    """lr = base_lr · gamma^(number of milestones reached): decay at each milestone step."""

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        self.milestones, self.gamma = Counter(milestones), gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch not in self.milestones:
            return self._current_lrs()
        factor = self.gamma ** self.milestones[self.last_epoch]
        return [lr * factor for lr in self._current_lrs()]


class ExponentialLR(LRScheduler):
    """lr = base_lr · gamma^epoch."""

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self._is_initial:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]


class CosineAnnealingLR(LRScheduler):
    """lr = η_min + ½ (base_lr - η_min)(1 + cos(π · epoch / T_max)): half a cosine from
    base_lr down to ``eta_min`` over ``T_max`` steps (and back up after, periodically)."""

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        if not T_max >= 1:
            raise ValueError(f"CosineAnnealingLR: T_max must be >= 1, got {T_max!r}.")
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        t, T, low = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return self._current_lrs()
        if self._step_count == 1 and t > 0:  # resumed: the closed form
            return [
                low + (base - low) * (1 + math.cos(t * math.pi / T)) / 2 for base in self.base_lrs
            ]
        if (t - 1 - T) % (2 * T) == 0:  # the bottom of the cosine: the ratio below is 0/0
            return [
                lr + (base - low) * (1 - math.cos(math.pi / T)) / 2
                for lr, base in zip(self._current_lrs(), self.base_lrs)
            ]
        ratio = (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T))
        return [ratio * (lr - low) + low for lr in self._current_lrs()]


class LinearLR(LRScheduler):
    """Warm-up: lr = base_lr · f, f going linearly from ``start_factor`` to ``end_factor``
    over ``total_iters`` steps, then staying at end_factor."""

    def __init__(
        self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5, last_epoch=-1
    ):
        if not 0 < start_factor <= 1:
            raise ValueError(f"LinearLR: start_factor must be in (0, 1], got {start_factor}.")
        if not 0 <= end_factor <= 1:
            raise ValueError(f"LinearLR: end_factor must be in [0, 1], got {end_factor}.")
        self.start_factor, self.end_factor, self.total_iters = start_factor, end_factor, total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        start, end, t = self.start_factor, self.end_factor, self.last_epoch
        if t == 0:
            return [lr * start for lr in self._current_lrs()]
        if self._is_initial or t > self.total_iters:
            return self._current_lrs()
        factor = 1.0 + (end - start) / (self.total_iters * start + (t - 1) * (end - start))
        return [lr * factor for lr in self._current_lrs()]

    def start_lrs(self):
        """The learning rates at step 0 (SequentialLR restarts a schedule there)."""
        return [base * self.start_factor for base in self.base_lrs]


def _per_group(name, option, optimizer, value):
    """One value per parameter group: a list of that length, or one value for all."""
    groups = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != groups:
            raise ValueError(f"{name}: expected {groups} values of {option}, got {len(value)}.")
        return list(value)
    return [value] * groups


def _anneal(strategy, start, end, pct):
    """From ``start`` (pct 0) to ``end`` (pct 1): half a cosine, or a straight line."""
    if strategy == "cos":
        return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
    return (end - start) * pct + start


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith & Topin, 2018), stepped once per batch.

    lr rises from max_lr / div_factor to ``max_lr`` over the first ``pct_start`` of
    ``total_steps``, then anneals to max_lr / (div_factor · final_div_factor)
    (``three_phase``: back to the start first, then down). With ``cycle_momentum`` the
    momentum (SGD, RMSprop) or beta1 (Adam) moves the opposite way, between
    ``max_momentum`` and ``base_momentum``, as in PyTorch.
    """

    def __init__(
        self,
        optimizer,
        max_lr,
        total_steps=None,
        epochs=None,
        steps_per_epoch=None,
        pct_start=0.3,
        anneal_strategy="cos",
        cycle_momentum=True,
        base_momentum=0.85,
        max_momentum=0.95,
        div_factor=25.0,
        final_div_factor=1e4,
        three_phase=False,
        last_epoch=-1,
    ):
        name = "OneCycleLR"
        _check_optimizer(name, optimizer)
        self.total_steps = self._total_steps(total_steps, epochs, steps_per_epoch)
        if not 0 <= pct_start <= 1:
            raise ValueError(f"{name}: pct_start must be in [0, 1], got {pct_start}.")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(
                f"{name}: anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}."
            )
        self.anneal_strategy = anneal_strategy
        up = float(pct_start * self.total_steps) - 1
        last = self.total_steps - 1
        # (end step, start lr, end lr, start momentum, end momentum) of each phase
        if three_phase:
            self._phases = [
                (up, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                (2 * up, "max_lr", "initial_lr", "base_momentum", "max_momentum"),
                (last, "initial_lr", "min_lr", "max_momentum", "max_momentum"),
            ]
        else:
            self._phases = [
                (up, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                (last, "max_lr", "min_lr", "base_momentum", "max_momentum"),
            ]
        groups = optimizer.param_groups
        if last_epoch == -1:
            for group, top in zip(groups, _per_group(name, "max_lr", optimizer, max_lr)):
                group["initial_lr"] = top / div_factor
                group["max_lr"] = top
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError(
                    f"{name}: cycle_momentum=True needs an optimizer with momentum or betas "
                    f"(SGD, RMSprop, Adam); {type(optimizer).__name__} has neither. Pass "
                    f"cycle_momentum=False."
                )
            self.use_beta1 = "betas" in optimizer.defaults
            highs = _per_group(name, "max_momentum", optimizer, max_momentum)
            lows = _per_group(name, "base_momentum", optimizer, base_momentum)
            if last_epoch == -1:
                for group, high, low in zip(groups, highs, lows):
                    self._set_momentum(group, high)
                    group["max_momentum"], group["base_momentum"] = high, low
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _total_steps(total_steps, epochs, steps_per_epoch):
        if total_steps is not None:
            if not (isinstance(total_steps, int) and total_steps > 0):
                raise ValueError(
                    f"OneCycleLR: total_steps must be a positive int, got {total_steps!r}."
                )
            return total_steps
        if epochs is None or steps_per_epoch is None:
            raise ValueError("OneCycleLR: give total_steps, or epochs and steps_per_epoch.")
        for option, value in (("epochs", epochs), ("steps_per_epoch", steps_per_epoch)):
            if not (isinstance(value, int) and value > 0):
                raise ValueError(f"OneCycleLR: {option} must be a positive int, got {value!r}.")
        return epochs * steps_per_epoch

    def _set_momentum(self, group, momentum):
        if self.use_beta1:
            group["betas"] = (momentum, *group["betas"][1:])
        else:
            group["momentum"] = momentum

    def get_lr(self):
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(
                f"OneCycleLR: stepped {step} times but total_steps is {self.total_steps}; "
                f"make total_steps (or epochs · steps_per_epoch) match the training loop."
            )
        (_, lr_from, lr_to, m_from, m_to), pct = self._phase(step)
        lrs = []
        for group in self.optimizer.param_groups:
            lrs.append(_anneal(self.anneal_strategy, group[lr_from], group[lr_to], pct))
            if self.cycle_momentum:
                momentum = _anneal(self.anneal_strategy, group[m_from], group[m_to], pct)
                self._set_momentum(group, momentum)
        return lrs

    def _phase(self, step):
        """The phase that ``step`` falls in, and how far into it (0 to 1)."""
        start = 0.0
        for i, phase in enumerate(self._phases):
            end = phase[0]
            if step <= end or i == len(self._phases) - 1:
                return phase, (step - start) / (end - start)
            start = end


class ReduceLROnPlateau(LRScheduler):
    """Multiply lr by ``factor`` when a metric has not improved for ``patience`` steps.

    ``step(metric)`` once per epoch with the validation loss (mode "min") or accuracy
    ("max"). Improvement means beating the best value by more than ``threshold``
    (relative: best · (1 ∓ threshold); absolute: best ∓ threshold). After a reduction,
    ``cooldown`` steps pass before bad steps count again; lr never goes below ``min_lr``
    (one value, or one per group), and changes smaller than ``eps`` are skipped.
    """

    def __init__(
        self,
        optimizer,
        mode="min",
        factor=0.1,
        patience=10,
        threshold=1e-4,
        threshold_mode="rel",
        cooldown=0,
        min_lr=0,
        eps=1e-8,
    ):
        name = "ReduceLROnPlateau"
        _check_optimizer(name, optimizer)
        if not factor < 1.0:
            raise ValueError(f"{name}: factor must be < 1, got {factor}.")
        if mode not in ("min", "max"):
            raise ValueError(f"{name}: mode must be 'min' or 'max', got {mode!r}.")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(
                f"{name}: threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}."
            )
        self.optimizer = optimizer
        self.min_lrs = _per_group(name, "min_lr", optimizer, min_lr)
        self.mode, self.factor, self.patience = mode, factor, patience
        self.threshold, self.threshold_mode = threshold, threshold_mode
        self.cooldown, self.eps = cooldown, eps
        self.last_epoch = 0
        self._last_lr = self._current_lrs()
        self.best = math.inf if mode == "min" else -math.inf
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    def _is_better(self, value):
        if self.threshold_mode == "rel":
            scale = 1.0 - self.threshold if self.mode == "min" else 1.0 + self.threshold
            bound = self.best * scale
        else:
            bound = self.best - self.threshold if self.mode == "min" else self.best + self.threshold
        return value < bound if self.mode == "min" else value > bound

    def step(self, metrics):
        """Record this step's metric; reduce the learning rates after too many bad steps."""
        current = float(metrics)
        self.last_epoch += 1
        if self._is_better(current):
            self.best, self.num_bad_epochs = current, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad steps during the cooldown do not count
        if self.num_bad_epochs > self.patience:
            for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs):
                new_lr = max(group["lr"] * self.factor, min_lr)
                if group["lr"] - new_lr > self.eps:
                    group["lr"] = new_lr
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        self._last_lr = self._current_lrs()
