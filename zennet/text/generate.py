"""Sampling text from a language model, one token at a time.

    p(next) = softmax(logits / temperature), restricted to the ``top_k`` most likely tokens
    and to the smallest set whose probabilities sum to ``top_p`` (nucleus sampling),
    renormalised; temperature 0 takes the most likely token (greedy).

With ``use_cache`` the model's ``step`` carries its state (the GPT's key/value cache, the
LSTM's h and c) from token to token; without it every token runs the whole context again.
Both give the same tokens (``tests/text/test_language_models.py``). A GPT's context is its
``block_size``: beyond it, the last ``block_size`` tokens are run afresh.
"""

import numpy as np

from zennet.grad_mode import no_grad


def next_token_distribution(logits, temperature=1.0, top_k=None, top_p=None):
    """Probabilities (V,) from logits (V,) after temperature, top-k and top-p."""
    logits = np.asarray(logits, dtype=np.float64)
    if temperature == 0:
        p = np.zeros_like(logits)
        p[np.argmax(logits)] = 1.0
        return p
    z = logits / temperature
    if top_k is not None and top_k < len(z):
        z = np.where(z < np.sort(z)[-top_k], -np.inf, z)
    p = np.exp(z - z.max())
    p /= p.sum()
    if top_p is not None and top_p < 1.0:
        order = np.argsort(-p, kind="stable")
        before = np.cumsum(p[order]) - p[order]  # mass of the more likely tokens
        p[order[before >= top_p]] = 0.0  # the first token always stays
        p /= p.sum()
    return p


def check_sampling(temperature, top_k, top_p, length):
    if not temperature >= 0:
        raise ValueError(f"generate: --temperature must be >= 0, got {temperature}.")
    if top_k is not None and top_k < 1:
        raise ValueError(f"generate: --top-k must be >= 1, got {top_k}.")
    if top_p is not None and not 0 < top_p <= 1:
        raise ValueError(f"generate: --top-p must be in (0, 1], got {top_p}.")
    if length < 0:
        raise ValueError(f"generate: --length must be >= 0, got {length}.")


def generate(
    model,
    prompt,
    length,
    temperature=1.0,
    top_k=None,
    top_p=None,
    seed=None,
    use_cache=True,
    banned=(),
):
    """The ``length`` token ids sampled after the ids ``prompt`` (a non-empty list); the ids
    in ``banned`` (special tokens such as ``<pad>``) are never sampled."""
    check_sampling(temperature, top_k, top_p, length)
    if len(prompt) == 0:
        raise ValueError("generate: the prompt must hold at least one token.")
    rng = np.random.default_rng(seed)
    limit = getattr(model, "block_size", None) or float("inf")
    tokens, out, state = list(prompt), [], None
    model.eval()
    with no_grad():
        for _ in range(length):
            if state is None or not use_cache:
                context = tokens[-limit:] if limit < float("inf") else tokens
                logits, state = model.step(np.array([context]), None)
            else:
                logits, state = model.step(np.array([tokens[-1:]]), state)
            last = logits.numpy()[0, -1]  # (V,)
            last[list(banned)] = -np.inf
            p = next_token_distribution(last, temperature, top_k, top_p)
            token = int(rng.choice(len(p), p=p))
            tokens.append(token)
            out.append(token)
            if len(tokens) > limit:
                state = None  # the cache is full: run the last block_size tokens afresh
    return out
