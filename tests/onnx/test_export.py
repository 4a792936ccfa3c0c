"""zn.onnx.export: onnxruntime computes what zennet computes (float32, rtol 1e-4, atol 1e-5)
for every supported layer, with the batch size left dynamic; the rest is refused clearly."""

import re
import subprocess
import sys

import numpy as np
import onnx
import pytest

import zennet as zn
from tests.onnx.helpers import assert_exports
from zennet import nn


def randn(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


ACTIVATIONS = {
    "relu": nn.ReLU(),
    "leaky_relu": nn.LeakyReLU(0.2),
    "elu": nn.ELU(0.7),
    "gelu": nn.GELU(),
    "gelu_tanh": nn.GELU("tanh"),
    "silu": nn.SiLU(),
    "sigmoid": nn.Sigmoid(),
    "tanh": nn.Tanh(),
    "softplus": nn.Softplus(),
    "softplus_beta_threshold": nn.Softplus(beta=2.0, threshold=1.0),
    "softmax": nn.Softmax(dim=1),
    "log_softmax": nn.LogSoftmax(dim=-1),
}


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_mlp_with_each_activation(tmp_path, rng, name):
    model = nn.Sequential(nn.Linear(5, 7), ACTIVATIONS[name], nn.Linear(7, 3))
    assert_exports(model, randn(rng, 4, 5) * 3, randn(rng, 9, 5) * 3, tmp_path)


def test_mlp_with_every_activation_dropout_and_identity(tmp_path, rng):
    layers = [nn.Linear(6, 6)]
    for activation in ACTIVATIONS.values():
        layers += [activation, nn.Dropout(0.5), nn.Linear(6, 6)]
    model = nn.Sequential(*layers, nn.Identity()).train()  # exported in eval mode
    model[2].train(False)
    zn.onnx.export(model, randn(rng, 2, 6), tmp_path / "m.onnx")
    assert [m.training for m in model.modules()] == [True, True, True, False] + [True] * 35
    proto = assert_exports(model, randn(rng, 2, 6), randn(rng, 5, 6), tmp_path)
    assert [i.name for i in proto.graph.initializer][:2] == ["0.weight", "0.bias"]


def test_linear_on_sequences_and_unbatched_input(tmp_path, rng):
    model = nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 2, bias=False))
    assert_exports(model, randn(rng, 2, 3, 4), randn(rng, 1, 3, 4), tmp_path)
    assert_exports(model, randn(rng, 4), randn(rng, 4), tmp_path, dynamic_batch=False)


def trained(model, x):
    """A few training-mode passes, so BatchNorm's running statistics are not 0 and 1."""
    model.train()
    for _ in range(3):
        model(zn.tensor(x))
    return model


@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_1d_and_2d(tmp_path, rng, affine):
    mlp = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6, affine=affine), nn.ReLU())
    x = randn(rng, 8, 4) * 2 + 1
    assert_exports(trained(mlp, x), x, randn(rng, 3, 4), tmp_path)
    sequences = nn.Sequential(nn.BatchNorm1d(3, affine=affine, eps=1e-3))
    x = randn(rng, 4, 3, 5) + 2
    assert_exports(trained(sequences, x), x, randn(rng, 2, 3, 5), tmp_path)
    images = nn.Sequential(nn.BatchNorm2d(3, affine=affine), nn.Flatten())
    x = randn(rng, 4, 3, 2, 2) * 3
    assert_exports(trained(images, x), x, randn(rng, 1, 3, 2, 2), tmp_path)


def test_layer_norm_flatten_unflatten(tmp_path, rng):
    model = nn.Sequential(
        nn.Linear(6, 12),
        nn.Unflatten(1, (3, 4)),
        nn.LayerNorm(4),
        nn.LayerNorm((3, 4), elementwise_affine=False),
        nn.LayerNorm(4, bias=False, eps=1e-3),
        nn.Flatten(),
        nn.Linear(12, 2),
    )
    for layer in (model[2], model[4]):
        layer.weight.data[...] = randn(rng, 4)
    model[2].bias.data[...] = randn(rng, 4)
    assert_exports(model, randn(rng, 3, 6), randn(rng, 7, 6), tmp_path)


def test_flatten_of_middle_dims(tmp_path, rng):
    model = nn.Sequential(nn.Flatten(1, 2), nn.Linear(4, 3), nn.Flatten(0, 1))
    assert_exports(model, randn(rng, 2, 2, 2, 4), randn(rng, 5, 2, 2, 4), tmp_path)


def test_embedding(tmp_path, rng):
    model = nn.Sequential(nn.Embedding(10, 4, padding_idx=0), nn.Flatten(), nn.Linear(12, 2))
    ids = rng.integers(0, 10, size=(3, 3))
    proto = assert_exports(model, ids, rng.integers(0, 10, size=(6, 3)), tmp_path)
    assert proto.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.INT64


