"""Text classifiers over padded token ids ``(N, T)`` (``<pad>`` = 0) -> class logits ``(N, C)``.

- ``BagOfEmbeddings`` (``text-bag``): the mean of the tokens' embeddings, a linear layer
  (fastText's model).
- ``FastText`` (``text-fasttext``): the same over the words, their word n-grams and their
  character n-grams, hashed into a shared table (``zennet.text.ngrams``), trained sparsely;
  other poolings (``zennet.text.pooling``: √n, attention, IDF) and a hidden layer on request.
- ``TextTransformer`` (``text-transformer``): token embeddings plus learned positions, a
  small pre-norm transformer encoder (padding masked out of the attention), the mean of
  its outputs over the real tokens, a layer norm and a linear layer.

Both split ``forward(ids)`` into ``embed(ids)`` (the token embeddings, ``(N, T, D)``) and
``classify(embeddings, mask)``, so integrated gradients can walk the embeddings
(``zennet.text.attribution``); ``units(vocab)`` turns a text into the ids a model reads;
``adapt(ids)`` takes what a model needs from its training texts before training (IDF).
Training: ``train_classifier`` (cross-entropy, optionally label-smoothed or class-balanced,
AdamW, or SparseAdam for a sparse table, the loop of ``zennet.text.steps``, optionally
ending with the mean of the last steps' parameters); ``accuracy_and_macro_f1`` measures a model;
``ensemble_predict`` averages the probabilities of several models.
"""

import numpy as np

import zennet.functional as F
from zennet import nn, optim
from zennet.autograd import no_grad
from zennet.creation import tensor
from zennet.models import MODELS
from zennet.random import get_rng
from zennet.text.batch import batches_by_length, pad_batch
from zennet.text.ngrams import NgramUnits, WordUnits
from zennet.text.pooling import POOLINGS, masked_mean, pool
from zennet.text.steps import train_steps

PAD = 0


class TextClassifier(nn.Module):
    """What both classifiers share: ids -> mask and embeddings -> ``classify``."""

    def forward(self, ids):
        ids = np.asarray(ids.numpy() if hasattr(ids, "numpy") else ids)
        if ids.ndim != 2 or ids.dtype.kind not in "iu":
            raise ValueError(
                f"{type(self).__name__} got input of shape {ids.shape} and dtype {ids.dtype}; "
                f"expected padded token ids (batch, time), <pad> = 0."
            )
        return self.classify(self.embed(ids), ids != PAD)

    def embed(self, ids):
        return self.embedding(tensor(np.asarray(ids, dtype=np.int64)))

    def units(self, vocab):
        """The text -> ids encoder of this model: the words' vocabulary ids."""
        return WordUnits(vocab)

    def adapt(self, ids):
        """Set what the model takes from its training texts (id lists) before training:
        nothing, unless a subclass says otherwise."""
        return self


class BagOfEmbeddings(TextClassifier):
    """mean(E[tokens]) -> dropout -> linear."""

    def __init__(self, vocab_size, num_classes, dim=64, dropout=0.2, sparse=False):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, dim, padding_idx=PAD, sparse=sparse)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(dim, num_classes)

    def classify(self, embeddings, mask):
        return self.head(self.drop(masked_mean(embeddings, np.asarray(mask))))


