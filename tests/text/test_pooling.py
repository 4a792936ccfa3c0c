import numpy as np
import pytest
import torch

import zennet as zn
from tests.helpers import compare
from tests.text.test_fasttext import VOCAB, _stems_corpus
from zennet.io import save_checkpoint
from zennet.models import build_model, load_model
from zennet.random import manual_seed
from zennet.text import WordVocab
from zennet.text.attribution import token_attributions
from zennet.text.classify import accuracy_and_macro_f1, encode_texts, predict, train_classifier
from zennet.text.ngrams import word_attributions
from zennet.text.pooling import attention_pool, masked_mean, masked_sqrt_sum, pool

MASK = np.array([[1, 1, 0, 1], [1, 0, 0, 0], [0, 0, 0, 0]], dtype=bool)  # the last: no unit


def _torch_weights(mask):
    return torch.tensor(mask, dtype=torch.float64)[:, :, None]


def test_mean_and_sqrt_pooling_match_torch(rng):
    x = rng.standard_normal((3, 4, 5))
    m = _torch_weights(MASK)
    n = m.sum(dim=1).clamp(min=1)
    out = compare(lambda x: masked_mean(x, MASK), x, torch_fn=lambda x: (x * m).sum(1) / n)
    assert not out[2].any()  # a text with no unit pools to zeros
    compare(lambda x: masked_sqrt_sum(x, MASK), x, torch_fn=lambda x: (x * m).sum(1) / n.sqrt())


def test_attention_pooling_matches_torch(rng):
    x, scores = rng.standard_normal((3, 4, 5)), 2 * rng.standard_normal((3, 4))
    m = _torch_weights(MASK)

    def torch_pool(x, s):
        a = torch.softmax(s.masked_fill(~torch.tensor(MASK), -1e9), dim=1)[:, :, None]
        return (x * a * m).sum(dim=1)

    out = compare(lambda x, s: attention_pool(x, s, MASK), x, scores, torch_fn=torch_pool)
    assert not out[2].any()
    equal = attention_pool(x, np.zeros((3, 4)), MASK).numpy()  # equal scores: the mean
    np.testing.assert_allclose(equal, masked_mean(x, MASK).numpy(), rtol=1e-12)


def test_pool_reads_the_score_column_for_attention(rng):
    embeddings = rng.standard_normal((3, 4, 6))
    want = attention_pool(embeddings[..., :5], embeddings[..., 5], MASK).numpy()
    np.testing.assert_array_equal(pool(embeddings, MASK, "attention").numpy(), want)
    with pytest.raises(ValueError, match="pooling 'max'"):
        build_model("text-fasttext", (8,), 3, vocab_size=10, buckets=20, pooling="max")


VARIANTS = [dict(pooling="attention"), dict(pooling="idf"), dict(pooling="sqrt", hidden=8)]


