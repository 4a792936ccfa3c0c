"""The shipped printed-digits CNN (zn.pretrained.printed_digits_cnn) and the transfer study
with it as the source (examples/transfer_digits.py --source printed): loading, classifying
handwritten digits it never saw (no training here), the linear probe, the paired table."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import zennet as zn
from zennet import nn
from zennet.pretrained import PRINTED_DIGITS_CNN_FILE, printed_digits_cnn

ROOT = Path(__file__).resolve().parents[2]
# measured by examples/pretrain_printed_digits.py: 0.8886 on these 359 test digits (split
# seed 0), none of them seen in training; chance is 0.1
ZERO_SHOT_MIN_ACCURACY = 0.8


@pytest.fixture(scope="module")
def study():
    path = ROOT / "examples" / "transfer_digits.py"
    spec = importlib.util.spec_from_file_location("transfer_digits", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_shipped_weights_classify_handwritten_digits_without_training():
    model = printed_digits_cnn()
    assert not model.training
    _, (x, y) = zn.datasets.load_digits(flat=False, seed=0)
    with zn.no_grad():
        predicted = model(zn.tensor(x)).data.argmax(axis=1)
    accuracy = float(np.mean(predicted == y))
    assert accuracy > ZERO_SHOT_MIN_ACCURACY
    assert PRINTED_DIGITS_CNN_FILE.stat().st_size < 300_000  # small enough to ship


def test_architecture_is_the_digits_cnn_preset_and_fresh_weights_differ():
    from zennet.models import build_model

    zn.manual_seed(0)
    fresh = printed_digits_cnn(pretrained=False)
    preset = build_model("cnn", (1, 8, 8), 10)
    assert list(fresh.state_dict()) == list(preset.state_dict())
    shipped = printed_digits_cnn().state_dict()
    assert not np.array_equal(fresh.state_dict()["0.weight"], shipped["0.weight"])


def test_missing_weights_file_says_how_to_make_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="pretrain_printed_digits.py"):
        printed_digits_cnn(path=tmp_path / "none.safetensors")


def test_probe_trains_only_the_last_linear_on_both_sides(study):
    for pretrained in (True, False):
        model, optimizer = study.build(pretrained, source="printed", probe=True)
        trainable = [name for name, p in model.named_parameters() if p.requires_grad]
        head = [m for m in model.modules() if isinstance(m, nn.Linear)][-1]
        assert len(trainable) == 2 and all(p.requires_grad for p in head.parameters())
        assert sum(len(g["params"]) for g in optimizer.param_groups) == 2


def test_fine_tuning_keeps_or_replaces_the_printed_head(study):
    state = zn.load(PRINTED_DIGITS_CNN_FILE)
    kept, _ = study.build(True, source="printed", keep_head=True)
    new, _ = study.build(True, source="printed")
    last = [k for k in kept.state_dict() if k.endswith(".weight")][-1]  # the head's
    np.testing.assert_array_equal(kept.state_dict()[last], state[last])
    assert not np.array_equal(new.state_dict()[last], state[last])
    with pytest.raises(ValueError, match="for the fashion source"):
        study.build(True, source="printed", strategy="discriminative")


def test_study_runs_with_the_printed_source_and_reports_paired_errors(study):
    results = study.compare(
        sizes=(1,), seeds=(0, 1), epochs=1, batch_size=10, log=lambda line: None,
        source="printed", validate=True,
    )  # fmt: skip
    assert set(results) == {(1, "fine-tuned"), (1, "scratch")}
    assert all(len(v) == 2 and all(0 <= a <= 1 for a in v) for v in results.values())
    mean, se, won, tied, lost = study.paired(results, 1)
    diff = np.subtract(results[(1, "fine-tuned")], results[(1, "scratch")])
    assert mean == pytest.approx(diff.mean())
    assert se == pytest.approx(abs(diff[0] - diff[1]) / 2)  # std(ddof=1) / sqrt(2)
    assert won + tied + lost == 2
    assert "| 1 (10 images) |" in study.format_table(results)