class FastText(TextClassifier):
    """fastText: pool(E[units]) -> dropout -> linear, the units being the words, their
    word n-grams and their character n-grams (``NgramUnits``); E has len(vocab) + buckets
    rows. The table is sparse: SparseAdam moves only the rows a batch looked up. As in
    fastText, E starts at U(-1/dim, 1/dim) and the linear layer at zero: a row that is
    seldom looked up (a rare n-gram, a bucket no training text reaches) then stays near
    zero instead of adding N(0, 1) noise to every mean it enters.

    ``pooling`` (``zennet.text.pooling``): ``mean``, ``sqrt`` (the sum over √n),
    ``attention`` (each row one more column, its unit's score, starting at 0),
    ``idf-attention`` (the same, the scores starting at the units' log IDF) or ``idf`` (the
    mean weighted by the units' IDF, fixed; a buffer). ``adapt(ids)`` measures the IDF on
    the training texts; before it, every IDF is 1. ``hidden`` > 0 puts a layer
    Linear(dim, hidden)-ReLU between the pooled vector and the dropout (a deep averaging
    network)."""

    def __init__(
        self, vocab_size, num_classes, dim, dropout, unit_dropout, pooling="mean", hidden=0,
        **ngrams,
    ):  # fmt: skip
        if pooling not in POOLINGS:
            raise ValueError(f"FastText: pooling {pooling!r}; expected one of {POOLINGS}.")
        super().__init__()
        rows, width = vocab_size + ngrams["buckets"], dim + pooling.endswith("attention")
        self.embedding = nn.Embedding(rows, width, padding_idx=PAD, sparse=True)
        self.drop = nn.Dropout(dropout)
        self.hidden = nn.Sequential(nn.Linear(dim, hidden), nn.ReLU()) if hidden else None
        self.head = nn.Linear(hidden or dim, num_classes)
        self.vocab_size, self.ngrams, self.unit_dropout = vocab_size, ngrams, unit_dropout
        self.pooling = pooling
        if pooling == "idf":
            self.register_buffer("log_idf", np.zeros(rows, dtype=np.float32))
        nn.init.uniform_(self.embedding.weight, -1 / dim, 1 / dim)
        self.embedding.weight.data[PAD] = 0
        if width > dim:
            self.embedding.weight.data[:, dim] = 0  # equal scores: the mean, at first
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    def adapt(self, ids):
        """For IDF pooling, each row's log IDF on the id lists ``ids`` (one per text):
        log idf = log(log((1 + N) / (1 + df)) + 1), scikit-learn's smoothed IDF, df the
        number of texts holding the unit."""
        if not self.pooling.startswith("idf"):
            return self
        rows = self.embedding.weight.shape[0]
        df = np.bincount(np.concatenate([np.unique(u) for u in ids]), minlength=rows)
        log_idf = np.log(np.log((1 + len(ids)) / (1 + df)) + 1).astype(np.float32)
        if self.pooling == "idf":
            self.log_idf.data[...] = log_idf
        else:
            self.embedding.weight.data[:, -1] = log_idf
        return self

    def embed(self, ids):
        """The units' embeddings; with ``idf`` pooling their log IDF as a last column."""
        embeddings = super().embed(ids)
        if self.pooling != "idf":
            return embeddings
        scores = self.log_idf.data[np.asarray(ids, dtype=np.int64)][..., None]  # (N, T, 1)
        return F.cat([embeddings, tensor(scores)], dim=-1)

    def classify(self, embeddings, mask):
        """In training, each unit is left out of the pool with probability unit_dropout."""
        mask = np.asarray(mask)
        if self.training and self.unit_dropout:
            mask = mask & (get_rng().random(np.shape(mask)) >= self.unit_dropout)
        pooled = pool(embeddings, mask, self.pooling)
        if self.hidden is not None:
            pooled = self.hidden(pooled)
        return self.head(self.drop(pooled))

    def units(self, vocab):
        if len(vocab) != self.vocab_size:
            raise ValueError(
                f"FastText was built for a vocabulary of {self.vocab_size} words, got one "
                f"of {len(vocab)}; pass the vocabulary it was trained with."
            )
        return NgramUnits(vocab, **self.ngrams)


