"""Transfer learning: freeze/unfreeze, replace_head, param_groups, the shipped pretrained
CNN, and examples/transfer_digits.py (a smoke run and its shrink_weights)."""

import importlib.util
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest

import zennet as zn
import zennet.functional as F
from zennet import nn
from zennet.pretrained import (
    FASHION_CNN_FILE,
    fashion_cnn,
    fashion_cnn_architecture,
    fashion_cnn_channels,
)

ROOT = Path(__file__).resolve().parents[2]
# the shipped weights minus 5 points (docs/transfer.md)
FASHION_MIN_ACCURACY = 0.85  # measured: 0.9040 on these 1000 images, 0.8973 on all 10k


def small_cnn():
    """Conv-BN-ReLU-Pool features and a Linear head, named like the pretrained CNN."""
    features = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
    )
    return nn.Sequential(OrderedDict(features=features, classifier=nn.Linear(4, 3)))


def train_step(model, optimizer, rng, n=6):
    x = zn.tensor(rng.standard_normal((n, 1, 5, 5)).astype(np.float32) + 2)
    loss = F.cross_entropy(model(x), zn.tensor(rng.integers(0, 3, n)))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()


def snapshot(model):
    return {k: v.copy() for k, v in model.state_dict().items()}


def changed(before, model):
    after = model.state_dict()
    return sorted(k for k in before if not np.array_equal(before[k], after[k]))


# ------------------------------------------------------------------ freeze / unfreeze


def test_freeze_by_pattern_stops_updates_and_unfreeze_restores(rng):
    model = small_cnn().train()
    optimizer = zn.optim.SGD(model.parameters(), lr=0.1)
    nn.freeze(model, "features.*")
    assert [n for n, p in model.named_parameters() if p.requires_grad] == [
        "classifier.weight",
        "classifier.bias",
    ]
    before = snapshot(model)
    train_step(model, optimizer, rng)
    assert all(p.grad is None for p in model.features.parameters())
    assert changed(before, model) == ["classifier.bias", "classifier.weight"]

    nn.unfreeze(model, "features.*")
    assert all(p.requires_grad for p in model.parameters())
    before = snapshot(model)
    train_step(model, optimizer, rng)
    assert "features.0.weight" in changed(before, model)
    assert "features.1.running_mean" in changed(before, model)


def test_freeze_a_module_and_a_list_of_patterns(rng):
    model = small_cnn()
    nn.freeze(model.features)
    assert not any(p.requires_grad for p in model.features.parameters())
    assert model.classifier.weight.requires_grad
    nn.unfreeze(model)
    nn.freeze(model, ["*.bias", "classifier.weight"])
    frozen = sorted(n for n, p in model.named_parameters() if not p.requires_grad)
    assert frozen == ["classifier.bias", "classifier.weight", "features.0.bias", "features.1.bias"]


def test_freeze_clears_stale_gradients(rng):
    model = small_cnn()
    model(zn.tensor(rng.standard_normal((4, 1, 5, 5)).astype(np.float32))).sum().backward()
    assert model.classifier.weight.grad is not None
    nn.freeze(model, "classifier.*")
    assert model.classifier.weight.grad is None


def test_frozen_batch_norm_keeps_its_statistics_under_train(rng):
    model = small_cnn()
    bn = model.features[1]
    bn.running_mean.data[...] = 0.5
    nn.freeze(model, "features.*")
    model.train()  # must not bring the frozen batch norm back to training mode
    assert not bn.training and model.classifier.training
    before = snapshot(model)
    optimizer = zn.optim.SGD(model.parameters(), lr=0.1)
    train_step(model, optimizer, rng)
    assert changed(before, model) == ["classifier.bias", "classifier.weight"]
    # in eval mode it normalises with the running statistics, not the batch's
    x = zn.tensor(rng.standard_normal((3, 4, 2, 2)).astype(np.float32))
    expected = (x.data - 0.5) / np.sqrt(1 + bn.eps)
    np.testing.assert_allclose(bn(x).data, expected, rtol=1e-5, atol=1e-6)

    nn.unfreeze(model)
    model.train()
    assert bn.training
    model.eval()
    assert not bn.training


