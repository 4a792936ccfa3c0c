"""zn.onnx.export of convolution, pooling and resizing layers: onnxruntime computes what
zennet computes (float32, rtol 1e-4, atol 1e-5), with the batch size left dynamic."""

import numpy as np
import pytest

import zennet as zn
from tests.onnx.helpers import assert_exports
from zennet import nn


def randn(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


def test_cnn(tmp_path, rng):
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(4, 6, 3, padding="same", bias=False),
        nn.ReLU(),
        nn.AvgPool2d(2),
        nn.Flatten(),
        nn.Dropout(0.3),
        nn.Linear(6 * 2 * 2, 3),
    )
    x = randn(rng, 4, 1, 8, 8)
    model.train()
    model(zn.tensor(x))  # running statistics away from 0 and 1
    proto = assert_exports(model, x, randn(rng, 7, 1, 8, 8), tmp_path)
    ops = [node.op_type for node in proto.graph.node]
    assert ops[:4] == ["Conv", "BatchNormalization", "Relu", "MaxPool"]
    assert {"0.weight", "1.running_var", "4.weight", "9.bias"} <= {
        i.name for i in proto.graph.initializer
    }


def test_cnn_with_global_average_pooling_and_upsampling(tmp_path, rng):
    model = nn.Sequential(
        nn.Conv2d(3, 4, 3, stride=2, groups=1),
        nn.Upsample(scale_factor=2, mode="bilinear"),
        nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1),
        nn.SiLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
    )
    assert_exports(model, randn(rng, 2, 3, 9, 9), randn(rng, 5, 3, 9, 9), tmp_path)


CONVOLUTIONS = {
    "plain": lambda: nn.Conv2d(4, 6, 3),
    "stride_padding": lambda: nn.Conv2d(4, 6, 3, stride=2, padding=1),
    "same_dilated": lambda: nn.Conv2d(4, 6, 3, padding="same", dilation=2),
    "same_even_kernel": lambda: nn.Conv2d(4, 6, 4, padding="same"),
    "valid_no_bias": lambda: nn.Conv2d(4, 6, 3, padding="valid", bias=False),
    "groups_rectangular": lambda: nn.Conv2d(4, 6, (3, 2), stride=(1, 2), padding=(0, 1), groups=2),
    "depthwise": lambda: nn.Conv2d(4, 4, 3, groups=4, dilation=(2, 1)),
    "conv1d": lambda: nn.Conv1d(4, 6, 3, stride=2, padding=2, dilation=2),
    "conv1d_same": lambda: nn.Conv1d(4, 6, 4, padding="same"),
    "transposed": lambda: nn.ConvTranspose2d(4, 6, 3),
    "transposed_stride": lambda: nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1),
    "transposed_groups": lambda: nn.ConvTranspose2d(4, 6, 3, groups=2, dilation=2, bias=False),
    "transposed_1d": lambda: nn.ConvTranspose1d(4, 6, 3, stride=3, output_padding=2),
}


@pytest.mark.parametrize("name", list(CONVOLUTIONS))
def test_convolutions(tmp_path, rng, name):
    layer = CONVOLUTIONS[name]()
    spatial = (7, 8) if "2d" in type(layer).__name__ else (9,)
    assert_exports(layer, randn(rng, 2, 4, *spatial), randn(rng, 3, 4, *spatial), tmp_path)


POOLS = [
    (nn.MaxPool2d, dict(kernel_size=2)),
    (nn.MaxPool2d, dict(kernel_size=3, stride=2, padding=1)),
    (nn.MaxPool2d, dict(kernel_size=3, stride=2, padding=1, dilation=2)),
    (nn.MaxPool1d, dict(kernel_size=2, stride=2, padding=1, ceil_mode=True)),
    (nn.AvgPool2d, dict(kernel_size=3, stride=2, padding=1)),
    (nn.AvgPool2d, dict(kernel_size=3, stride=2, padding=1, count_include_pad=False)),
    (nn.AvgPool1d, dict(kernel_size=3, stride=2)),
]
CEIL_CASES = [(2, 2, 1), (3, 2, 1), (3, 3, 1), (2, 3, 0), (3, 2, 0), (4, 3, 2)]


