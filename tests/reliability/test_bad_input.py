"""Bad input gets a clear error: the layer or function, what it got, what it expected, the fix.

Attacks every layer with a wrong rank, a wrong width or channel count, integer, text and
object data, a list instead of a Tensor and an empty batch; losses with mismatched shapes
and out-of-range labels; optimizers and the DataLoader with bad settings; and the command
line with missing files, unknown names and an output path it cannot create.
"""

import re

import numpy as np
import pytest
import torch

import zennet as zn
import zennet.functional as F
from tests.reliability.cli import run_cli
from zennet import nn, optim
from zennet.cli import main
from zennet.data import DataLoader, TensorDataset
from zennet.training import Trainer


def floats(*shape):
    return zn.tensor(np.random.default_rng(0).standard_normal(shape).astype(np.float32))


def call(layer, x):
    """Run a layer on x; attention gets x as query, key and value."""
    if type(layer).__name__ == "MultiheadAttention":  # zennet's or PyTorch's
        return layer(x, x, x)[0]
    return layer(x)


# name: (make the layer, a good input shape, a shape of the wrong rank, one of the wrong width)
LAYERS = {
    "Linear": (lambda: nn.Linear(4, 3), (2, 4), (), (2, 5)),
    "BatchNorm1d": (lambda: nn.BatchNorm1d(3), (4, 3), (3,), (4, 5)),
    "BatchNorm2d": (lambda: nn.BatchNorm2d(3), (4, 3, 2, 2), (4, 3), (4, 5, 2, 2)),
    "LayerNorm": (lambda: nn.LayerNorm(4), (2, 4), (), (2, 5)),
    "RNN": (lambda: nn.RNN(4, 5), (3, 2, 4), (4,), (3, 2, 6)),
    "LSTM": (lambda: nn.LSTM(4, 5), (3, 2, 4), (2, 3, 4, 4), (3, 2, 6)),
    "GRU": (lambda: nn.GRU(4, 5), (3, 2, 4), (4,), (3, 2, 6)),
    "MultiheadAttention": (lambda: nn.MultiheadAttention(4, 2), (3, 2, 4), (4,), (3, 2, 5)),
    "TransformerEncoderLayer": (
        lambda: nn.TransformerEncoderLayer(4, 2, dim_feedforward=8),
        (3, 2, 4),
        (4,),
        (3, 2, 5),
    ),
    "Flatten": (lambda: nn.Flatten(), (2, 3, 4), (3,), None),
    "Unflatten": (lambda: nn.Unflatten(1, (2, 3)), (2, 6), (6,), (2, 5)),
    "Dropout": (lambda: nn.Dropout(0.5), (2, 4), None, None),
    "Conv1d": (lambda: nn.Conv1d(2, 3, 3), (4, 2, 8), (8,), (4, 5, 8)),
    "Conv2d": (lambda: nn.Conv2d(2, 3, 3), (4, 2, 6, 6), (6, 6), (4, 5, 6, 6)),
    "ConvTranspose2d": (lambda: nn.ConvTranspose2d(2, 3, 3), (4, 2, 6, 6), (6, 6), (4, 5, 6, 6)),
    "MaxPool2d": (lambda: nn.MaxPool2d(2), (4, 2, 6, 6), (6, 6), None),
    "AvgPool2d": (lambda: nn.AvgPool2d(2), (4, 2, 6, 6), (6, 6), None),
    "MaxPool1d": (lambda: nn.MaxPool1d(2), (4, 2, 8), (8,), None),
    "AdaptiveAvgPool2d": (lambda: nn.AdaptiveAvgPool2d(2), (4, 2, 6, 6), (6, 6), None),
}
TAKE_INTEGERS = ("Flatten", "Unflatten", "MaxPool2d")  # as PyTorch
# MaxPool1d takes integers like MaxPool2d, where PyTorch's max_pool1d has no integer kernel
FLOAT_ONLY = [n for n in LAYERS if n not in TAKE_INTEGERS + ("MaxPool1d",)]


POOL_FUNCTIONS = {  # pooling layers leave the rank check to their function
    "MaxPool2d": "max_pool2d",
    "AvgPool2d": "avg_pool2d",
    "MaxPool1d": "max_pool1d",
    "AdaptiveAvgPool2d": "adaptive_avg_pool2d",
}


def named(layer):
    """The start of an error that names the layer (or the function it calls)."""
    return rf"^({layer}\(|{POOL_FUNCTIONS.get(layer, layer)} )"


def layer_cases(column):
    return [pytest.param(name, id=name) for name, spec in LAYERS.items() if spec[column]]