def test_freeze_matches_a_batch_norm_by_its_running_statistics():
    bn = nn.BatchNorm2d(3, affine=False)  # no parameters, only running statistics
    model = nn.Sequential(nn.Conv2d(1, 3, 1), bn)
    nn.freeze(model, "1.*")
    assert bn.frozen and model[0].weight.requires_grad


def test_freeze_with_an_unknown_pattern_names_the_parameters():
    with pytest.raises(ValueError, match=r"freeze: pattern 'feature\.\*' matches no parameter.*"):
        nn.freeze(small_cnn(), "feature.*")
    with pytest.raises(ValueError, match="features.0.weight"):
        nn.unfreeze(small_cnn(), "nothing")


# --------------------------------------------------------------------- replace_head


def test_replace_head_shapes_and_fresh_trainable_layer(rng):
    model = small_cnn()
    nn.freeze(model)
    old = model.classifier
    assert nn.replace_head(model, 7) is model
    assert model.classifier is not old
    assert model.classifier.weight.shape == (7, 4) and model.classifier.bias.shape == (7,)
    assert model.classifier.weight.requires_grad
    out = model(zn.tensor(rng.standard_normal((2, 1, 5, 5)).astype(np.float32)))
    assert out.shape == (2, 7)
    assert "classifier.weight" in model.state_dict()


def test_replace_head_in_a_flat_sequential_takes_the_last_linear():
    model = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 3), nn.Softmax(dim=1))
    nn.replace_head(model, 2, bias=False)
    assert model[0].weight.shape == (8, 5)
    assert model[2].weight.shape == (2, 8) and model[2].bias is None


def test_replace_head_errors():
    with pytest.raises(ValueError, match="replace_head works on Sequential models, got Linear"):
        nn.replace_head(nn.Linear(3, 2), 4)
    with pytest.raises(ValueError, match="no Linear layer"):
        nn.replace_head(nn.Sequential(nn.ReLU()), 4)
    with pytest.raises(ValueError, match="num_classes must be a positive int, got 0"):
        nn.replace_head(small_cnn(), 0)


# --------------------------------------------------------------------- param_groups


def test_param_groups_first_match_wins_and_default_group():
    model = small_cnn()
    groups = nn.param_groups(model, {"features.0.*": 0.01, "features.*": 0.05}, 0.1)
    assert [(g["pattern"], g["lr"], len(g["params"])) for g in groups] == [
        ("features.0.*", 0.01, 2),
        ("features.*", 0.05, 2),
        ("*", 0.1, 2),
    ]
    optimizer = zn.optim.Adam(groups)
    assert [g["lr"] for g in optimizer.param_groups] == [0.01, 0.05, 0.1]
    # without default_lr the unmatched parameters are left out
    assert len(nn.param_groups(model, {"features.*": 0.05})) == 1
    nn.freeze(model, "features.0.*")
    trainable = nn.param_groups(model, {"features.0.*": 0.01}, 0.1, trainable_only=True)
    assert [g["pattern"] for g in trainable] == ["*"]