@pytest.mark.parametrize("mode", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_recurrent_layers(tmp_path, rng, mode, batch_first, bidirectional):
    model = getattr(nn, mode)(3, 4, num_layers=2, batch_first=batch_first,
                              bidirectional=bidirectional, dropout=0.5)  # fmt: skip
    shapes = ((2, 5, 3), (6, 5, 3)) if batch_first else ((5, 2, 3), (5, 6, 3))
    x, other = (randn(rng, *s) for s in shapes)
    proto = assert_exports(model, x, other, tmp_path)
    names = ["output", "output_1", "output_2"][: 3 if mode == "LSTM" else 2]
    assert [o.name for o in proto.graph.output] == names
    dims = [d.dim_param or d.dim_value for d in proto.graph.output[1].type.tensor_type.shape.dim]
    assert dims == [2 * (1 + bidirectional), "batch", 4]  # h_n (layers·directions, batch, H)


def test_recurrent_variants(tmp_path, rng):
    relu_rnn = nn.RNN(3, 4, nonlinearity="relu", bidirectional=True, batch_first=True)
    assert_exports(relu_rnn, randn(rng, 2, 5, 3), randn(rng, 1, 5, 3), tmp_path)
    no_bias = nn.GRU(3, 4, bias=False)
    assert_exports(no_bias, randn(rng, 5, 2, 3), randn(rng, 5, 3, 3), tmp_path)


def test_embedding_then_lstm_names_its_outputs(tmp_path, rng):
    model = nn.Sequential(nn.Embedding(12, 4), nn.LSTM(4, 5, batch_first=True))
    ids, other = rng.integers(0, 12, size=(2, 6)), rng.integers(0, 12, size=(3, 6))
    proto = assert_exports(model, ids, other, tmp_path, output_names=("y", "h", "c"))
    assert [o.name for o in proto.graph.output] == ["y", "h", "c"]


def self_attention(model, x):
    return model(x, x, x, need_weights=False)[0]


@pytest.mark.parametrize("batch_first", [True, False])
def test_multihead_self_attention(tmp_path, rng, batch_first):
    model = nn.MultiheadAttention(8, 2, dropout=0.3, batch_first=batch_first)
    model.in_proj_bias.data[...] = randn(rng, 24)
    x, other = randn(rng, 2, 5, 8), randn(rng, 3, 5, 8)
    if not batch_first:
        x, other = x.transpose(1, 0, 2).copy(), other.transpose(1, 0, 2).copy()
    assert_exports(model, x, other, tmp_path, run=self_attention)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(batch_first=True),
        dict(batch_first=False, norm_first=True, activation="gelu"),
        dict(batch_first=True, norm_first=True, bias=False),
    ],
    ids=["post_norm", "pre_norm_gelu_seq_first", "pre_norm_no_bias"],
)
def test_transformer_encoder_layer(tmp_path, rng, kwargs):
    layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, **kwargs)
    for p in layer.parameters():  # LayerNorm's ones and zeros would hide mistakes
        p.data[...] += 0.1 * randn(rng, *p.shape)
    x, other = randn(rng, 2, 4, 8), randn(rng, 3, 4, 8)
    if not kwargs["batch_first"]:
        x, other = x.transpose(1, 0, 2).copy(), other.transpose(1, 0, 2).copy()
    assert_exports(layer, x, other, tmp_path)


def test_transformer_encoder_with_embedding_and_head(tmp_path, rng):
    layer = nn.TransformerEncoderLayer(8, 4, dim_feedforward=16, batch_first=True)
    model = nn.Sequential(
        nn.Embedding(20, 8),
        nn.TransformerEncoder(layer, num_layers=2, norm=nn.LayerNorm(8)),
        nn.Flatten(),
        nn.Linear(24, 2),
    )
    ids, other = rng.integers(0, 20, size=(2, 3)), rng.integers(0, 20, size=(5, 3))
    assert_exports(model, ids, other, tmp_path)


@pytest.mark.parametrize("batch_first", [True, False])
def test_positional_encodings(tmp_path, rng, batch_first):
    model = nn.Sequential(
        nn.Linear(3, 8),
        nn.SinusoidalPositionalEncoding(8, max_len=10, dropout=0.5, batch_first=batch_first),
        nn.LearnedPositionalEncoding(10, 8, dropout=0.5, batch_first=batch_first),
    )
    shapes = ((2, 4, 3), (5, 4, 3)) if batch_first else ((4, 2, 3), (4, 5, 3))
    proto = assert_exports(model, *(randn(rng, *s) for s in shapes), tmp_path)
    assert "2.weight" in {i.name for i in proto.graph.initializer}


def test_other_opsets_and_fixed_batch(tmp_path, rng):
    model = nn.Sequential(nn.Linear(3, 4), nn.LayerNorm(4), nn.GELU())
    x = randn(rng, 2, 3)
    proto = assert_exports(model, x, randn(rng, 4, 3), tmp_path, opset=18)
    assert proto.opset_import[0].version == 18
    zn.onnx.export(model, x, tmp_path / "fixed.onnx", dynamic_batch=False)
    dims = onnx.load(str(tmp_path / "fixed.onnx")).graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_value for d in dims] == [2, 3]


