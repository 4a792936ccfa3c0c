"""Decoding a sequence from a model that gives next-token log-probabilities: greedy, or
beam search.

Beam search keeps the ``beam_width`` likeliest partial sequences (by the sum of their
log-probabilities); at each step every beam is extended by every token, and the best
``beam_width`` extensions that do not end survive; an extension that ends with ``eos`` and
is among the best ``beam_width`` is a finished sequence. Since
log-probabilities are <= 0, a partial sequence only loses score as it grows, so the search
stops once no live beam scores above the best finished one: the result is then the
likeliest sequence among all the beams could reach. Width 1 is greedy decoding.
"""

import numpy as np


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
