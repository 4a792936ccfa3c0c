"""One zennet text classifier on ``--data debian-packages``, trained as ``zennet train``
trains it (zennet.jobs.textcls's vocabulary of the training texts, MAX_LEN), from a
setting written as JSON: the preset and its arguments, the training's, the seed.

    '{"model": "text-fasttext", "pooling": "attention", "seed": 1, "label_smoothing": 0.1}'
    'text-fasttext:1'                  # the short form: MODEL:SEED, the README's settings

Keys: "model" (default text-fasttext), "seed" (0), "steps", "lr" (the README's settings
of the model by default), "batch_size" (64), "label_smoothing", "balanced",
"average_last" (``train_classifier``'s), "min_freq" (the vocabulary's, MIN_FREQ by default);
every other key goes to the preset.
"""

import json
import time

import numpy as np

from zennet.jobs.textcls import MAX_LEN, MIN_FREQ
from zennet.models import build_model
from zennet.random import manual_seed
from zennet.text.classify import encode_texts, train_classifier
from zennet.text.vocab import WordVocab

DEFAULTS = {  # (steps, lr) of the README's Debian rows
    "text-fasttext": (3000, 0.01),
    "text-bag": (6000, 2e-3),
    "text-transformer": (3000, 2e-3),
}
TRAINING = ("label_smoothing", "balanced", "average_last")


def parse_member(text):
    """The setting dict of a JSON object or of ``MODEL:SEED``."""
    if text.lstrip().startswith("{"):
        spec = json.loads(text)
    else:
        model, _, seed = text.partition(":")
        spec = {"model": model, "seed": int(seed or 0)}
    spec.setdefault("model", "text-fasttext")
    if spec["model"] not in DEFAULTS:
        raise ValueError(f"member {text!r}: model must be one of {sorted(DEFAULTS)}.")
    return spec


def train_member(texts, labels, num_classes, spec, vocab=None, steps_scale=1.0):
    """(net, vocab, CPU seconds): ``spec``'s model trained on ``texts`` (raw) and ``labels``
    for its steps times ``steps_scale``; the word vocabulary is built from ``texts`` unless
    given."""
    spec = dict(spec)
    model = spec.pop("model")
    steps, lr = DEFAULTS[model]
    steps, lr = round(spec.pop("steps", steps) * steps_scale), spec.pop("lr", lr)
    batch_size, seed = spec.pop("batch_size", 64), spec.pop("seed", 0)
    training = {k: spec.pop(k) for k in TRAINING if k in spec}
    min_freq = spec.pop("min_freq", MIN_FREQ)
    vocab = vocab or WordVocab.build([t.lower() for t in texts], min_freq=min_freq)
    manual_seed(seed)
    net = build_model(model, (MAX_LEN,), num_classes, vocab_size=len(vocab), **spec)
    ids = encode_texts(net.units(vocab), texts, MAX_LEN)
    net.adapt(ids)
    start = time.process_time()
    train_classifier(net, ids, labels, steps, batch_size, lr, seed, log=lambda *a: None, **training)
    return net, vocab, time.process_time() - start


def encode_for(net, vocab, texts):
    """``texts`` as ``net`` reads them."""
    return encode_texts(net.units(vocab), texts, MAX_LEN)


def split_texts(part):
    """(texts, labels) of a split's (text, label) pairs."""
    return [t for t, _ in part], np.asarray([y for _, y in part])


def log_loss(probs, labels):
    """The mean of -log p(true class)."""
    return float(-np.mean(np.log(np.maximum(probs[np.arange(len(labels)), labels], 1e-12))))


def greedy_ensemble(probs, labels, max_members=10):
    """Caruana et al.'s ensemble selection, on one split: start empty, and add (with
    replacement) the candidate whose addition gives the mean of probabilities with the best
    accuracy on ``labels`` (ties: the lower log loss, then the earlier candidate); stop when
    no addition raises the accuracy, or at ``max_members``. Returns the candidates' indices,
    a repeat counting twice in the mean."""
    labels = np.asarray(labels)
    chosen, best, total = [], (-1.0, 0.0), 0.0
    while len(chosen) < max_members:
        scores = []
        for i, p in enumerate(probs):
            mean = (total + p) / (len(chosen) + 1)
            scores.append((np.mean(mean.argmax(axis=1) == labels), -log_loss(mean, labels), -i))
        top = max(scores)
        if top[0] <= best[0]:
            break
        chosen.append(-top[2])
        best, total = top[:2], total + probs[-top[2]]
    return chosen
