"""The transformer translator's decoding step with its cache (each decoder layer keeps the
normalised inputs of the positions written) against rerunning the decoder over the whole
prefix at every step: CPU time, the two alternating, 5 rounds; greedy decoding of 256
sources of 12 tokens for 20 steps, the preset's size (width 128, 3 + 3 layers), random
weights, vocabularies of 500.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python -m benchmarks.transformer_decoding
"""

import time

import numpy as np

import zennet.functional as F
from zennet.grad_mode import no_grad
from zennet.text.transformer_seq2seq import Seq2SeqTransformer

N, S, STEPS, BOS, ROUNDS = 256, 12, 20, 2, 5


def cached(model, src, lengths):
    state, tokens = model.start(src, lengths), np.full(N, BOS)
    for _ in range(STEPS):
        log_probs, state = model.step(tokens, state)
        tokens = log_probs.argmax(axis=-1)
    return tokens


def recomputed(model, src, lengths):
    memory, prefix = model.encode(src, lengths), np.full((N, 1), BOS)
    for _ in range(STEPS):
        logits = model.decode(prefix, memory)[:, -1]  # the whole prefix, every step
        tokens = F.log_softmax(logits, dim=-1).numpy().argmax(axis=-1)
        prefix = np.concatenate([prefix, tokens[:, None]], axis=1)
    return prefix[:, -1]


def main():
    model = Seq2SeqTransformer(500, 500).eval()
    rng = np.random.default_rng(0)
    src, lengths = rng.integers(4, 500, (N, S)), np.full(N, S)
    times = {cached: [], recomputed: []}
    with no_grad():
        assert (cached(model, src, lengths) == recomputed(model, src, lengths)).all()
        for _ in range(ROUNDS):
            for fn, seconds in times.items():
                start = time.process_time()
                fn(model, src, lengths)
                seconds.append(time.process_time() - start)
    for fn, seconds in times.items():
        print(f"{fn.__name__}: best {min(seconds):.2f} s, median {np.median(seconds):.2f} s CPU")


if __name__ == "__main__":
    main()