@pytest.mark.parametrize("name", layer_cases(2))
def test_wrong_rank_names_the_layer_and_the_shape(name):
    make, _, bad, _ = LAYERS[name]
    shape = re.escape(str(tuple(bad)))
    with pytest.raises(ValueError, match=rf"{named(name)}.*(got input .*{shape}.*expected|must)"):
        call(make(), floats(*bad))


@pytest.mark.parametrize("name", layer_cases(3))
def test_wrong_width_or_channels_names_the_layer_and_the_shape(name):
    make, _, _, bad = LAYERS[name]
    shape = re.escape(str(bad))
    with pytest.raises(ValueError, match=rf"^{name}\(.* got (input|query) of shape {shape}"):
        call(make(), floats(*bad))


@pytest.mark.parametrize("name", FLOAT_ONLY)
@pytest.mark.parametrize("dtype", [np.int64, np.uint8, np.bool_])
def test_integer_input_is_refused_with_the_fix(name, dtype):
    """PyTorch refuses Long input to Linear; so do we, saying how to convert it."""
    make, good, _, _ = LAYERS[name]
    x = zn.tensor(np.ones(good, dtype))
    with pytest.raises(TypeError, match=rf"^{name}\(.*dtype {np.dtype(dtype)}.*x\.float\(\)"):
        call(make(), x)


@pytest.mark.parametrize("name", TAKE_INTEGERS)
def test_shape_layers_and_max_pooling_take_integers_as_pytorch_does(name):
    make, good, _, _ = LAYERS[name]
    x = np.arange(np.prod(good)).reshape(good)
    out = call(make(), zn.tensor(x))
    expected = call(torch_twin(name), torch.tensor(x))
    np.testing.assert_array_equal(out.numpy(), expected.numpy())


def test_dropout_passes_integers_in_eval_mode_only():
    x = zn.tensor(np.arange(8).reshape(2, 4))
    np.testing.assert_array_equal(nn.Dropout(0.5).eval()(x).numpy(), x.numpy())
    with pytest.raises(TypeError, match=r"Dropout\(p=0.5\) got input of dtype int64"):
        nn.Dropout(0.5)(x)


@pytest.mark.parametrize("name", list(LAYERS))
@pytest.mark.parametrize("data", [np.array("a"), np.array(None, dtype=object)], ids=["text", "obj"])
def test_text_and_objects_are_refused(name, data):
    make, good, _, _ = LAYERS[name]
    with pytest.raises(TypeError, match=rf"^{name}\(.*does not hold numbers.*np\.float32"):
        call(make(), zn.tensor(np.full(good, data[()], dtype=data.dtype)))


@pytest.mark.parametrize("name", ["Linear", "LayerNorm", "RNN", "Flatten", "BatchNorm1d"])
def test_a_list_is_refused_with_the_fix(name):
    make, good, _, _ = LAYERS[name]
    with pytest.raises(TypeError, match=rf"^{name}\(.*expects a Tensor, got list.*zn\.tensor"):
        call(make(), np.ones(good, np.float32).tolist())


def test_embedding_refuses_floats_and_out_of_range_ids():
    emb = nn.Embedding(10, 3)
    with pytest.raises(TypeError, match=r"Embedding\(num_embeddings=10.*float32.*\.long\(\)"):
        emb(floats(2))
    for bad in (10, -1):
        with pytest.raises(ValueError, match=rf"Embedding\(.*got index {bad}.*0\.\.9"):
            emb(zn.tensor(np.array([1, bad])))


# ------------------------------------------------------------- empty batches


def torch_twin(name):
    """The PyTorch layer of the same name and sizes as LAYERS[name]."""
    return {
        "Linear": lambda: torch.nn.Linear(4, 3),
        "BatchNorm1d": lambda: torch.nn.BatchNorm1d(3),
        "BatchNorm2d": lambda: torch.nn.BatchNorm2d(3),
        "LayerNorm": lambda: torch.nn.LayerNorm(4),
        "RNN": lambda: torch.nn.RNN(4, 5),
        "LSTM": lambda: torch.nn.LSTM(4, 5),
        "GRU": lambda: torch.nn.GRU(4, 5),
        "MultiheadAttention": lambda: torch.nn.MultiheadAttention(4, 2),
        "TransformerEncoderLayer": lambda: torch.nn.TransformerEncoderLayer(4, 2, 8),
        "Flatten": torch.nn.Flatten,
        "Unflatten": lambda: torch.nn.Unflatten(1, (2, 3)),
        "Dropout": lambda: torch.nn.Dropout(0.5),
        "Conv1d": lambda: torch.nn.Conv1d(2, 3, 3),
        "Conv2d": lambda: torch.nn.Conv2d(2, 3, 3),
        "ConvTranspose2d": lambda: torch.nn.ConvTranspose2d(2, 3, 3),
        "MaxPool2d": lambda: torch.nn.MaxPool2d(2),
        "AvgPool2d": lambda: torch.nn.AvgPool2d(2),
        "MaxPool1d": lambda: torch.nn.MaxPool1d(2),
        "AdaptiveAvgPool2d": lambda: torch.nn.AdaptiveAvgPool2d(2),
    }[name]()


