"""The baseline zennet's text classifiers must beat on ``--data debian-packages``: TF-IDF
of words (and word pairs) + logistic regression, from scikit-learn (a test-only dependency).

    python -m benchmarks.text_classification            # prints test accuracy and macro-F1
    python -m benchmarks.text_classification --chars    # + TF-IDF of character 2..5-grams
    python -m benchmarks.text_classification --fasttext '{"dropout": 0.5}' '{"dim": 32}'

Same split and same lower-casing as zennet's classifiers; C chosen on the validation split.
``--chars`` adds the character n-grams of each word (``char_wb``, 2 to 5 characters), the
stronger baseline to set beside ``text-fasttext``, which has character n-grams too.
``--fasttext`` instead trains ``text-fasttext`` once per JSON setting (the preset's
arguments, plus "steps", "lr", "batch_size") and prints its VALIDATION accuracy only: the
sweep its settings were chosen by, the test split left alone.
"""

import argparse
import json
import time

from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score

from zennet.data.datasets.debian import debian_packages
from zennet.jobs.textcls import MAX_LEN, MIN_FREQ
from zennet.models import build_model
from zennet.random import manual_seed
from zennet.text.classify import accuracy_and_macro_f1, encode_texts, predict, train_classifier
from zennet.text.vocab import WORD, WordVocab


def features(texts, chars):
    """TF-IDF matrices of the train, validation and test texts (fitted on train)."""
    vectorizers = [
        TfidfVectorizer(token_pattern=WORD.pattern, ngram_range=(1, 2), sublinear_tf=True)
    ]
    if chars:
        vectorizers.append(
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)
        )
    parts = [[v.fit_transform(texts[0]), *(v.transform(t) for t in texts[1:])] for v in vectorizers]
    return [hstack(matrices).tocsr() for matrices in zip(*parts)]


def fasttext_sweep(splits, settings):
    """Train text-fasttext (seed 0) with each setting; print its validation scores."""
    vocab = WordVocab.build([t.lower() for t, _ in splits.train], min_freq=MIN_FREQ)
    for text in settings:
        options = json.loads(text)
        steps, lr = options.pop("steps", 3000), options.pop("lr", 0.01)
        batch_size = options.pop("batch_size", 64)
        manual_seed(0)
        k = len(splits.classes)
        net = build_model("text-fasttext", (MAX_LEN,), k, vocab_size=len(vocab), **options)
        units = net.units(vocab)
        train, val = [(encode_texts(units, [t for t, _ in p], MAX_LEN), p) for p in splits[:2]]
        start = time.process_time()
        train_classifier(
            net, train[0], [y for _, y in train[1]], steps, batch_size, lr, 0, log=lambda *a: None
        )
        seconds = time.process_time() - start
        scores = accuracy_and_macro_f1(predict(net, val[0]), [y for _, y in val[1]], k)
        print(f"{text}: validation accuracy {scores['accuracy']:.4f}, macro-F1 "
              f"{scores['macro_f1']:.4f}, {steps} steps of {batch_size} at lr {lr}, "
              f"{seconds:.1f} s CPU", flush=True)  # fmt: skip


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chars", action="store_true", help="add character 2..5-grams")
    parser.add_argument("--fasttext", nargs="+", metavar="JSON", help="text-fasttext settings")
    args = parser.parse_args(argv)
    splits = debian_packages()
    if args.fasttext:
        return fasttext_sweep(splits, args.fasttext)
    texts = [[t.lower() for t, _ in part] for part in splits[:3]]
    labels = [[y for _, y in part] for part in splits[:3]]
    start = time.perf_counter()
    x_train, x_val, x_test = features(texts, args.chars)
    best = None
    for c in (1.0, 3.0, 10.0, 30.0):
        model = LogisticRegression(C=c, max_iter=2000).fit(x_train, labels[0])
        score = accuracy_score(labels[1], model.predict(x_val))
        print(f"C={c}: validation accuracy {score:.4f}", flush=True)
        if best is None or score > best[0]:
            best = (score, c, model)
    predicted = best[2].predict(x_test)
    what = "words + pairs" + (" + character 2..5-grams" if args.chars else "")
    print(
        f"TF-IDF ({what}, {x_train.shape[1]:,} features) + logistic regression "
        f"(C={best[1]}): test accuracy {accuracy_score(labels[2], predicted):.4f}, "
        f"macro-F1 {f1_score(labels[2], predicted, average='macro'):.4f}, "
        f"{len(labels[2]):,} test texts, {time.perf_counter() - start:.1f} s"
    )


if __name__ == "__main__":
    main()
