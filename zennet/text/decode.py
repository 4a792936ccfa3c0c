"""Decoding a sequence from a model that gives next-token log-probabilities: greedy, or
beam search.

Beam search keeps the ``beam_width`` likeliest partial sequences (by the sum of their
log-probabilities); at each step every beam is extended by every token, and the best
``beam_width`` extensions that do not end survive; an extension that ends with ``eos`` and
is among the best ``beam_width`` is a finished sequence. Since
log-probabilities are <= 0, a partial sequence only loses score as it grows, so the search
stops once no live beam scores above the best finished one: the result is then the
likeliest sequence among all the beams could reach. Width 1 is greedy decoding.

A translator plugs in with three methods: ``start(src, lengths) -> state`` (the encoder's
work for a batch of sources), ``step(tokens, state, parents=None) -> (log_probs, state)``
(the next token's log-probabilities (K, V) after ``tokens`` (K,), beam k continuing row
``parents[k]`` of the state) and ``attention(src, lengths, tgt_in)`` (where the decoder
looked, (N, T, S)).
"""

import numpy as np

from zennet.grad_mode import no_grad


def beam_search(step, bos, eos, beam_width=4, max_len=50):
    """(tokens, log-probability) of the best sequence after ``bos`` (``eos`` and ``bos``
    left out of the tokens).

    ``step(tokens, parents) -> log_probs``: the model takes one token for each of K beams
    (``tokens`` (K,) ints), beam k continuing the previous step's beam ``parents[k]`` (the
    caller reorders its state -- a hidden state, a key/value cache -- by ``parents``), and
    returns log-probabilities (K, V) of the next token. The first call has K = 1 and
    ``parents == [0]``.
    """
    if beam_width < 1 or max_len < 1:
        raise ValueError(
            f"beam_search: beam_width and max_len must be >= 1, got {beam_width} and {max_len}."
        )
    sequences, scores = [[]], np.zeros(1)
    tokens, parents = np.array([bos]), np.array([0])
    finished = []  # (score, tokens)
    for _ in range(max_len):
        log_probs = np.asarray(step(tokens, parents), dtype=np.float64)  # (K, V)
        total = scores[:, None] + log_probs  # (K, V)
        best = np.argsort(-total, axis=None, kind="stable")[: 2 * beam_width]
        alive = []
        for rank, flat in enumerate(best):
            k, token = divmod(int(flat), total.shape[1])
            if token == eos:  # finished if among the best beam_width (as fairseq)
                if rank < beam_width:
                    finished.append((float(total[k, token]), sequences[k]))
            elif len(alive) < beam_width:
                alive.append((k, token))
        top = max((s for s, _ in finished), default=-np.inf)
        alive = [(k, t) for k, t in alive if total[k, t] > top]
        if not alive:
            break
        parents = np.array([k for k, _ in alive])
        tokens = np.array([t for _, t in alive])
        scores = np.array([total[k, t] for k, t in alive])
        sequences = [sequences[k] + [t] for k, t in alive]
    else:  # max_len reached: unfinished beams compete too
        finished += [(float(s), seq) for s, seq in zip(scores, sequences)]
    score, seq = max(finished, key=lambda item: item[0])
    return seq, score


def greedy_search(step, bos, eos, max_len=50):
    """(tokens, log-probability) taking the likeliest token at each step."""
    return beam_search(step, bos, eos, 1, max_len)


def rows_of(memory, rows):
    """The encoder memory (a dict of arrays or Tensors, batch first) of the beams ``rows``."""
    return {k: v[rows] for k, v in memory.items()}


def translate_ids(model, src, bos, eos, beam_width=1, max_len=60, return_attention=False):
    """The target ids for one source (a list of ids) -- greedy when ``beam_width`` is 1 --
    and, with ``return_attention``, the attention weights (target + 1, source): row t is
    where the decoder looked to write token t (the last row, for ``eos``)."""
    model.eval()
    with no_grad():
        src_batch, lengths = np.array([src]), np.array([len(src)])
        state = model.start(src_batch, lengths)

        def step(tokens, parents):
            nonlocal state
            log_probs, state = model.step(tokens, state, parents)
            return log_probs

        tokens, _ = beam_search(step, bos, eos, beam_width, max_len)
        if not return_attention:
            return tokens
        weights = model.attention(src_batch, lengths, np.array([[bos, *tokens]]))  # (1, T, S)
    return tokens, weights[0]


def greedy_batch(model, src, lengths, bos, eos, max_len=60):
    """Greedy decoding of a batch of sources at once: a list of target-id lists."""
    model.eval()
    with no_grad():
        state = model.start(src, lengths)
        tokens = np.full(len(src), bos)
        out = np.zeros((len(src), 0), dtype=np.int64)
        for _ in range(max_len):
            log_probs, state = model.step(tokens, state)
            tokens = log_probs.argmax(axis=-1)  # (N,)
            out = np.concatenate([out, tokens[:, None]], axis=1)
            if (out == eos).any(axis=1).all():
                break
    return [list(row[: list(row).index(eos)]) if eos in row else list(row) for row in out]