def test_float64_models_and_inputs_cast_to_the_model_dtype(tmp_path, rng):
    # onnxruntime's CPU kernels lack float64 Erf (GELU) and Softplus: this model avoids them
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.LayerNorm(4, elementwise_affine=False))
    x = rng.standard_normal((2, 3))  # float64, exported as the model's float32
    proto = assert_exports(model, x.astype(np.float32), randn(rng, 1, 3), tmp_path)
    zn.onnx.export(model, x, tmp_path / "from64.onnx")
    assert onnx.load(str(tmp_path / "from64.onnx")).graph == proto.graph
    for p in model.parameters():
        p.data = p.data.astype(np.float64)
    proto = assert_exports(model, x, rng.standard_normal((4, 3)), tmp_path)
    assert proto.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.DOUBLE


# ----------------------------------------------------------------- refusals


class Residual(zn.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        return x + self.fc(x)


class ScaledLinear(nn.Linear):
    def forward(self, x):
        return 2 * super().forward(x)


class Unsupported(zn.nn.Module):
    """A custom forward() with ops ONNX lacks (kthvalue, cumprod) and a value read with NumPy."""

    def __init__(self, numpy_read=False):
        super().__init__()
        self.fc, self.residual, self.numpy_read = nn.Linear(4, 4), Residual(), numpy_read

    def forward(self, x):
        y = self.fc(x)
        if self.numpy_read:
            return y * float(y.data.max())  # invisible to the tracer: refused, not baked in
        return y.kthvalue(2, dim=-1).values + y.cumprod(-1).sum(-1) + self.residual(y).sum(-1)


def test_a_custom_forward_exports_by_tracing(tmp_path, rng):
    model = nn.Sequential(Residual(), nn.ReLU(), ScaledLinear(4, 3))
    x = rng.standard_normal((2, 4)).astype(np.float32)
    proto = assert_exports(model, x, rng.standard_normal((5, 4)).astype(np.float32), tmp_path)
    assert {"0.fc.weight", "2.weight"} <= {i.name for i in proto.graph.initializer}


def test_unsupported_ops_are_all_listed_and_nothing_is_written(tmp_path):
    path = tmp_path / "model.onnx"
    path.write_bytes(b"the previous model")
    with pytest.raises(ValueError, match="2 op.s. cannot be exported") as error:
        zn.onnx.export(Unsupported(), np.ones((2, 4), np.float32), path)
    message = str(error.value)
    for expected in (
        r"kthvalue at .*test_export.py:\d+ in forward: computed outside the graph",
        r"CumProd at .*test_export.py:\d+ in forward: no ONNX equivalent",
    ):
        assert re.search(expected, message), expected
    with pytest.raises(ValueError, match=r"(?s)1 op.*Mul at .*test_export.py:\d+ in forward: an "
                       r"argument changes with another batch size or other values"):  # fmt: skip
        zn.onnx.export(Unsupported(numpy_read=True), np.ones((2, 4), np.float32), path)
    assert list(tmp_path.iterdir()) == [path] and path.read_bytes() == b"the previous model"


def test_bad_arguments(tmp_path):
    model, x = nn.Linear(2, 2), np.ones((1, 2), np.float32)
    with pytest.raises(ValueError, match="opset must be an int from 17"):
        zn.onnx.export(model, x, tmp_path / "m.onnx", opset=13)
    with pytest.raises(ValueError, match="dynamic_batch must be True, False or an axis"):
        zn.onnx.export(model, x, tmp_path / "m.onnx", dynamic_batch=5)
    with pytest.raises(ValueError, match="takes one input"):
        zn.onnx.export(model, x, tmp_path / "m.onnx", input_names=("a", "b"))
    with pytest.raises(ValueError, match="names must all differ.*'x'.*\\['x'\\]"):
        zn.onnx.export(model, x, tmp_path / "m.onnx", input_names="x", output_names="x")
    with pytest.raises(TypeError, match="expected a zennet nn.Module"):
        zn.onnx.export(lambda x: x, x, tmp_path / "m.onnx")
    with pytest.raises(ValueError, match=r"LSTM 'lstm'.* unbatched .*3-D example input"):
        zn.onnx.export(nn.Sequential({"lstm": nn.LSTM(2, 3)}), x, tmp_path / "m.onnx")
    assert list(tmp_path.iterdir()) == []


def test_missing_onnx_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)  # makes `import onnx` raise ImportError
    with pytest.raises(ImportError, match=r"pip install zennet\[onnx\]"):
        zn.onnx.export(nn.Linear(2, 2), np.ones((1, 2), np.float32), "unused.onnx")


def test_importing_zennet_does_not_import_onnx():
    code = "import sys, zennet; print('onnx' in sys.modules, zennet.onnx.export.__name__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.split() == ["False", "export"], out.stderr
