"""Overlays and the PNG writer."""

import sys

import numpy as np
import pytest

from zennet.explain import overlay, save_overlay

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_overlay_mixes_heat_into_the_image(rng):
    image = rng.random((6, 5))
    heat = np.zeros((6, 5))
    heat[2, 3] = -4.0  # the magnitude is shown
    rgb = overlay(image, heat, alpha=0.5)
    assert rgb.shape == (6, 5, 3) and rgb.min() >= 0 and rgb.max() <= 1
    gray = (image - image.min()) / (image.max() - image.min())
    cold = np.ones((6, 5), dtype=bool)
    cold[2, 3] = False
    np.testing.assert_allclose(rgb[cold], np.repeat(gray[cold][:, None], 3, axis=1))
    assert not np.allclose(rgb[2, 3], gray[2, 3])  # the hot pixel is coloured
    assert overlay(image[None], heat[None]).shape == (6, 5, 3)  # (1, H, W) works too


def test_png_signature_and_size(tmp_path, rng):
    matplotlib_image = pytest.importorskip("matplotlib.image")
    path = save_overlay(tmp_path / "one.png", rng.random((8, 8)), rng.random((8, 8)))
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    # 8x8 enlarged 32 times: the image, a 2-pixel gap, the overlay
    assert matplotlib_image.imread(path).shape[:2] == (256, 256 + 2 + 256)
    path = save_overlay(
        tmp_path / "alone.png", rng.random((8, 8)), rng.random((8, 8)), side_by_side=False
    )
    assert matplotlib_image.imread(path).shape[:2] == (256, 256)
    assert not list(tmp_path.glob("*.tmp"))  # written under a temporary name, then renamed


def test_a_batch_is_laid_out_in_rows(tmp_path, rng):
    matplotlib_image = pytest.importorskip("matplotlib.image")
    path = save_overlay(
        tmp_path / "grid.png", rng.random((3, 1, 8, 8)), rng.random((3, 8, 8)), columns=2
    )
    # two rows of 256 and a 4-pixel gap; two columns of image|overlay pairs (514) likewise
    assert matplotlib_image.imread(path).shape[:2] == (256 + 4 + 256, 514 + 4 + 514)


def test_errors(tmp_path, rng, monkeypatch):
    with pytest.raises(ValueError, match=r"image \(4, 4\) and heatmap \(5, 5\) differ in size"):
        overlay(rng.random((4, 4)), rng.random((5, 5)))
    with pytest.raises(ValueError, match="2 images but 3 heat maps"):
        save_overlay(tmp_path / "x.png", rng.random((2, 4, 4)), rng.random((3, 4, 4)))
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if it were not installed
    with pytest.raises(ImportError, match=r"needs matplotlib .* `pip install matplotlib`"):
        save_overlay(tmp_path / "x.png", rng.random((4, 4)), rng.random((4, 4)))
