"""Training a language model on a token stream, and measuring it in bits per token.

Each step takes ``batch_size`` windows of ``block_size`` tokens from random places in the
training stream (nanoGPT's sampling), and minimises the mean cross-entropy of every
position's next token, with AdamW, a linear warm-up then a cosine decay of the learning
rate to a tenth, and the gradient norm clipped at 1 (``zennet.text.steps``).

Bits per token = mean cross-entropy / ln 2 over windows laid side by side on the held-out
stream (each window starts with no context, as ``xz`` compresses the same text from
scratch); for a character vocabulary that is bits per character.
"""

import math

import numpy as np

import zennet.functional as F
from zennet import optim
from zennet.grad_mode import no_grad
from zennet.text.batch import LanguageModelWindows
from zennet.text.steps import train_steps


def next_token_loss(model, x, y):
    """Mean cross-entropy of the next tokens: x, y (B, T) ids."""
    logits = model(x)  # (B, T, V)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))


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

    def batch_loss(step):
        return next_token_loss(model, *data.random_batch(batch_size, rng))

    def evaluate():
        return {"val_bits": bits_per_token(model, validation, block_size)}

    evaluate = evaluate if validation is not None else None
    return train_steps(model, optimizer, batch_loss, steps, lr, warmup, evaluate, eval_every, log)


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
