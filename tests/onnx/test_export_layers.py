"""zn.onnx.export of the layers of PyTorch's nn surface: each exports (whole by a converter
or op by op through the tracer) and onnxruntime computes what zennet computes (float32,
rtol 1e-4, atol 1e-5) on the example and on a batch of another size."""

import numpy as np
import pytest

import zennet as zn
from tests.onnx.helpers import assert_exports
from zennet import nn


class Pair(nn.Module):
    """A two-input layer applied to (x, x · 0.5 + 1): the model takes one input."""

    def __init__(self, layer):
        super().__init__()
        self.layer = layer

    def forward(self, x):
        return self.layer(x, x * 0.5 + 1)


class Decode(nn.Module):
    """A Transformer (decoder) on x as both source and target, with a causal mask."""

    def __init__(self, layer):
        super().__init__()
        self.layer = layer

    def forward(self, x):
        mask = nn.Transformer.generate_square_subsequent_mask(x.shape[1])
        return self.layer(x, x * 0.5, tgt_mask=mask)


def shape(*dims):
    return lambda rng, n: rng.standard_normal((n, *dims)).astype(np.float32)


SEQ, IMG, IMG3 = shape(4, 6), shape(4, 6, 6), shape(2, 4, 4, 4)
# name -> (layer factory, input)
LAYERS = {
    "Identity": (lambda: nn.Identity(), SEQ),
    "Bilinear": (lambda: Pair(nn.Bilinear(6, 6, 3)), SEQ),
    "LazyLinear": (lambda: nn.Sequential(nn.Linear(6, 6), nn.LazyLinear(3)), SEQ),
    "AdaptiveAvgPool3d": (lambda: nn.AdaptiveAvgPool3d((2, 3, 1)), IMG3),
    "AdaptiveMaxPool3d": (lambda: nn.AdaptiveMaxPool3d((2, 1, 2)), IMG3),
    "Conv3d": (lambda: nn.Conv3d(2, 3, (3, 2, 3), stride=(1, 2, 1), padding=1, dilation=1), IMG3),
    "Conv3d_groups": (lambda: nn.Conv3d(2, 4, 3, padding="same", groups=2), IMG3),
    "Conv3d_no_bias": (lambda: nn.Conv3d(2, 3, 2, bias=False), IMG3),
    "ConvTranspose3d_no_bias": (lambda: nn.ConvTranspose3d(2, 3, 2, bias=False), IMG3),
    "ConvTranspose3d": (
        lambda: nn.ConvTranspose3d(2, 3, 3, stride=2, padding=1, output_padding=1),
        IMG3,
    ),
    "MaxPool3d": (lambda: nn.MaxPool3d(2, stride=1, padding=1, ceil_mode=True), IMG3),
    "AvgPool3d": (lambda: nn.AvgPool3d(3, stride=2, padding=1, count_include_pad=False), IMG3),
    "AvgPool3d_divisor": (lambda: nn.AvgPool3d(2, divisor_override=3), IMG3),
    "BatchNorm3d": (lambda: nn.Sequential(nn.Conv3d(2, 3, 1), nn.BatchNorm3d(3)), IMG3),
    "AdaptiveMaxPool1d": (lambda: nn.AdaptiveMaxPool1d(3), SEQ),
    "AdaptiveMaxPool2d": (lambda: nn.AdaptiveMaxPool2d((3, 2)), IMG),
    "LPPool1d": (lambda: nn.LPPool1d(2, 2), SEQ),
    "LPPool2d": (lambda: nn.LPPool2d(3, 2), shape(4, 6, 6)),
    "Fold_Unfold": (
        lambda: nn.Sequential(nn.Unfold(2, stride=2), nn.Fold((6, 6), 2, stride=2)),
        IMG,
    ),
    "Unfold": (lambda: nn.Unfold(3, padding=1), IMG),
    "PixelShuffle": (lambda: nn.PixelShuffle(2), IMG),
    "PixelUnshuffle": (lambda: nn.PixelUnshuffle(2), IMG),
    "ChannelShuffle": (lambda: nn.ChannelShuffle(2), IMG),
    "Upsample_bicubic": (lambda: nn.Upsample(scale_factor=2, mode="bicubic"), IMG),
    "Upsample_trilinear": (lambda: nn.Upsample(size=(5, 6, 3), mode="trilinear"), IMG3),
    "UpsamplingNearest2d": (lambda: nn.UpsamplingNearest2d(scale_factor=2), IMG),
    "UpsamplingBilinear2d": (lambda: nn.UpsamplingBilinear2d(size=(7, 9)), IMG),
    "interpolate_area": (
        lambda: Apply(lambda x: zn.functional.interpolate(x, (4, 3), mode="area")),
        IMG,
    ),
    "ZeroPad1d": (lambda: nn.ZeroPad1d(2), SEQ),
    "ZeroPad2d": (lambda: nn.ZeroPad2d((1, 0, 2, 1)), IMG),
    "ConstantPad1d": (lambda: nn.ConstantPad1d((1, 2), 3.0), SEQ),
    "ConstantPad2d": (lambda: nn.ConstantPad2d(1, -1.0), IMG),
    "ReflectionPad1d": (lambda: nn.ReflectionPad1d(2), SEQ),
    "ReflectionPad2d": (lambda: nn.ReflectionPad2d((1, 2, 0, 3)), IMG),
    "ReplicationPad1d": (lambda: nn.ReplicationPad1d(3), SEQ),
    "ReplicationPad2d": (lambda: nn.ReplicationPad2d(2), IMG),
    "CircularPad1d": (lambda: nn.CircularPad1d(2), SEQ),
    "CircularPad2d": (lambda: nn.CircularPad2d((1, 1, 2, 0)), IMG),
    "pad_negative": (lambda: Apply(lambda x: zn.functional.pad(x, (-1, 2), mode="replicate")), SEQ),
    "GroupNorm": (lambda: nn.GroupNorm(2, 4), IMG),
    "InstanceNorm1d": (lambda: nn.InstanceNorm1d(4, affine=True), SEQ),
    "InstanceNorm2d": (lambda: nn.InstanceNorm2d(4), IMG),
    "LocalResponseNorm": (lambda: nn.LocalResponseNorm(3), IMG),
    "RMSNorm": (lambda: nn.RMSNorm(6), SEQ),
    "activations": (
        lambda: nn.Sequential(
            nn.PReLU(),
            nn.ReLU6(),
            nn.SELU(),
            nn.CELU(0.5),
            nn.Mish(),
            nn.Hardswish(),
            nn.Hardsigmoid(),
            nn.Hardtanh(-0.5, 0.8),
            nn.Softsign(),
            nn.LogSigmoid(),
            nn.Threshold(0.1, -2.0),
            nn.Tanhshrink(),
            nn.Softshrink(0.3),
            nn.Hardshrink(0.2),
        ),
        shape(4, 6),
    ),
    "Softmin_Softmax2d": (lambda: nn.Sequential(nn.Softmin(1), nn.Softmax2d()), IMG),
    "GLU": (lambda: nn.GLU(), SEQ),
    "TransformerDecoderLayer": (
        lambda: Decode(nn.TransformerDecoderLayer(6, 2, 12, 0.0, batch_first=True)),
        SEQ,
    ),
    "TransformerDecoder": (
        lambda: Decode(
            nn.TransformerDecoder(
                nn.TransformerDecoderLayer(6, 2, 12, 0.0, batch_first=True, norm_first=True), 2
            )
        ),
        SEQ,
    ),
    "Transformer": (lambda: Decode(nn.Transformer(6, 2, 1, 1, 12, 0.0, batch_first=True)), SEQ),
    "MultiheadAttention_cross_masked": (
        lambda: Apply(
            _cross_attention, nn.MultiheadAttention(6, 2, kdim=3, vdim=3, batch_first=True)
        ),
        SEQ,
    ),
    "CosineSimilarity": (lambda: Pair(nn.CosineSimilarity(dim=2)), SEQ),
    "PairwiseDistance": (lambda: Pair(nn.PairwiseDistance()), SEQ),
    "Flatten_Unflatten": (lambda: nn.Sequential(nn.Flatten(), nn.Unflatten(1, (6, 4))), SEQ),
    "dropouts_eval": (lambda: nn.Sequential(nn.AlphaDropout(0.3), nn.Dropout1d(0.3)), SEQ),
    "Dropout3d_eval": (lambda: nn.Dropout3d(0.3), IMG3),
}


