"""Text classification: ``zennet train --data debian-packages --model text-bag`` (or
``text-fasttext``, ``text-transformer``) trains a classifier on labelled text and reports
its test accuracy and macro-F1; ``zennet explain MODEL "some text"`` shows which words its
decision rests on (integrated gradients on the embeddings of the model's units; a unit made
of several words, a word pair, shares its attribution equally among them)."""

import sys
import time

from zennet.autograd import no_grad
from zennet.data.datasets.registry import DATASETS
from zennet.io import load_checkpoint, save_checkpoint
from zennet.jobs import runs
from zennet.jobs.predict import softmax
from zennet.jobs.text import check_model_kind, load_with_vocabularies
from zennet.models import build_model
from zennet.random import manual_seed
from zennet.text import WordVocab
from zennet.text.attribution import ansi_tokens, plain_tokens, save_html, token_attributions
from zennet.text.classify import (
    accuracy_and_macro_f1,
    encode_texts,
    predict,
    train_classifier,
)
from zennet.text.ngrams import word_attributions

MAX_LEN = 64  # words per text (the longest Debian description has 40)
DEFAULT_STEPS = 3000
MIN_FREQ = 2  # words seen once in training become <unk>


def is_text_classification_data(spec):
    return spec in DATASETS and getattr(DATASETS.get(spec), "text_classification", False)


def train_text_classifier_job(data, model, steps, batch_size, lr, seed, out, verbose=1, log=print):
    """Train preset ``model`` on the labelled texts ``data``; returns the test accuracy
    and macro-F1 (and the validation ones) and the files written."""
    say = log if verbose else (lambda *args, **kwargs: None)
    what = f"--data {data} is labelled text: train a classifier"
    check_model_kind(model, "text_classifier", what)
    runs.check_new_run_dir(out)
    splits = DATASETS.get(data)()
    vocab = WordVocab.build([t.lower() for t, _ in splits.train], min_freq=MIN_FREQ)
    manual_seed(seed)
    net = build_model(model, (MAX_LEN,), len(splits.classes), vocab_size=len(vocab))
    net.recipe["classes"] = list(splits.classes)
    units = net.units(vocab)
    encoded = [
        (encode_texts(units, [t for t, _ in part], MAX_LEN), [y for _, y in part])
        for part in splits[:3]
    ]
    net.adapt(encoded[0][0])  # statistics of the training texts (IDF pooling), if any
    steps = steps or DEFAULT_STEPS
    say(
        f"training {model} ({sum(p.data.size for p in net.parameters()):,} parameters) on "
        f"{len(splits.train):,} texts of {data} ({len(vocab):,} words, "
        f"{len(splits.classes)} classes), {steps} steps of {batch_size}"
    )
    start = time.perf_counter()
    history = train_classifier(
        net, *encoded[0], steps, batch_size, lr, seed, validation=encoded[1], log=say
    )
    seconds = time.perf_counter() - start
    out = runs.new_run_dir(out)
    path = out / runs.MODEL
    save_checkpoint(path, net.state_dict(), extra={"recipe": net.recipe, "vocab": vocab.to_json()})
    results = {"train_seconds": seconds, "classes": list(splits.classes)}
    for name, (ids, labels) in zip(("val", "test"), encoded[1:]):
        scores = accuracy_and_macro_f1(predict(net, ids), labels, len(splits.classes))
        results.update({f"{name}_{k}": v for k, v in scores.items()})
    settings = {"data": data, "model": model, "steps": steps, "batch_size": batch_size,
                "lr": lr, "seed": seed, "max_len": MAX_LEN}  # fmt: skip
    return runs.write_results(out, settings, results, history, path)


def is_text_classifier(model_path):
    """Whether ``model_path`` holds a text classifier (and explain takes text, not a file)."""
    try:
        load_text_classifier(model_path)
    except (ValueError, OSError, KeyError):
        return False
    return True


def load_text_classifier(path):
    """(classifier in eval mode, its word vocabulary) from a model file of this job."""
    return load_with_vocabularies(
        path,
        "text_classifier",
        ["vocab"],
        "text classifier (train one with --data debian-packages --model text-bag)",
    )


def explain_text(model_path, text, out=None, target=None, steps=64, color=None):
    """Integrated gradients of the classifier ``model_path`` on ``text``: {"tokens",
    "attributions" (one per token), "predicted", "target", "probability", "score",
    "baseline_score", "shown" (the tokens coloured for a terminal, or plain with the
    numbers), "path" (the HTML written with ``out``, else None)}."""
    net, vocab = load_text_classifier(model_path)
    names = load_checkpoint(model_path)["extra"]["recipe"].get("classes")
    ids, owners, tokens = net.units(vocab).encode(text, MAX_LEN)
    classes = net.head.out_features
    if target is not None and not 0 <= int(target) < classes:
        raise ValueError(f"--target {target}: this model has classes 0..{classes - 1}.")
    scores = predict_scores(net, ids)
    attributions, target, score, base = token_attributions(net, ids, target, steps)
    attributions = word_attributions(attributions, owners, len(tokens))
    color = sys.stdout.isatty() if color is None else color
    shown = (ansi_tokens if color else plain_tokens)(tokens, attributions)
    label = names[target] if names else str(target)
    path = None
    if out is not None:
        title = f"{text!r}: class {label} (p={scores[target]:.3f})"
        save_html(out, tokens, attributions, title)
        path = str(out)
    return {"tokens": tokens, "attributions": attributions.tolist(),
            "predicted": int(scores.argmax()), "target": target, "label": label,
            "probability": float(scores[target]), "score": score, "baseline_score": base,
            "shown": shown, "path": path}  # fmt: skip


def predict_scores(net, ids):
    """The class probabilities of one id list."""
    with no_grad():
        return softmax(net([ids]).numpy())[0]
