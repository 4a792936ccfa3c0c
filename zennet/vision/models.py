"""The face/non-face classifier: a small CNN that the detector can slide over an image.

Its convolutions have no padding, so the network applied to a large image computes, at each
output position, exactly what it computes on the window there (:mod:`zennet.vision.fcn`).
Its parameters have the shapes and names of ``zn.pretrained.fashion_cnn()``'s, so that
network's weights (or those of the same architecture trained on the digits) load into it
for fine-tuning; only the padding differs.
"""

import json
from collections import OrderedDict

from zennet import nn

# the side of the windows the classifier reads: 22, not the crops' 25, because with three
# unpadded 3×3 convolutions and two 2×2 pools 22 → 20 → 10 → 8 → 4 → 2 uses every pixel
# (25 → 23 → 11 would drop the last row and column at each pool: the window would really be
# 22 pixels anyway, its top-left corner). Training takes 22×22 crops of the 25×25 images.
WINDOW = 22
FACE_MODEL_KEY = "zennet_vision"


def _block(c_in, c_out, pool):
    return [nn.Conv2d(c_in, c_out, 3), nn.BatchNorm2d(c_out), nn.ReLU(), pool]


def face_cnn(num_classes=2, channels=(16, 32, 32)):
    """Three Conv3×3 (no padding)-BatchNorm-ReLU blocks, global average pooling, a Linear.

    (N, 1, 22, 22) -> (N, num_classes): 22 → 20 → 10 (pool) → 8 → 4 (pool) → 2 → 1 (mean).
    Keys as fashion_cnn's: features.0/4/8 the convolutions, features.1/5/9 the batch norms,
    classifier the Linear. 14.5k parameters with the default channels.
    """
    c1, c2, c3 = channels
    features = nn.Sequential(
        *_block(1, c1, nn.MaxPool2d(2)),
        *_block(c1, c2, nn.MaxPool2d(2)),
        *_block(c2, c3, nn.AdaptiveAvgPool2d(1)),
        nn.Flatten(),  # (N, c3, 1, 1) -> (N, c3)
    )
    return nn.Sequential(OrderedDict(features=features, classifier=nn.Linear(c3, num_classes)))


def save_face_model(model, path, channels=(16, 32, 32), window=WINDOW):
    """Save a :func:`face_cnn` with its recipe (channels, window side) as file metadata."""
    from zennet.io import save

    recipe = {"name": "face_cnn", "channels": [int(c) for c in channels], "window": int(window)}
    save(model.state_dict(), path, metadata={FACE_MODEL_KEY: json.dumps(recipe)})


def load_face_model(path):
    """(model in eval mode, window side) from a file written by :func:`save_face_model`;
    None when the file holds no face-model recipe (the caller may try other loaders)."""
    from zennet.io import load

    state, metadata = load(path, return_metadata=True)
    if FACE_MODEL_KEY not in metadata:
        return None
    try:
        recipe = json.loads(metadata[FACE_MODEL_KEY])
        channels = tuple(int(c) for c in recipe["channels"])
        window = int(recipe["window"])
        num_classes = int(state["classifier.weight"].shape[0])
    except (ValueError, KeyError, TypeError) as err:
        raise ValueError(
            f"load_face_model: {path} holds a damaged face-model recipe ({err!r})."
        ) from err
    model = face_cnn(num_classes, channels)
    model.load_state_dict(state)
    return model.eval(), window