class Apply(nn.Module):
    def __init__(self, fn, layer=None):
        super().__init__()
        self.fn, self.layer = fn, layer

    def forward(self, x):
        return self.fn(x) if self.layer is None else self.fn(self.layer, x)


def _cross_attention(attention, x):
    keys = x[..., :3] * 2
    mask = zn.ones(4, 4).triu(1).bool()
    return attention(x, keys, keys, attn_mask=mask, need_weights=False)[0]


@pytest.mark.parametrize("name", list(LAYERS))
def test_layer_exports(tmp_path, rng, name):
    make, data = LAYERS[name]
    model = make()
    x = data(rng, 2)
    model(zn.tensor(x))  # LazyLinear takes its shape
    for p in model.parameters():  # ones and zeros would hide mistakes
        p.data[...] += 0.1 * rng.standard_normal(p.shape).astype(p.dtype)
    assert_exports(model, x, data(rng, 5), tmp_path)


def test_embedding_bag_is_refused_not_exported_wrong(tmp_path, rng):
    """EmbeddingBag picks its rows with NumPy from the ids: no op of the trace reads the
    input, so the graph would be a constant. onnxruntime's check refuses it."""
    path = tmp_path / "model.onnx"
    with pytest.raises(ValueError, match="exported graph gives another output 0 than the model"):
        zn.onnx.export(nn.EmbeddingBag(10, 3), rng.integers(0, 10, (2, 4)), path)
    assert not path.exists()


def test_embedding_with_max_norm_is_refused_by_name(tmp_path, rng):
    """max_norm rescales the rows it reads in place: no ONNX graph does that."""
    path = tmp_path / "model.onnx"
    model = nn.Sequential(nn.Embedding(10, 4, max_norm=1.0))
    with pytest.raises(
        ValueError, match=r"embedding at .*embedding.py:\d+ in forward: embedding with max_norm"
    ):
        zn.onnx.export(model, rng.integers(0, 10, (2, 3)), path)
    assert not path.exists()
    assert_exports(
        nn.Sequential(nn.Embedding(10, 4)),
        rng.integers(0, 10, (2, 3)),
        rng.integers(0, 10, (5, 3)),
        tmp_path,
    )