@pytest.mark.parametrize("options", VARIANTS)
def test_fasttext_variants_forward_and_backward_match_torch(options, rng):
    manual_seed(0)
    model = build_model("text-fasttext", (8,), 3, vocab_size=10, dim=4, dropout=0.0,
                        buckets=20, **options)  # fmt: skip
    model.train()
    assert model.embedding.weight.shape == (30, 5 if options["pooling"] == "attention" else 4)
    for p in [*model.parameters(), *model.buffers()]:  # away from the zero start
        p.data[...] = rng.normal(size=p.data.shape)
    model.embedding.weight.data[0] = 0
    ids = np.array([[3, 12, 25, 7, 0], [29, 1, 0, 0, 0]])
    table = torch.tensor(model.embedding.weight.numpy().copy(), requires_grad=True)
    state = {k: torch.tensor(v) for k, v in model.state_dict().items()}
    seed = rng.standard_normal((2, 3)).astype(np.float32)
    logits = model(ids)
    logits.backward(zn.tensor(seed))
    e, mask = table[torch.tensor(ids)], torch.tensor(ids != 0)
    if options["pooling"] == "idf":  # the fixed log IDF as the scores' column
        e = torch.cat([e, state["log_idf"][torch.tensor(ids)][:, :, None]], dim=-1)
    if options["pooling"] != "sqrt":
        a = torch.softmax(e[..., -1].masked_fill(~mask, -1e9), dim=1)[:, :, None]
        pooled = (e[..., :-1] * a).sum(1)
    else:
        pooled = (e * mask[:, :, None]).sum(1) / mask.sum(1, keepdim=True).sqrt()
    if options.get("hidden"):
        pooled = torch.relu(pooled @ state["hidden.0.weight"].T + state["hidden.0.bias"])
    expected = pooled @ state["head.weight"].T + state["head.bias"]
    expected.backward(torch.tensor(seed))
    np.testing.assert_allclose(logits.numpy(), expected.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(
        model.embedding.weight.grad.numpy(), table.grad.numpy(), rtol=1e-4, atol=1e-5
    )


def test_adapt_measures_scikit_learns_idf():
    from sklearn.feature_extraction.text import TfidfVectorizer

    ids = [[1, 2, 3, 3], [1, 5], [1, 7, 7, 2]]
    sklearn = TfidfVectorizer(analyzer=lambda units: units).fit(ids)
    idf = dict(zip(sklearn.get_feature_names_out(), sklearn.idf_))
    for pooling in ("idf", "idf-attention"):
        manual_seed(0)
        model = build_model("text-fasttext", (8,), 3, vocab_size=10, dim=4, buckets=20,
                            pooling=pooling)  # fmt: skip
        model.adapt(ids)
        scores = model.log_idf.numpy() if pooling == "idf" else model.embedding.weight.numpy()[:, 4]
        np.testing.assert_allclose(np.exp(scores[[1, 2, 3, 5, 7]]),
                                   [idf[u] for u in (1, 2, 3, 5, 7)], rtol=1e-6)  # fmt: skip
        assert np.exp(scores[9]) == pytest.approx(np.log(4) + 1)  # a unit in no text
    plain = build_model("text-fasttext", (8,), 3, vocab_size=10, dim=4, buckets=20)
    before = plain.state_dict()["embedding.weight"].copy()
    np.testing.assert_array_equal(plain.adapt(ids).state_dict()["embedding.weight"], before)
    mean = build_model("text-fasttext", (8,), 3, vocab_size=10, dim=4, buckets=20)
    mean.head.weight.data[...] = model.head.weight.data[...] = 1.0
    mean.embedding.weight.data[...] = model.embedding.weight.data[:, :4]
    x = np.array([[1, 7, 7, 0]])  # weights ∝ IDF: 1 for "1" (in every text), each "7" i7
    i7, e = np.log(2) + 1, mean.embedding.weight.numpy()
    want = (1 * e[1] + 2 * i7 * e[7]) / (1 + 2 * i7)
    np.testing.assert_allclose(model.eval()(x).numpy()[0], np.full(3, want.sum()), rtol=1e-5)


def test_attention_starts_as_the_mean():
    manual_seed(0)
    attention = build_model("text-fasttext", (8,), 3, vocab_size=10, dim=4, buckets=20,
                            pooling="attention")  # fmt: skip
    weight = attention.embedding.weight.numpy()
    assert not weight[:, 4].any()  # every score 0
    mean = build_model("text-fasttext", (8,), 3, vocab_size=10, dim=4, buckets=20).eval()
    mean.embedding.weight.data[...] = weight[:, :4]
    mean.head.weight.data[...] = attention.head.weight.data[...] = 1.0
    ids = np.array([[3, 12, 25, 7, 0]])
    np.testing.assert_allclose(attention.eval()(ids).numpy(), mean(ids).numpy(), rtol=1e-6)


@pytest.mark.parametrize("pooling", ["attention", "sqrt"])
def test_pooling_variants_learn_a_tiny_corpus(pooling):
    train, test = _stems_corpus(["on", "ish", "er"], 0), _stems_corpus(["ic", "ing", "ed"], 1)
    vocab = WordVocab.build(train[0])
    manual_seed(0)
    model = build_model("text-fasttext", (8,), 4, vocab_size=len(vocab), buckets=4096,
                        chars=(3, 4), pooling=pooling)  # fmt: skip
    ids = [encode_texts(model.units(vocab), texts, 8) for texts in (train[0], test[0])]
    train_classifier(model, ids[0], train[1], 150, 32, lr=0.02, log=lambda *a: None)
    assert accuracy_and_macro_f1(predict(model, ids[1]), test[1], 4)["accuracy"] > 0.9


def test_saved_model_restores_pooling_and_hidden(tmp_path):
    manual_seed(0)
    options = dict(dim=8, buckets=512, pooling="attention", hidden=6)
    model = build_model("text-fasttext", (64,), 3, vocab_size=len(VOCAB), **options)
    model.embedding.weight.data[:, 8] = np.linspace(-1, 1, model.embedding.weight.shape[0])
    path = tmp_path / "model.safetensors"
    save_checkpoint(path, model.state_dict(), extra={"recipe": model.recipe})
    loaded, _ = load_model(path)
    assert (loaded.pooling, loaded.hidden[0].out_features) == ("attention", 6)
    ids = model.units(VOCAB).encode("python bindings for gtk")[0]
    np.testing.assert_array_equal(loaded.eval()([ids]).numpy(), model.eval()([ids]).numpy())


@pytest.mark.parametrize("options", VARIANTS)
def test_attributions_stay_complete(options, rng):
    manual_seed(0)
    model = build_model("text-fasttext", (64,), 3, vocab_size=len(VOCAB), buckets=256, **options)
    for p in [*model.parameters(), *model.buffers()]:
        p.data[...] = rng.normal(size=p.data.shape)
    ids, owners, words = model.units(VOCAB).encode("python bindings for gtk")
    units, _, score, base = token_attributions(model.eval(), ids, steps=200)
    shares = word_attributions(units, owners, len(words))
    assert abs(score - base) > 1e-2
    assert shares.sum() == pytest.approx(score - base, abs=5e-3 * max(1, abs(score)))
