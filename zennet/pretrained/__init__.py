"""Pretrained models shipped inside the package (weights in zennet/pretrained/*.safetensors).

``fashion_cnn()`` is a small CNN trained on Fashion-MNIST by examples/pretrain_fashion_cnn.py;
docs/transfer.md records how it was made, its test accuracy and how it transfers to the
8×8 digits.
"""

from collections import OrderedDict
from pathlib import Path

from zennet import nn

WEIGHTS_DIR = Path(__file__).resolve().parent
FASHION_CNN_FILE = WEIGHTS_DIR / "fashion_cnn.safetensors"


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


def _weights(path):
    from zennet.io import load

    file = Path(path) if path is not None else FASHION_CNN_FILE
    if not file.exists():
        raise FileNotFoundError(
            f"fashion_cnn: the weights file {file} is missing. Reinstall zennet, or make "
            f"it with `python examples/pretrain_fashion_cnn.py`."
        )
    return load(file)
