import numpy as np
import pytest
import torch

import zennet as zn
from zennet import nn
from zennet.vision import (
    box_iou,
    detect,
    face_cnn,
    image_pyramid,
    load_face_model,
    pyramid_scales,
    resize,
    save_face_model,
)


@pytest.mark.parametrize("size", [(16, 16), (10, 7), (40, 45), (5, 33)])
def test_resize_matches_torch_antialiased_bilinear(rng, size):
    image = rng.random((2, 32, 36)).astype(np.float32)
    expected = torch.nn.functional.interpolate(
        torch.from_numpy(image)[None], size=size, mode="bilinear", antialias=True
    )[0].numpy()
    out = resize(image, size)
    assert out.shape == (2, *size) and out.dtype == np.float32
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)


def test_resize_keeps_a_constant_image_and_the_same_size_is_identity(rng):
    np.testing.assert_allclose(resize(np.full((9, 13), 0.3), (4, 5)), 0.3)
    image = rng.random((7, 8))
    np.testing.assert_allclose(resize(image, (7, 8)), image)


def test_pyramid_scales_and_levels():
    scales = pyramid_scales(100, 80, 20, factor=2)  # object sizes 20, 40, 80
    np.testing.assert_allclose(scales, [1, 0.5, 0.25])
    levels = image_pyramid(np.zeros((1, 100, 80)), scales)
    assert [level.shape for _, level in levels] == [(1, 100, 80), (1, 50, 40), (1, 25, 20)]
    np.testing.assert_allclose(pyramid_scales(100, 80, 20, 2, min_size=10, max_size=30), [2, 1])
    with pytest.raises(ValueError, match="factor must be > 1"):
        pyramid_scales(100, 80, 20, factor=1)
    with pytest.raises(ValueError, match="leave no object size"):
        pyramid_scales(100, 80, 20, min_size=50, max_size=30)


TEMPLATE = np.pad(np.ones((14, 14), dtype=np.float32), 4)  # 22×22: a bright square, dark ring


def template_model():
    """p(face) = sigmoid(200·(s − 0.36)) with s = Σ (T − ½)·x / Σ |T − ½|, the window x
    matched against TEMPLATE: s = 0.405 on the template itself, ≤ 0.35 shifted by a pixel."""
    model = nn.Sequential(nn.Conv2d(1, 1, 22), nn.Flatten(), nn.Linear(1, 2))
    centred = TEMPLATE - 0.5
    model[0].weight.data[...] = centred / np.abs(centred).sum()
    model[0].bias.data[...] = 0
    model[2].weight.data[...] = np.array([[-100.0], [100.0]])
    model[2].bias.data[...] = np.array([36.0, -36.0])
    return model


def test_detect_finds_objects_at_their_place_and_size():
    image = np.zeros((120, 160), dtype=np.float32)
    image[30:74, 40:84] = np.kron(TEMPLATE, np.ones((2, 2)))  # 44 pixels: found at scale 0.5
    image[80:102, 120:142] = TEMPLATE  # 22 pixels: found at scale 1
    boxes, scores = detect(template_model(), image, window=22, factor=2, threshold=0.9)
    truth = np.array([[40, 30, 84, 74], [120, 80, 142, 102]])
    assert len(boxes) == 2 and (scores > 0.9).all()
    np.testing.assert_allclose(box_iou(boxes, truth).max(axis=0), [1, 1])


def test_detect_with_a_high_threshold_finds_nothing_and_checks_the_image(rng):
    image = rng.random((40, 40)).astype(np.float32) * 0.1
    boxes, scores = detect(template_model(), image, window=22)
    assert boxes.shape == (0, 4) and scores.shape == (0,)
    with pytest.raises(ValueError, match=r"detect: got an image of shape \(3, 40, 40\)"):
        detect(template_model(), np.zeros((3, 40, 40)), window=22)


def test_face_model_file_round_trip_and_pretrained_weights_fit(tmp_path, rng):
    model = face_cnn()
    model.load_state_dict(nn.replace_head(zn.pretrained.fashion_cnn(), 2).state_dict())
    save_face_model(model, tmp_path / "face.safetensors")
    loaded, window = load_face_model(tmp_path / "face.safetensors")
    assert window == 22 and not loaded.training
    x = rng.random((3, 1, 22, 22)).astype(np.float32)
    np.testing.assert_array_equal(loaded(zn.tensor(x)).data, model.eval()(zn.tensor(x)).data)
    zn.save(model.state_dict(), tmp_path / "plain.safetensors")
    assert load_face_model(tmp_path / "plain.safetensors") is None
