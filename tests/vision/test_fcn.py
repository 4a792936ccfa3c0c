from collections import OrderedDict

import numpy as np
import pytest

import zennet as zn
from zennet import nn
from zennet.tensor import Tensor
from zennet.vision import face_cnn, fully_convolutional, sliding_window_outputs


def randomize_batch_norms(model, rng):
    """Running statistics and affine parameters far from their defaults, so that eval-mode
    batch norm is not the identity in the comparison."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            c = m.num_features
            m.running_mean.data[...] = rng.normal(0, 0.5, c)
            m.running_var.data[...] = rng.uniform(0.5, 2, c)
            m.weight.data[...] = rng.normal(1, 0.3, c)
            m.bias.data[...] = rng.normal(0, 0.3, c)
    return model


def dense_head_cnn():
    """Conv-ReLU-MaxPool-Conv-ReLU, then Flatten and two Linear layers (a classic head)."""
    return nn.Sequential(
        OrderedDict(
            features=nn.Sequential(
                nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 6, 3), nn.Tanh()
            ),
            head=nn.Sequential(
                nn.Flatten(), nn.Linear(6 * 4 * 4, 8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 3)
            ),
        )
    )


@pytest.mark.parametrize("height, width", [(22, 22), (30, 41), (61, 70), (25, 25)])
def test_face_cnn_fcn_equals_sliding_window_classifier(rng, height, width):
    model = randomize_batch_norms(face_cnn(), rng)
    image = rng.random((1, height, width)).astype(np.float32)
    fcn, stride = fully_convolutional(model, (1, 22, 22))
    assert stride == 4
    out = fcn(Tensor(image[None])).data[0]  # (2, rows, cols)
    reference = sliding_window_outputs(model, image, (22, 22), stride)
    assert out.shape == reference.shape == (2, (height - 22) // 4 + 1, (width - 22) // 4 + 1)
    np.testing.assert_allclose(out, reference, rtol=1e-5, atol=1e-5)


def test_dense_head_becomes_convolutions_with_the_same_outputs(rng):
    model = dense_head_cnn()  # window 14: 14 -> 12 -> 6 -> 4; stride 2
    model.features[0].weight.data *= 3
    image = rng.normal(size=(1, 27, 20)).astype(np.float32)
    fcn, stride = fully_convolutional(model, (1, 14, 14))
    assert stride == 2
    assert [type(m).__name__ for m in fcn][-4:] == ["Conv2d", "ReLU", "Dropout", "Conv2d"]
    out = fcn(Tensor(image[None])).data[0]
    reference = sliding_window_outputs(model, image, (14, 14), stride)
    assert out.shape == reference.shape == (3, 7, 4)
    np.testing.assert_allclose(out, reference, rtol=1e-5, atol=1e-5)


def test_fcn_shares_the_convolution_weights(rng):
    model = face_cnn()
    fcn, _ = fully_convolutional(model, (1, 22, 22))
    assert fcn[0] is model.features[0]
    np.testing.assert_array_equal(fcn[-1].weight.data[:, :, 0, 0], model.classifier.weight.data)


def test_padded_layers_are_refused():
    model = zn.pretrained.fashion_cnn(pretrained=False)  # Conv2d(padding=1)
    with pytest.raises(ValueError, match=r"Conv2d has padding=\(1, 1\).*padding=0"):
        fully_convolutional(model, (1, 22, 22))


def test_unsupported_layers_are_named():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.LayerNorm(32), nn.Linear(32, 2))
    with pytest.raises(ValueError, match="cannot turn LayerNorm into a convolution"):
        fully_convolutional(model, (1, 6, 6))
    with pytest.raises(ValueError, match="Sequential models, got Conv2d"):
        fully_convolutional(nn.Conv2d(1, 2, 3), (1, 6, 6))
    with pytest.raises(ValueError, match=r"Linear\(in_features=96\) cannot read the \(6, 3, 3\)"):
        fully_convolutional(dense_head_cnn(), (1, 12, 12))
    with pytest.raises(ValueError, match="must end in Flatten and Linear"):
        fully_convolutional(nn.Sequential(nn.Conv2d(1, 2, 3)), (1, 6, 6))


def test_unequal_strides_are_refused():
    model = nn.Sequential(nn.Conv2d(1, 2, 3, stride=(1, 2)), nn.Flatten(), nn.Linear(2 * 4 * 2, 2))
    with pytest.raises(ValueError, match=r"Conv2d has stride \(1, 2\)"):
        fully_convolutional(model, (1, 6, 6))