@pytest.mark.parametrize("pool, kwargs", POOLS, ids=lambda p: getattr(p, "__name__", ""))
def test_pooling(tmp_path, rng, pool, kwargs):
    model = pool(**kwargs)
    spatial = (7, 6) if pool.__name__.endswith("2d") else (7,)
    assert_exports(model, randn(rng, 2, 3, *spatial), randn(rng, 1, 3, *spatial), tmp_path)


@pytest.mark.parametrize("kernel, stride, padding", CEIL_CASES)
@pytest.mark.parametrize("size", [5, 6, 7])
def test_ceil_mode_drops_windows_starting_in_the_padding(tmp_path, rng, kernel, stride,
                                                         padding, size):  # fmt: skip
    """PyTorch's ceil_mode keeps a last window only if it starts inside the input or the left
    padding, and count_include_pad counts padding up to the padded border only."""
    x, other = randn(rng, 2, 2, size, size + 1), randn(rng, 1, 2, size, size + 1)
    for model in (
        nn.MaxPool2d(kernel, stride, padding, ceil_mode=True),
        nn.AvgPool2d(kernel, stride, padding, ceil_mode=True),
        nn.AvgPool2d(kernel, stride, padding, ceil_mode=True, count_include_pad=False),
    ):
        assert_exports(model, x, other, tmp_path)


@pytest.mark.parametrize("output_size", [1, (1, 1), 2, (3, None), (None, 7), (4, 5)])
def test_adaptive_average_pooling(tmp_path, rng, output_size):
    """Divisible sizes use AveragePool; PyTorch's overlapping windows become matrices."""
    model = nn.AdaptiveAvgPool2d(output_size)
    proto = assert_exports(model, randn(rng, 2, 3, 6, 7), randn(rng, 3, 3, 6, 7), tmp_path)
    assert (proto.graph.node[0].op_type == "GlobalAveragePool") == (output_size in (1, (1, 1)))
    pooled = nn.AdaptiveAvgPool1d(4)
    assert_exports(pooled, randn(rng, 2, 3, 6), randn(rng, 1, 3, 6), tmp_path)


UPSAMPLES = [
    dict(scale_factor=2),
    dict(scale_factor=(2, 3)),
    dict(scale_factor=0.5),
    dict(scale_factor=1.5),
    dict(size=(5, 7)),
    dict(scale_factor=2, mode="bilinear"),
    dict(size=(5, 9), mode="bilinear"),
    dict(size=(1, 9), mode="bilinear"),
    dict(scale_factor=2, mode="bilinear", align_corners=True),
    dict(scale_factor=1.7, mode="bilinear", recompute_scale_factor=True),
]


@pytest.mark.parametrize("kwargs", UPSAMPLES, ids=str)
def test_upsample(tmp_path, rng, kwargs):
    model = nn.Upsample(**kwargs)
    assert_exports(model, randn(rng, 2, 3, 4, 5), randn(rng, 1, 3, 4, 5), tmp_path)


def test_upsample_1d(tmp_path, rng):
    for model in (nn.Upsample(scale_factor=2), nn.Upsample(size=7, mode="linear")):
        assert_exports(model, randn(rng, 2, 3, 4), randn(rng, 3, 3, 4), tmp_path)


def test_divisor_override_and_refusal_of_unbatched_input(tmp_path, rng):
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.AvgPool2d(2, divisor_override=3, ceil_mode=True))
    assert_exports(model, randn(rng, 2, 1, 7, 7), randn(rng, 3, 1, 7, 7), tmp_path)
    with pytest.raises(ValueError, match=r"Conv2d '0'.*shape \(1, 6, 6\).*batched 4-D"):
        zn.onnx.export(model[:1], np.ones((1, 6, 6), np.float32), tmp_path / "m.onnx",
                       dynamic_batch=False)  # fmt: skip
    assert list(tmp_path.iterdir()) == [tmp_path / "model.onnx"]