@pytest.mark.parametrize("name", list(LAYERS))
def test_an_empty_batch_works_as_in_pytorch(name):
    make, good, _, _ = LAYERS[name]
    batch_axis = 1 if name in ("RNN", "LSTM", "GRU", "MultiheadAttention") else 0
    batch_axis = 1 if name == "TransformerEncoderLayer" else batch_axis
    shape = tuple(0 if i == batch_axis else n for i, n in enumerate(good))
    expected = call(torch_twin(name), torch.zeros(shape))
    expected = expected[0] if isinstance(expected, tuple) else expected
    out = call(make(), floats(*shape))
    out = out[0] if isinstance(out, tuple) else out
    assert tuple(out.shape) == tuple(expected.shape)


def test_batchnorm_keeps_its_running_statistics_on_an_empty_batch():
    bn = nn.BatchNorm1d(3)
    x = zn.tensor(np.zeros((0, 3), np.float32), requires_grad=True)
    bn(x).sum().backward()
    np.testing.assert_array_equal(bn.running_mean.numpy(), np.zeros(3))
    np.testing.assert_array_equal(bn.running_var.numpy(), np.ones(3))
    assert x.grad.shape == (0, 3) and np.all(bn.weight.grad.numpy() == 0)


@pytest.mark.parametrize("layer", [nn.RNN(4, 5), nn.LSTM(4, 5, batch_first=True), nn.GRU(4, 5)])
def test_a_sequence_of_length_zero_is_refused(layer):
    """PyTorch: "Expected sequence length to be larger than 0 in RNN"."""
    shape = (2, 0, 4) if layer.batch_first else (0, 2, 4)
    with pytest.raises(ValueError, match=r"\(input_size=4\) got input of shape .*length 0"):
        layer(floats(*shape))


# --------------------------------------------------------------------- losses

LOGITS = zn.tensor(np.zeros((2, 10), np.float32))


@pytest.mark.parametrize("loss", [F.cross_entropy, F.nll_loss, nn.CrossEntropyLoss(), nn.NLLLoss()])
@pytest.mark.parametrize("label", [10, -1, 11])
def test_a_label_out_of_range_is_refused(loss, label):
    name = "cross_entropy" if "ross" in repr(loss) else "nll_loss"
    with pytest.raises(
        ValueError, match=rf"{name}: target contains label {label} but input has 10 "
    ):
        loss(LOGITS, zn.tensor(np.array([1, label])))


@pytest.mark.parametrize("loss", [F.cross_entropy, F.nll_loss])
def test_ignore_index_labels_are_not_out_of_range(loss):
    assert np.isfinite(loss(LOGITS, zn.tensor(np.array([1, -100]))).item())


@pytest.mark.parametrize("loss", [F.cross_entropy, F.nll_loss])
@pytest.mark.parametrize(
    "target, got",
    [
        (np.array([1, 2, 3]), r"int64 and shape \(3,\)"),
        (np.array([1.0, 2.0]), r"float64 and shape \(2,\).*target\.long\(\)"),
        (np.array(["a", "b"]), r"<U1"),
    ],
)
def test_labels_of_the_wrong_shape_or_type_are_refused(loss, target, got):
    with pytest.raises(ValueError, match=rf"must be class indices.*shape \(2,\).*got .*{got}"):
        loss(LOGITS, zn.tensor(target))


@pytest.mark.parametrize("fn", [F.cross_entropy, F.nll_loss])
def test_integer_logits_are_refused(fn):
    with pytest.raises(TypeError, match=rf"{fn.__name__} got input of dtype int64.*x\.float\(\)"):
        fn(zn.tensor(np.zeros((2, 10), np.int64)), zn.tensor(np.array([1, 2])))


@pytest.mark.parametrize("fn", [F.softmax, F.log_softmax])
def test_softmax_of_integers_is_refused(fn):
    with pytest.raises(TypeError, match=rf"{fn.__name__} got input of dtype int64"):
        fn(zn.tensor(np.ones((2, 3), np.int64)), 1)


