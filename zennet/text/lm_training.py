"""Training a language model on a token stream, and measuring it in bits per token.

Each step takes ``batch_size`` windows of ``block_size`` tokens from random places in the
training stream (nanoGPT's sampling), and minimises the mean cross-entropy of every
position's next token, with AdamW, a linear warm-up then a cosine decay of the learning
rate to a tenth, and the gradient norm clipped at 1.

Bits per token = mean cross-entropy / ln 2 over windows laid side by side on the held-out
stream (each window starts with no context, as ``xz`` compresses the same text from
scratch); for a character vocabulary that is bits per character.
"""

import math
import time

import numpy as np

import zennet.functional as F
from zennet import nn, optim
from zennet.grad_mode import no_grad
from zennet.text.batch import LanguageModelWindows


def next_token_loss(model, x, y):
    """Mean cross-entropy of the next tokens: x, y (B, T) ids."""
    logits = model(x)  # (B, T, V)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))


def learning_rate(step, steps, lr, warmup):
    """Linear warm-up over ``warmup`` steps, then cosine from ``lr`` down to ``lr / 10``."""
    if step < warmup:
        return lr * (step + 1) / warmup
    progress = (step - warmup) / max(1, steps - warmup)
    return lr / 10 + (lr - lr / 10) * 0.5 * (1 + math.cos(math.pi * progress))


def train_language_model(
    model,
    train_ids,
    block_size,
    steps,
    batch_size=32,
    lr=1e-3,
    seed=0,
    validation=None,
    eval_every=200,
    log=print,
    warmup=100,
):
    """Train ``model`` for ``steps`` steps; log the mean training loss (and, with
    ``validation`` ids, its bits per token) every ``eval_every`` steps. Returns the
    history: a list of dicts (step, loss, val_bits, seconds)."""
    rng = np.random.default_rng(seed)
    data = LanguageModelWindows(train_ids, block_size)
    decay = [p for p in model.parameters() if p.ndim >= 2]
    rest = [p for p in model.parameters() if p.ndim < 2]
    optimizer = optim.AdamW(
        [{"params": decay, "weight_decay": 0.1}, {"params": rest, "weight_decay": 0.0}], lr=lr
    )
    history, total, start = [], 0.0, time.perf_counter()
    for step in range(steps):
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step, steps, lr, warmup)
        model.train()
        x, y = data.random_batch(batch_size, rng)
        loss = next_token_loss(model, x, y)
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        total += loss.item()
        if (step + 1) % eval_every == 0 or step + 1 == steps:
            row = {"step": step + 1, "loss": total / (step % eval_every + 1)}
            if validation is not None:
                row["val_bits"] = bits_per_token(model, validation, block_size)
            row["seconds"] = time.perf_counter() - start
            history.append(row)
            log(
                " ".join(
                    f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()
                )
            )
            total = 0.0
            if not math.isfinite(row["loss"]):
                raise FloatingPointError(f"the training loss is {row['loss']} at step {step + 1}.")
    return history


def bits_per_token(model, ids, block_size, batch_size=32):
    """Mean -log2 p(next token) over the stream ``ids`` cut into windows side by side (the
    last, shorter window included): every token after the first is predicted once."""
    ids = np.asarray(ids, dtype=np.int64)
    starts = list(range(0, len(ids) - 1, block_size))
    nats, count = 0.0, 0
    model.eval()
    with no_grad():
        for i in range(0, len(starts), batch_size):
            for s in _same_length_groups(starts[i : i + batch_size], block_size, len(ids)):
                n = min(block_size, len(ids) - 1 - s[0])
                rows = np.asarray(s)[:, None] + np.arange(n + 1)
                x, y = ids[rows[:, :-1]], ids[rows[:, 1:]]
                loss = next_token_loss(model, x, y).item()
                nats += loss * y.size
                count += y.size
    return nats / count / math.log(2)


def _same_length_groups(starts, block_size, total):
    """The full windows together, the last (shorter) one alone."""
    full = [s for s in starts if s + block_size + 1 <= total]
    last = [s for s in starts if s + block_size + 1 > total]
    return [g for g in (full, last) if g]