class TextTransformer(TextClassifier):
    """Embeddings + positions -> pre-norm transformer encoder -> masked mean -> norm -> linear."""

    def __init__(self, vocab_size, num_classes, max_len=64, dim=64, layers=2, heads=4, dropout=0.1):
        super().__init__()
        self.max_len = max_len
        self.embedding = nn.Embedding(vocab_size, dim, padding_idx=PAD)
        self.position = nn.Embedding(max_len, dim)
        layer = nn.TransformerEncoderLayer(
            dim, heads, 2 * dim, dropout, "gelu", batch_first=True, norm_first=True
        )
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, num_classes)

    def classify(self, embeddings, mask):
        T = embeddings.shape[1]
        if T > self.max_len:
            raise ValueError(
                f"TextTransformer: {T} tokens, but it has positions for {self.max_len}; "
                f"cut the texts to {self.max_len} tokens."
            )
        mask = np.broadcast_to(np.asarray(mask), embeddings.shape[:2])
        x = embeddings + self.position(tensor(np.arange(T)))
        x = self.encoder(x, src_key_padding_mask=tensor(~mask))
        return self.head(self.norm(masked_mean(x, mask)))


@MODELS.register("text-bag")
def text_bag(input_shape, num_classes, vocab_size=None, dim=64, dropout=0.2):
    """Bag of embeddings: the mean of the tokens' embeddings, then a linear layer."""
    return BagOfEmbeddings(vocab_size or 1000, num_classes, dim, dropout)


@MODELS.register("text-fasttext")
def text_fasttext(
    input_shape,
    num_classes,
    vocab_size=None,
    dim=16,
    dropout=0.5,
    unit_dropout=0.0,
    buckets=2**18,
    word_ngrams=3,
    chars=(3, 5),
    pooling="mean",
    hidden=0,
):
    """fastText: mean of word, hashed word n-gram and character n-gram embeddings, linear.

    Word n-grams of up to ``word_ngrams`` words, character n-grams of lengths ``chars``,
    hashed into ``buckets`` rows. The defaults were chosen on debian-packages' validation
    split (docs/text.md)."""
    chars = None if chars is None else tuple(chars)  # a list, read back from a model file
    ngrams = dict(buckets=buckets, word_ngrams=word_ngrams, chars=chars)
    return FastText(
        vocab_size or 1000, num_classes, dim, dropout, unit_dropout, pooling, hidden, **ngrams
    )


@MODELS.register("text-transformer")
def text_transformer(input_shape, num_classes, vocab_size=None, dim=64, layers=2, heads=4):
    """A 2-layer pre-norm transformer encoder over tokens, mean-pooled, then linear."""
    return TextTransformer(vocab_size or 1000, num_classes, input_shape[0], dim, layers, heads)


for preset in (text_bag, text_fasttext, text_transformer):
    preset.text_classifier = True  # zennet.jobs.textcls


def encode_texts(units, texts, max_words):
    """The id lists of ``texts`` by the encoder ``units`` (a model's ``units(vocab)``),
    each text cut to ``max_words`` words."""
    return [units.encode(t, max_words)[0] for t in texts]


def train_classifier(
    model, ids, labels, steps, batch_size=64, lr=2e-3, seed=0, validation=None, log=print,
    label_smoothing=0.0, balanced=False, average_last=0,
):  # fmt: skip
    """Train ``model`` for ``steps`` steps on id lists ``ids`` and int ``labels``; with
    ``validation=(ids, labels)`` every 200 steps log its accuracy and macro-F1.

    The loss is cross-entropy, with ``label_smoothing`` and, if ``balanced``, class c
    weighted by N / (C·N_c) (each class counts as much in the loss, as in macro-F1).
    ``average_last`` = K > 0 ends with the mean of the parameters after each of the last K
    steps (Polyak averaging) in place of the last ones."""
    rng = np.random.default_rng(seed)
    labels = np.asarray(labels, dtype=np.int64)
    if model.embedding.sparse:  # Adam on the rows a batch touched (and the whole head)
        optimizer = optim.SparseAdam(model.parameters(), lr=lr)
    else:
        optimizer = optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    weight = None
    if balanced:
        counts = np.bincount(labels, minlength=model.head.out_features)
        weight = tensor((len(labels) / (len(counts) * np.maximum(counts, 1))).astype(np.float32))
    average = ParameterAverage(model) if average_last else None
    batches = []

    def batch_loss(step):
        if average is not None and step > steps - average_last:
            average.add()  # the parameters after step `step`'s update
        if not batches:  # a new pass over the texts
            batches.extend(batches_by_length([len(s) for s in ids], batch_size, rng))
        rows = batches.pop()
        x, _, _ = pad_batch([ids[i] for i in rows], PAD)
        return F.cross_entropy(
            model(x), tensor(labels[rows]), weight=weight, label_smoothing=label_smoothing
        )

    def evaluate():
        scores = accuracy_and_macro_f1(predict(model, validation[0]), validation[1])
        return {f"val_{k}": v for k, v in scores.items()}

    evaluate = evaluate if validation is not None else None
    history = train_steps(model, optimizer, batch_loss, steps, lr, 100, evaluate, 200, log)
    if average is not None:
        average.add()
        average.load()
    return history