def test_param_groups_updates_scale_with_the_group_lr(rng):
    model = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 3))
    model[1].weight.data[...] = model[0].weight.data
    model[1].bias.data[...] = model[0].bias.data
    optimizer = zn.optim.SGD(nn.param_groups(model, {"0.*": 0.01}, default_lr=0.1))
    grad = rng.standard_normal((3, 3)).astype(np.float32)
    before = snapshot(model)
    for p in model.parameters():
        p.grad = zn.tensor(grad if p.ndim == 2 else grad[0])
    optimizer.step()
    step0 = model[0].weight.data - before["0.weight"]
    step1 = model[1].weight.data - before["1.weight"]
    np.testing.assert_allclose(step0, -0.01 * grad, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(step1, 10 * step0, rtol=1e-4, atol=1e-7)


def test_param_groups_errors():
    with pytest.raises(ValueError, match="no parameter of Sequential matches"):
        nn.param_groups(small_cnn(), {"nope.*": 0.1})
    with pytest.raises(ValueError, match="lrs must be a dict"):
        nn.param_groups(small_cnn(), [0.1])


# ------------------------------------------------------------------ pretrained CNN


def test_pretrained_architecture_accepts_any_size_from_8(rng):
    model = fashion_cnn_architecture().eval()
    for side in (8, 13, 28):
        x = zn.tensor(rng.random((2, 1, side, side)).astype(np.float32))
        assert model(x).shape == (2, 10)


def test_shipped_weights_file_is_small_and_loads_strictly():
    assert FASHION_CNN_FILE.is_file(), "run examples/pretrain_fashion_cnn.py"
    assert FASHION_CNN_FILE.stat().st_size < 1_000_000
    state = zn.load(FASHION_CNN_FILE)
    model = fashion_cnn_architecture()
    assert set(state) == set(model.state_dict())
    model.load_state_dict(state, strict=True)
    loaded = fashion_cnn()
    assert not loaded.training
    np.testing.assert_array_equal(loaded.classifier.weight.data, state["classifier.weight"])


def test_pretrained_accuracy_on_fashion_mnist_test_images():
    _, (x_test, y_test) = zn.datasets.load_fashion_mnist()
    model = fashion_cnn()
    with zn.no_grad():
        logits = np.concatenate(
            [model(zn.tensor(x_test[i : i + 250])).data for i in range(0, 1000, 250)]
        )
    accuracy = np.mean(logits.argmax(1) == y_test[:1000])
    assert accuracy > FASHION_MIN_ACCURACY


def test_missing_weights_file_says_how_to_make_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="pretrain_fashion_cnn.py"):
        fashion_cnn(path=tmp_path / "none.safetensors")


# ------------------------------------------------------------- transfer example smoke


