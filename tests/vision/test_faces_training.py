"""A short end-to-end run of examples/faces.py: lfw_faces -> augmentation -> Trainer -> face_cnn."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from zennet.data.datasets.faces import lfw_faces
from zennet.vision import fully_convolutional

pytest.importorskip("skimage")
PATH = Path(__file__).resolve().parents[2] / "examples" / "faces.py"


@pytest.fixture(scope="module")
def example():
    spec = importlib.util.spec_from_file_location("faces_example", PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("arm", ["augmented", "fashion"])
def test_short_training_separates_held_out_faces(example, arm):
    (x, y), (xt, yt) = lfw_faces()
    trainer = example.fit(arm, x, y, epochs=12, seed=0)
    accuracy = trainer.evaluate(example.center_crop(xt), yt)["accuracy"]
    assert accuracy >= 0.9, f"{arm}: held-out accuracy {accuracy}"  # chance is 0.5
    # the trained classifier slides: its FCN scores each 22×22 window of a 25×25 crop
    fcn, stride = fully_convolutional(trainer.model, (1, 22, 22))
    out = fcn(xt[:4].astype(np.float32)).data  # (4, 2, 1, 1): windows at (0, 0) only
    assert out.shape == (4, 2, 1, 1) and stride == 4


def test_augmentation_crops_to_the_window_and_fine_tuning_starts_from_fashion(example, rng):
    x = rng.random((8, 1, 25, 25)).astype(np.float32)
    out, _ = example.augmentation()(x, np.zeros(8), rng)
    assert out.shape == (8, 1, 22, 22) and 0 <= out.min() and out.max() <= 1
    assert example.center_crop(x).shape == (8, 1, 22, 22)
    scratch, fashion = example.build("scratch"), example.build("fashion")
    assert not np.allclose(scratch.features[0].weight.data, fashion.features[0].weight.data)
