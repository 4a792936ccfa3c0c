import numpy as np
import pytest

import zennet.text.classify as classify
from benchmarks.text_members import greedy_ensemble, log_loss, parse_member
from zennet.models import build_model
from zennet.random import manual_seed
from zennet.text.classify import ParameterAverage, train_classifier

IDS = [[3, 12], [25], [4, 5, 6], [7], [8, 9], [3]]
LABELS = [0, 1, 0, 0, 0, 1]


def _model():
    manual_seed(0)
    return build_model("text-fasttext", (8,), 3, vocab_size=10, dim=4, buckets=20)


def _train(model, **options):
    train_classifier(model, IDS, LABELS, 6, batch_size=2, lr=0.05, log=lambda *a: None, **options)
    return {k: v.copy() for k, v in model.state_dict().items()}


def test_balanced_loss_weighs_each_class_by_its_share(monkeypatch):
    seen = []
    original = classify.F.cross_entropy

    def spy(logits, target, **options):
        seen.append(options)
        return original(logits, target, **options)

    monkeypatch.setattr(classify.F, "cross_entropy", spy)
    _train(_model(), balanced=True, label_smoothing=0.1)
    weight = seen[0]["weight"].numpy()
    np.testing.assert_allclose(weight, [6 / (3 * 4), 6 / (3 * 2), 6 / (3 * 1)])  # class 2: none
    assert seen[0]["label_smoothing"] == 0.1
    assert len(seen) == 6


def test_average_of_the_last_steps(monkeypatch):
    snapshots = []
    add = ParameterAverage.add

    def record(self):
        snapshots.append([p.data.copy() for p in self.parameters])
        add(self)

    monkeypatch.setattr(ParameterAverage, "add", record)
    model = _model()
    averaged = _train(model, average_last=3)
    assert len(snapshots) == 3
    assert not np.array_equal(snapshots[0][0], snapshots[-1][0])  # they moved
    for i, p in enumerate(model.parameters()):
        np.testing.assert_allclose(p.data, np.mean([s[i] for s in snapshots], axis=0), rtol=1e-6)
    plain = _train(_model())
    np.testing.assert_array_equal(snapshots[-1][0], plain["embedding.weight"])  # the last step
    assert not np.allclose(averaged["embedding.weight"], plain["embedding.weight"])
    monkeypatch.setattr(ParameterAverage, "add", add)
    last_only = _train(_model(), average_last=1)
    for k in plain:
        np.testing.assert_allclose(last_only[k], plain[k], rtol=1e-6)


def test_greedy_ensemble_selection_by_hand():
    labels = np.array([0, 1, 0, 1])

    def probs(p0):
        return np.stack([p0, 1 - np.asarray(p0)], axis=1)

    a = probs([0.9, 0.6, 0.4, 0.2])  # right on texts 0 and 3: accuracy 0.5, log loss 0.54
    b = probs([0.4, 0.1, 0.9, 0.6])  # right on 1 and 2: accuracy 0.5, log loss 0.51
    c = probs([0.3, 0.7, 0.3, 0.7])  # always wrong
    assert log_loss(b, labels) < log_loss(a, labels)
    assert greedy_ensemble([a, b, c], labels) == [1, 0]  # b (the tie's lower loss), then a
    assert greedy_ensemble([a, b, c], labels, max_members=1) == [1]
    assert greedy_ensemble([c], labels) == [0]  # one candidate: itself, once
    with pytest.raises(ValueError, match="model must be one of"):
        parse_member('{"model": "text-lstm"}')
    assert parse_member("text-bag:3") == {"model": "text-bag", "seed": 3}


def test_train_member_reads_its_setting(monkeypatch):
    import benchmarks.text_members as members

    calls = []
    monkeypatch.setattr(members, "train_classifier", lambda *a, **k: calls.append((a, k)))
    texts, labels = ["python module", "perl module", "python bindings"], [0, 1, 0]
    spec = {"steps": 100, "lr": 0.5, "label_smoothing": 0.1, "min_freq": 1, "dim": 8,
            "buckets": 64, "pooling": "idf"}  # fmt: skip
    net, vocab, _ = members.train_member(texts, labels, 2, {"model": "text-fasttext", **spec},
                                         steps_scale=1.5)  # fmt: skip
    (model, ids, _, steps, batch_size, lr, seed), options = calls[0]
    assert (steps, batch_size, lr, seed, options["label_smoothing"]) == (150, 64, 0.5, 0, 0.1)
    assert "perl" in vocab.stoi and net.embedding.weight.shape == (len(vocab) + 64, 8)
    assert net.log_idf.numpy().any()  # adapted to the texts before training
    assert ids == members.encode_for(net, vocab, texts)
