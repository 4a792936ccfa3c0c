"""Pretrained models shipped inside the package (weights in zennet/pretrained/*.safetensors).

``fashion_cnn()`` is a small CNN trained on Fashion-MNIST by examples/pretrain_fashion_cnn.py;
``printed_digits_cnn()`` is the ``cnn`` preset for 8×8 digits trained on digits printed in
every installed font (``zn.datasets.rendered_digits``) by examples/pretrain_printed_digits.py.
docs/transfer.md records how they were made, their accuracies and how they transfer to the
handwritten 8×8 digits.
"""

from collections import OrderedDict
from pathlib import Path

from zennet import nn

WEIGHTS_DIR = Path(__file__).resolve().parent
FASHION_CNN_FILE = WEIGHTS_DIR / "fashion_cnn.safetensors"
PRINTED_DIGITS_CNN_FILE = WEIGHTS_DIR / "printed_digits_cnn.safetensors"


def _block(c_in, c_out, pool):
    return [nn.Conv2d(c_in, c_out, 3, padding=1), nn.BatchNorm2d(c_out), nn.ReLU(), pool]


def fashion_cnn_architecture(num_classes=10, channels=(16, 32, 32)):
    """Three Conv3×3(pad 1)-BatchNorm-ReLU blocks, then global average pooling and a Linear.

    (N, 1, H, W) -> (N, num_classes) for any H, W >= 4: the first two blocks halve the
    size with MaxPool2d(2), the third ends in AdaptiveAvgPool2d(1), so 28×28 Fashion-MNIST
    and 8×8 digits (8 → 4 → 2 → 1) pass through the same weights. State-dict keys:

        features.0  Conv2d(1, 16)    features.1  BatchNorm2d(16)   (block 1: features.0-3)
        features.4  Conv2d(16, 32)   features.5  BatchNorm2d(32)   (block 2: features.4-7)
        features.8  Conv2d(32, 32)   features.9  BatchNorm2d(32)   (block 3: features.8-11)
        classifier  Linear(32, num_classes)
    """
    c1, c2, c3 = channels
    features = nn.Sequential(
        *_block(1, c1, nn.MaxPool2d(2)),
        *_block(c1, c2, nn.MaxPool2d(2)),
        *_block(c2, c3, nn.AdaptiveAvgPool2d(1)),
        nn.Flatten(),  # (N, c3, 1, 1) -> (N, c3)
    )
    return nn.Sequential(OrderedDict(features=features, classifier=nn.Linear(c3, num_classes)))


def fashion_cnn(pretrained=True, path=None):
    """The Fashion-MNIST CNN of :func:`fashion_cnn_architecture`, in eval mode.

    With ``pretrained`` the weights come from the shipped file (or ``path``), loaded
    strictly, the architecture's channels read from the file's convolution weights;
    otherwise they are freshly initialised from zennet's generator. For a new task, swap
    the head: ``zn.nn.replace_head(fashion_cnn(), num_classes)``.
    """
    if not pretrained:
        return fashion_cnn_architecture().eval()
    state = _weights(path)
    model = fashion_cnn_architecture(channels=_channels(state))
    model.load_state_dict(state, strict=True)
    return model.eval()


def fashion_cnn_channels(path=None):
    """The per-block channels of a fashion_cnn weights file (the shipped one by default)."""
    return _channels(_weights(path))


_CONVS = ("features.0.weight", "features.4.weight", "features.8.weight")


def _channels(state):
    if not all(key in state for key in _CONVS):
        return (16, 32, 32)  # not this architecture's file: load_state_dict names the keys
    return tuple(int(state[key].shape[0]) for key in _CONVS)


def printed_digits_cnn_architecture(num_classes=10):
    """The ``cnn`` preset of zennet.models for (1, 8, 8) digits: two Conv3×3-BatchNorm-ReLU-
    MaxPool2 blocks (32, 64 channels), then Flatten-Linear(256, 128)-ReLU-Dropout(0.3)-
    Linear(128, num_classes); what ``zennet train --data digits --model cnn`` builds."""
    from zennet.models import build_model

    return build_model("cnn", (1, 8, 8), num_classes)


def printed_digits_cnn(pretrained=True, path=None):
    """The digits ``cnn`` preset trained on printed digits from every installed font, in
    eval mode: (N, 1, 8, 8) images in [0, 1] (UCI counts / 16, as ``load_digits``) ->
    (N, 10) logits for the digits 0-9.

    With ``pretrained`` the weights come from the shipped file (or ``path``), loaded
    strictly; otherwise freshly initialised from zennet's generator. It classifies the
    handwritten digits without having seen one (docs/transfer.md); fine-tune it with
    ``zn.nn.replace_head(model, 10)`` or keep its head.
    """
    model = printed_digits_cnn_architecture()
    if pretrained:
        file = PRINTED_DIGITS_CNN_FILE if path is None else path
        state = _weights(file, "printed_digits_cnn", "pretrain_printed_digits.py")
        model.load_state_dict(state, strict=True)
    return model.eval()


def _weights(path, who="fashion_cnn", script="pretrain_fashion_cnn.py"):
    from zennet.io import load

    file = Path(path) if path is not None else FASHION_CNN_FILE
    if not file.exists():
        raise FileNotFoundError(
            f"{who}: the weights file {file} is missing. Reinstall zennet, or make "
            f"it with `python examples/{script}`."
        )
    return load(file)
