"""The training loop the text trainers share: a fixed number of steps, each with its own
batch, a warm-up-then-cosine learning rate, the gradient norm clipped at 1, and a row of
the history (the mean loss since the last row, and any evaluation) every few steps."""

import math
import time

from zennet import nn


def learning_rate(step, steps, lr, warmup):
    """Linear warm-up over ``warmup`` steps, then cosine from ``lr`` down to ``lr / 10``."""
    if step < warmup:
        return lr * (step + 1) / warmup
    progress = (step - warmup) / max(1, steps - warmup)
    return lr / 10 + (lr - lr / 10) * 0.5 * (1 + math.cos(math.pi * progress))


def train_steps(
    model, optimizer, batch_loss, steps, lr, warmup=100, evaluate=None, eval_every=200, log=print
):
    """Run ``steps`` steps of ``batch_loss(step)`` (the loss of that step's batch, a scalar
    Tensor) with ``optimizer``; every ``eval_every`` steps (and at the end) add a row
    {step, loss, **evaluate(), seconds} to the history, log it, and stop with a
    FloatingPointError if the loss is NaN or infinite. Returns the history."""
    history, total, start = [], 0.0, time.perf_counter()
    for step in range(steps):
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step, steps, lr, warmup)
        model.train()
        loss = batch_loss(step)
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        total += loss.item()
        if (step + 1) % eval_every == 0 or step + 1 == steps:
            row = {"step": step + 1, "loss": total / (step % eval_every + 1)}
            if not math.isfinite(row["loss"]):
                raise FloatingPointError(f"the training loss is {row['loss']} at step {step + 1}.")
            row.update(evaluate() if evaluate is not None else {})
            row["seconds"] = time.perf_counter() - start
            history.append(row)
            log(
                " ".join(
                    f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()
                )
            )
            total = 0.0
    return history