@pytest.fixture(scope="module")
def transfer_example():
    path = ROOT / "examples" / "transfer_digits.py"
    spec = importlib.util.spec_from_file_location("transfer_digits", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sample_per_class_is_balanced_and_seeded(transfer_example):
    (x, y), _ = zn.datasets.load_digits(flat=False)
    xs, ys = transfer_example.sample_per_class(x, y, 3, seed=1)
    assert xs.shape == (30, 1, 8, 8) and np.bincount(ys).tolist() == [3] * 10
    again = transfer_example.sample_per_class(x, y, 3, seed=1)[0]
    np.testing.assert_array_equal(xs, again)


def test_fine_tuning_setup_uses_pretrained_weights_and_group_lrs(transfer_example):
    model, optimizer = transfer_example.build(pretrained=True, lr=1e-3, strategy="discriminative")
    state = zn.load(FASHION_CNN_FILE)
    np.testing.assert_array_equal(model.features[0].weight.data, state["features.0.weight"])
    assert [round(g["lr"], 8) for g in optimizer.param_groups] == [1e-4, round(1e-3 / 3, 8), 1e-3]


def test_full_fine_tuning_is_one_group_at_the_base_lr(transfer_example):
    _, optimizer = transfer_example.build(pretrained=True, lr=1e-3)  # "full", the default
    assert [g["lr"] for g in optimizer.param_groups] == [1e-3]


def test_fine_tuning_shrinks_the_pretrained_convolutions(transfer_example):
    model, _ = transfer_example.build(pretrained=True, shrink=0.1)
    state = zn.load(FASHION_CNN_FILE)
    for i in (0, 4, 8):
        w, w0 = model.features[i].weight.data, state[f"features.{i}.weight"]
        c = float(np.sum(w * w0) / np.sum(w0 * w0))  # w = c · w0, with 0 < c < 1
        assert 0 < c < 1
        np.testing.assert_allclose(w, c * w0, rtol=1e-5, atol=1e-8)
    fresh = []
    for shrink in (None, 0.1):  # a network from scratch is never shrunk
        zn.manual_seed(3)
        fresh.append(transfer_example.build(pretrained=False, shrink=shrink)[0].state_dict())
    for key, value in fresh[0].items():
        np.testing.assert_array_equal(fresh[1][key], value)


def test_compare_gives_each_arm_its_lr_and_shrinks_only_the_pretrained(
    transfer_example, monkeypatch
):
    calls = []

    def record(
        train, test, pretrained, seed, epochs, batch_size, lr, strategy, weights, shrink, **options
    ):
        calls.append((pretrained, lr, shrink))
        return 0.5

    monkeypatch.setattr(transfer_example, "train_and_test", record)
    transfer_example.compare(sizes=(2,), seeds=(0,), lr=1e-3, scratch_lr=4e-3, shrink=0.2)
    assert calls == [(True, 1e-3, 0.2), (False, 4e-3, 0.2)]
    calls.clear()
    transfer_example.compare(sizes=(2,), seeds=(0,), lr=1e-3, scratch_lr=None)
    assert [lr for _, lr, _ in calls] == [1e-3, 1e-3]


def test_transfer_example_runs_end_to_end(transfer_example):
    lines = []
    results = transfer_example.compare(
        sizes=(2,), seeds=(0,), epochs=1, batch_size=10, log=lines.append
    )
    assert set(results) == {(2, "fine-tuned"), (2, "scratch")}
    assert all(0 <= acc <= 1 for accs in results.values() for acc in accs)
    assert len(lines) == 2
    table = transfer_example.format_table(results)
    assert "| 2 (20 images) |" in table


def test_split_per_class_keeps_the_rest_for_validation(transfer_example):
    (x, y), _ = zn.datasets.load_digits(flat=False)
    (xs, ys), (xr, yr) = transfer_example.split_per_class(x, y, 5, seed=2)
    assert len(ys) == 50 and len(yr) == len(y) - 50
    rows = {r.tobytes() for r in xs}
    assert not any(r.tobytes() in rows for r in xr)  # held out: none of the labelled images
    big, labels = transfer_example.resize((xs, ys), 28)
    assert big.shape == (50, 1, 28, 28) and labels is ys


def test_lp_ft_trains_the_head_alone_then_everything(transfer_example):
    model, _ = transfer_example.build(pretrained=True, strategy="lp-ft")
    features = [p for name, p in model.named_parameters() if name.startswith("features.")]
    assert not any(p.requires_grad for p in features)
    assert model.classifier.weight.requires_grad
    callback = transfer_example.UnfreezeAt(model, "features.*", epoch=2)
    callback.on_epoch_begin(1)
    assert not any(p.requires_grad for p in features)
    callback.on_epoch_begin(2)
    assert all(p.requires_grad for p in features)


def test_transfer_example_validates_at_another_size_with_other_weights(transfer_example):
    results = transfer_example.compare(
        sizes=(2,), seeds=(0,), epochs=1, batch_size=10, log=lambda line: None,
        strategy="lp-ft", size=12, validate=True, weights=FASHION_CNN_FILE,
    )  # fmt: skip
    assert all(0 <= acc <= 1 for accs in results.values() for acc in accs)


def test_fashion_cnn_reads_its_channels_from_the_weights_file(tmp_path):
    zn.manual_seed(0)
    small = fashion_cnn_architecture(channels=(4, 8, 6))
    zn.save(small.state_dict(), tmp_path / "small.safetensors")
    assert fashion_cnn_channels(tmp_path / "small.safetensors") == (4, 8, 6)
    model = fashion_cnn(path=tmp_path / "small.safetensors")
    np.testing.assert_array_equal(model.classifier.weight.data, small.classifier.weight.data)
    assert fashion_cnn_channels() == (16, 32, 32)  # the shipped file


# ------------------------------------------------------------------ shrink_weights


def outputs(model, x):
    """(eval-mode, train-mode) outputs of ``model`` on ``x``, running statistics restored."""
    state = {k: v.copy() for k, v in model.state_dict().items()}
    with zn.no_grad():
        evaluated = model.eval()(x).data.copy()
        trained = model.train()(x).data.copy()
    model.load_state_dict(state)
    return evaluated, trained


def weight_rms(layer):
    return float(np.sqrt(np.mean(np.square(layer.weight.data, dtype=np.float64))))


@pytest.mark.parametrize("ratio", [0.1, 0.5])
def test_shrink_weights_keeps_the_pretrained_cnns_outputs(rng, ratio, transfer_example):
    # real trained weights: some running variances are near eps, so eps must scale too
    model = fashion_cnn()
    x = zn.tensor(rng.random((16, 1, 8, 8), dtype=np.float32))
    before = outputs(model, x)
    assert nn.shrink_weights(model, ratio) is model
    for after, ref in zip(outputs(model, x), before):
        np.testing.assert_allclose(after, ref, rtol=1e-4, atol=1e-4 * np.abs(ref).max())
    for i in (0, 4, 8):  # each conv at ratio × its default initialisation's rms
        conv = model.features[i]
        fan_in = conv.weight.data[0].size
        assert weight_rms(conv) == pytest.approx(ratio / np.sqrt(3 * fan_in), rel=1e-5)
    # the head feeds no batch norm and is left alone
    np.testing.assert_array_equal(
        model.classifier.weight.data, fashion_cnn().classifier.weight.data
    )


def test_shrink_weights_linear_before_batchnorm1d_and_no_running_stats(rng, transfer_example):
    for track in (True, False):
        model = nn.Sequential(
            nn.Linear(5, 4),
            nn.BatchNorm1d(4, track_running_stats=track),
            nn.ReLU(),
            nn.Linear(4, 2),
        )
        model[0].weight.data *= 7  # as if grown by training
        x = zn.tensor(rng.standard_normal((8, 5)).astype(np.float32))
        before = outputs(model, x)
        nn.shrink_weights(model, 0.2)
        assert weight_rms(model[0]) == pytest.approx(0.2 / np.sqrt(15), rel=1e-5)
        for after, ref in zip(outputs(model, x), before):
            np.testing.assert_allclose(after, ref, rtol=1e-4, atol=1e-5)


def test_shrink_weights_makes_adam_move_the_weights_relatively_further(rng, transfer_example):
    # the point of shrinking: Adam's step is about lr per weight whatever the weight's size
    grads = rng.standard_normal((4, 1, 3, 3)).astype(np.float32)

    def step_and_size(shrink):
        zn.manual_seed(0)
        model = small_cnn()
        model.features[0].weight.data *= 3
        if shrink:
            nn.shrink_weights(model, 0.1)
        conv = model.features[0]
        before = conv.weight.data.copy()
        optimizer = zn.optim.Adam(model.parameters(), lr=1e-3)
        conv.weight.grad = zn.tensor(grads)
        optimizer.step()
        return np.linalg.norm(conv.weight.data - before), np.linalg.norm(before)

    (step, size), (big_step, big_size) = step_and_size(True), step_and_size(False)
    assert step == pytest.approx(big_step, rel=1e-4)  # the same step ...
    assert big_size > 20 * size  # ... on a weight over 20 times smaller (about 30)


def test_shrink_weights_errors(transfer_example):
    with pytest.raises(ValueError, match="ratio must be positive"):
        nn.shrink_weights(small_cnn(), 0)
    with pytest.raises(ValueError, match="no Conv or Linear followed by a batch norm"):
        model = nn.Sequential(nn.Linear(3, 3), nn.ReLU(), nn.BatchNorm1d(3))
        nn.shrink_weights(model)
