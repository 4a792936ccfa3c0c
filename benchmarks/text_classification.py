"""The baseline zennet's text classifiers must beat on ``--data debian-packages``: TF-IDF
of words (and word pairs) + logistic regression, from scikit-learn (a test-only dependency).

    python -m benchmarks.text_classification            # prints test accuracy and macro-F1
    python -m benchmarks.text_classification --chars    # + TF-IDF of character 2..5-grams
    python -m benchmarks.text_classification --fasttext '{"dropout": 0.5}' '{"dim": 32}'

Same split and same lower-casing as zennet's classifiers; C chosen on the validation split.
``--chars`` adds the character n-grams of each word (``char_wb``, 2 to 5 characters), the
stronger baseline to set beside ``text-fasttext``, which has character n-grams too.
``--train-val`` then fits the chosen C again on the training and validation texts
together (the vectorizers too) and scores test with that fit as well: the baseline to set
beside zennet's models trained on both (``benchmarks.text_ensemble --train-val``).
``--fasttext`` instead trains ``text-fasttext`` once per JSON setting and prints its
VALIDATION accuracy only (``benchmarks.text_sweep``), the test split left alone.
"""

import argparse
import time

from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score

from benchmarks import text_sweep
from zennet.data.datasets.debian import debian_packages
from zennet.text.vocab import WORD


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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chars", action="store_true", help="add character 2..5-grams")
    parser.add_argument("--train-val", action="store_true", help="refit on train + validation")
    parser.add_argument("--fasttext", nargs="+", metavar="JSON", help="text-fasttext settings")
    args = parser.parse_args(argv)
    if args.fasttext:
        return text_sweep.main(args.fasttext)
    splits = debian_packages()
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
    what = "words + pairs" + (" + character 2..5-grams" if args.chars else "")
    show(f"TF-IDF ({what}, {x_train.shape[1]:,} features) + logistic regression (C={best[1]})",
         best[2].predict(x_test), labels[2], start)  # fmt: skip
    if args.train_val:
        x_both, x_test = features([texts[0] + texts[1], texts[2]], args.chars)
        model = LogisticRegression(C=best[1], max_iter=2000).fit(x_both, labels[0] + labels[1])
        show(f"the same refitted on train + validation ({x_both.shape[1]:,} features)",
             model.predict(x_test), labels[2], start)  # fmt: skip


def show(what, predicted, labels, start):
    print(
        f"{what}: test accuracy {accuracy_score(labels, predicted):.4f}, macro-F1 "
        f"{f1_score(labels, predicted, average='macro'):.4f}, {len(labels):,} test texts, "
        f"{time.perf_counter() - start:.1f} s",
        flush=True,
    )


if __name__ == "__main__":
    main()