@pytest.mark.parametrize(
    "fn",
    [
        F.mse_loss,
        F.l1_loss,
        F.huber_loss,
        F.binary_cross_entropy,
        F.binary_cross_entropy_with_logits,
        F.kl_div,
    ],
)
def test_mismatched_prediction_and_target_shapes_are_refused(fn):
    p, t = zn.tensor(np.full((4, 1), 0.5, np.float32)), zn.tensor(np.full(4, 0.5, np.float32))
    with pytest.raises(ValueError, match=rf"{fn.__name__}: input has shape \(4, 1\) but target "):
        fn(p, t)


def test_probabilities_outside_0_1_are_refused():
    p, t = zn.tensor(np.full(4, 1.5, np.float32)), zn.tensor(np.full(4, 0.5, np.float32))
    with pytest.raises(ValueError, match=r"binary_cross_entropy: .*\[0, 1\].*with_logits"):
        F.binary_cross_entropy(p, t)


# ------------------------------------------------------------------ optimizers

OPTIMIZERS = [optim.SGD, optim.Adam, optim.AdamW, optim.RMSprop, optim.Adagrad]


@pytest.mark.parametrize("cls", OPTIMIZERS)
def test_an_optimizer_without_parameters_is_refused(cls):
    with pytest.raises(ValueError, match=rf"{cls.__name__}: got an empty parameter list"):
        cls(nn.ReLU().parameters(), lr=0.1)


@pytest.mark.parametrize("cls", OPTIMIZERS)
@pytest.mark.parametrize(
    "options, error, match",
    [
        ({"lr": -1}, ValueError, "lr must be >= 0, got -1"),
        ({"lr": float("nan")}, ValueError, "lr must be >= 0, got nan"),
        ({"lr": float("inf")}, ValueError, "lr must be finite"),
        ({"lr": "0.1"}, TypeError, r"lr must be a number, got '0.1' \(str\)"),
        ({"lr": 0.1, "weight_decay": -1}, ValueError, "weight_decay must be >= 0"),
    ],
)
def test_bad_hyperparameters_are_refused(cls, options, error, match):
    with pytest.raises(error, match=rf"{cls.__name__}: {match}"):
        cls([nn.Parameter(np.zeros(3, np.float32))], **options)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda p: optim.Adam(p, betas=(1.0, 0.9)), r"Adam: betas\[0\] must be in \[0, 1\)"),
        (lambda p: optim.Adam(p, betas=(0.9,)), r"Adam: betas must be a pair"),
        (lambda p: optim.SGD(p, lr=0.1, momentum=-1), "SGD: momentum must be >= 0"),
        (lambda p: optim.SGD(p, lr=0.1, nesterov=True), "SGD: Nesterov momentum needs"),
        (lambda p: optim.RMSprop(p, alpha=-1), "RMSprop: alpha must be >= 0"),
    ],
)
def test_bad_optimizer_options_are_refused(make, match):
    with pytest.raises(ValueError, match=match):
        make([nn.Parameter(np.zeros(3, np.float32))])


def test_a_single_tensor_instead_of_a_list_is_refused():
    with pytest.raises(TypeError, match=r"SGD: params must be an iterable.*\[tensor\]"):
        optim.SGD(nn.Parameter(np.zeros(3, np.float32)), lr=0.1)


# ------------------------------------------------------------------ data

DATA = TensorDataset(np.zeros((5, 2)), np.zeros(5))


@pytest.mark.parametrize("size", [0, -1, 2.5, True, "4"])  # None: single samples, as PyTorch
def test_a_bad_batch_size_is_refused(size):
    with pytest.raises(ValueError, match=r"DataLoader: batch_size must be a positive int, got "):
        DataLoader(DATA, batch_size=size)


def test_a_trainer_refuses_text_data_and_a_zero_batch_size():
    trainer = Trainer(nn.Linear(2, 2))
    y = np.zeros(4, np.int64)
    with pytest.raises(TypeError, match=r"Linear\(in_features=2\) .*<U1.*does not hold numbers"):
        trainer.fit(np.full((4, 2), "a"), y, verbose=0)
    with pytest.raises(ValueError, match=r"DataLoader: batch_size must be a positive int, got 0"):
        trainer.fit(np.zeros((4, 2), np.float32), y, batch_size=0, verbose=0)


# ------------------------------------------------------------ command line


def one_error_line(capsys, command):
    """The single stderr line of a failed command, checked to start as CLI errors do."""
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith(f"zennet {command}: error: ")
    return err[0]