class ParameterAverage:
    """The running mean of a model's parameters over the snapshots ``add`` takes."""

    def __init__(self, model):
        self.parameters, self.count = list(model.parameters()), 0
        self.sums = [np.zeros(p.data.shape, dtype=np.float64) for p in self.parameters]

    def add(self):
        self.count += 1
        for total, p in zip(self.sums, self.parameters):
            total += p.data

    def load(self):
        """Put the mean in place of each parameter's value."""
        for total, p in zip(self.sums, self.parameters):
            p.data[...] = total / self.count


def predict_proba(model, ids, batch_size=512):
    """The class probabilities (softmax of the logits), ``(N, C)``, of each id list."""
    model.eval()
    out = []
    with no_grad():
        for i in range(0, len(ids), batch_size):
            x, _, _ = pad_batch(ids[i : i + batch_size], PAD)
            logits = model(x).numpy().astype(np.float64)
            e = np.exp(logits - logits.max(axis=1, keepdims=True))
            out.append(e / e.sum(axis=1, keepdims=True))
    return np.concatenate(out)


def predict(model, ids, batch_size=512):
    """The predicted class of each id list."""
    return predict_proba(model, ids, batch_size).argmax(axis=1)


def ensemble_predict(models, ids_per_model, batch_size=512):
    """The mean of the class probabilities of ``models``, ``(N, C)``; ``ids_per_model[i]``
    holds the texts as model i reads them (its own ``units``). Its argmax is the ensemble's
    prediction."""
    if not models or len(models) != len(ids_per_model):
        raise ValueError(
            f"ensemble_predict: {len(models)} models and {len(ids_per_model)} id lists; "
            f"pass one list of encoded texts per model (at least one model)."
        )
    probs = [predict_proba(m, ids, batch_size) for m, ids in zip(models, ids_per_model)]
    if len({p.shape for p in probs}) != 1:
        raise ValueError(
            f"ensemble_predict: the models' probabilities have shapes "
            f"{[p.shape for p in probs]}; the models must share the classes and the texts."
        )
    return np.mean(probs, axis=0)


def accuracy_and_macro_f1(predicted, labels, num_classes=None):
    """{"accuracy", "macro_f1"}: macro-F1 is the mean over classes of 2·P·R / (P + R)
    (a class neither predicted nor present counts 0, as scikit-learn's zero_division=0)."""
    predicted, labels = np.asarray(predicted), np.asarray(labels)
    k = num_classes or int(max(predicted.max(), labels.max())) + 1
    f1 = []
    for c in range(k):
        tp = np.sum((predicted == c) & (labels == c))
        denominator = np.sum(predicted == c) + np.sum(labels == c)
        f1.append(2 * tp / denominator if denominator else 0.0)
    return {"accuracy": float(np.mean(predicted == labels)), "macro_f1": float(np.mean(f1))}