@pytest.mark.parametrize(
    "args, match",
    [
        (["--data", "{tmp}/missing.npz"], r"--data .*missing\.npz: no such file"),
        (["--data", "nosuch"], r"Unknown data set 'nosuch'; choose one of digits, fashion-mnist"),
        (["--data", "digit"], r"Unknown data set 'digit'; .*Did you mean 'digits'\? Or give a"),
        (["--model", "nosuch"], r"Unknown model 'nosuch'; choose one of logistic, mlp, cnn"),
        (["--optimizer", "adamm"], r"Unknown optimizer 'adamm'; choose one of .*'adam'\?"),
        (["--out", "{tmp}/file/sub"], r"--out .*file/sub: cannot create .*file is a file\)"),
        (["--out", "{tmp}/file"], r"--out .*file: cannot create the directory .*choose another"),
        (["--epochs", "0"], r"--epochs must be a positive whole number, got 0"),
        (["--batch-size", "-1"], r"--batch-size must be a positive whole number, got -1"),
        (["--lr", "-1"], r"Adam: lr must be >= 0, got -1.0"),
        (["--resume", "{tmp}/none"], r"--resume .*none: no run with a checkpoint there"),
    ],
)
def test_train_with_bad_arguments_prints_one_line(tmp_path, capsys, args, match):
    (tmp_path / "file").write_text("not a directory")
    args = [a.format(tmp=tmp_path) for a in args]
    defaults = ["--epochs", "1", "--quiet"] + (
        ["--out", str(tmp_path / "run")] * ("--out" not in args and "--resume" not in args)
    )
    assert main(["train", *defaults, *args]) == 2
    assert re.search(match, one_error_line(capsys, "train"))


def test_an_unwritable_out_directory_is_refused(tmp_path, capsys, monkeypatch):
    """As root every directory is writable, so the check is made to fail."""
    monkeypatch.setattr("os.access", lambda path, mode: False)
    assert main(["train", "--epochs", "1", "--quiet", "--out", str(tmp_path)]) == 2
    assert "is not writable; choose another" in one_error_line(capsys, "train")


def test_a_data_file_with_nan_or_float_labels_is_refused(tmp_path, capsys):
    x, y = np.ones((4, 3), np.float32), np.arange(4)
    for name, arrays, match in [
        (
            "nan",
            dict(x_train=np.where(np.eye(4, 3) > 0, np.nan, x)),
            r"x_train holds NaN .*sample 0",
        ),
        ("labels", dict(y_train=y.astype(np.float32)), r"y_train must hold class labels"),
        ("lengths", dict(y_test=y[:3]), r"y_test \(3,\) must be"),
        ("missing", dict(x_test=None), r"lacks the arrays \['x_test'\]"),
    ]:
        data = {"x_train": x, "y_train": y, "x_test": x, "y_test": y, **arrays}
        np.savez(tmp_path / f"{name}.npz", **{k: v for k, v in data.items() if v is not None})
        out = tmp_path / f"out-{name}"
        assert main(["train", "--data", str(tmp_path / f"{name}.npz"), "--out", str(out)]) == 2
        assert re.search(match, one_error_line(capsys, "train")), name


@pytest.mark.parametrize("command", ["evaluate", "summary", "predict"])
def test_commands_on_missing_or_foreign_model_files(tmp_path, capsys, command):
    extra = [str(tmp_path / "x.npy")] if command == "predict" else []
    assert main([command, str(tmp_path / "missing.safetensors"), *extra]) == 2
    assert "No such file or directory: " in one_error_line(capsys, command)
    (tmp_path / "foreign.safetensors").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    assert main([command, str(tmp_path / "foreign.safetensors"), *extra]) == 2
    assert "is not a valid zennet/safetensors/npz file: it looks like a PNG image" in (
        one_error_line(capsys, command)
    )


@pytest.mark.parametrize(
    "args, match",
    [
        (["train", "--data", "{tmp}/missing.npz"], "no such file"),
        (["train", "--model", "nosuch"], "Unknown model 'nosuch'"),
        (["train", "--out", "{tmp}/file/run"], "is a file"),
        (["evaluate", "{tmp}/file"], "is not a valid zennet/safetensors/npz file"),
    ],
)
def test_the_installed_command_prints_one_line_and_no_traceback(tmp_path, args, match):
    (tmp_path / "file").write_text("not a directory")
    quiet = ["--quiet"] if args[0] == "train" else []
    result = run_cli(*(a.format(tmp=tmp_path) for a in args), *quiet)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and match in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
