"""Printed digits drawn from the installed fonts (zennet/data/datasets/fonts.py): the UCI
reduction on a hand-made bitmap, shapes, value ranges, balance, the split by font, seeds,
the cache, the font filter and the error when fonts are missing. A handful of fonts (those
.ci/run installs: fonts-dejavu-core, fonts-liberation) and 2 images per digit keep it quick."""

import shutil

import numpy as np
import pytest

import zennet as zn
from zennet.data.datasets import fonts

FOUND = fonts.font_files()
needs_fonts = pytest.mark.skipif(
    len(FOUND) < fonts.MIN_FONTS,
    reason=f"needs fonts (apt-get install {fonts.FONT_PACKAGES})",
)


@pytest.fixture
def few_fonts(tmp_path, monkeypatch):
    """Eight of the installed font files (DejaVu and Liberation first), the cache in tmp_path."""
    preferred = sorted(FOUND, key=lambda p: ("dejavu" not in p and "liberation" not in p, p))
    chosen = preferred[:8]
    monkeypatch.setattr(fonts, "font_files", lambda: list(chosen))
    monkeypatch.setenv("ZENNET_DATA", str(tmp_path / "cache"))
    return chosen


def test_uci_reduce_counts_on_pixels_in_4x4_blocks():
    bitmap = np.zeros((32, 32), np.uint8)
    bitmap[0:4, 0:4] = 1  # block (0, 0): full
    bitmap[4, 4:9] = 255  # block (1, 1): 4 pixels, block (1, 2): 1 pixel
    bitmap[31, 31] = 7  # block (7, 7): 1 pixel
    counts = fonts.uci_reduce(bitmap[None])
    expected = np.zeros((8, 8), np.uint8)
    expected[0, 0], expected[1, 1], expected[1, 2], expected[7, 7] = 16, 4, 1, 1
    assert counts.shape == (1, 8, 8) and counts.dtype == np.uint8
    np.testing.assert_array_equal(counts[0], expected)
    with pytest.raises(ValueError, match=r"\(N, 32, 32\) bitmaps, got shape \(28, 28\)"):
        fonts.uci_reduce(np.zeros((28, 28)))


def test_missing_fonts_name_the_packages_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(fonts, "font_files", lambda: [])
    with pytest.raises(FileNotFoundError, match="apt-get install fonts-dejavu-core fonts-lib"):
        zn.datasets.rendered_digits(per_font=1, cache=False)
    junk = tmp_path / "junk.ttf"
    junk.write_bytes(b"not a font")
    monkeypatch.setattr(fonts, "font_files", lambda: [str(junk)] * 6)
    with pytest.raises(FileNotFoundError, match="found 0 font files that can draw the digits"):
        fonts.digit_fonts()


@needs_fonts
def test_fonts_that_cannot_draw_digits_or_repeat_another_are_left_out(few_fonts, tmp_path):
    copy = tmp_path / "copy.ttf"
    shutil.copy(few_fonts[0], copy)  # the same digits under another name
    junk = tmp_path / "junk.otf"
    junk.write_bytes(b"\0" * 100)
    kept = fonts.digit_fonts(few_fonts + [str(copy), str(junk)])
    assert kept == fonts.digit_fonts(few_fonts)
    assert str(copy) not in kept and str(junk) not in kept


@needs_fonts
def test_8x8_digits_are_uci_counts_balanced_and_split_by_font(few_fonts):
    (x, y), (xt, yt) = zn.datasets.rendered_digits(per_font=2, flat=False, test_fraction=0.25)
    used = len(fonts.digit_fonts())
    assert len(y) + len(yt) == used * 10 * 2
    assert x.shape == (len(y), 1, 8, 8) and x.dtype == np.float32 and y.dtype == np.int64
    counts = x * 16
    np.testing.assert_array_equal(counts, np.round(counts))  # k / 16 for counts k
    assert counts.min() == 0 and counts.max() == 16
    assert np.bincount(y).tolist() == [len(y) // 10] * 10
    assert np.bincount(yt).tolist() == [len(yt) // 10] * 10
    assert len(yt) == round(0.25 * used) * 20  # whole fonts go to the test part
    images, _, owners, _ = fonts.rendered_arrays(per_font=2)
    assert images.dtype == np.uint8 and images.max() == 16
    assert len(np.unique(owners)) == used
    flat = zn.datasets.rendered_digits(per_font=2, test_fraction=0.25)[0][0]
    assert flat.shape == (len(y), 64)


@needs_fonts
def test_28x28_digits_are_grey_levels_centred_by_mass(few_fonts):
    (x, y), _ = zn.datasets.rendered_digits(per_font=1, size=28, flat=False, test_fraction=0)
    assert x.shape == (len(y), 1, 28, 28) and 0 <= x.min() and x.max() <= 1
    assert 0 < np.mean((x > 0) & (x < 1))  # anti-aliased edges
    rows = np.arange(28)
    mass = x[:, 0].sum(axis=(1, 2))
    centre_row = (x[:, 0].sum(axis=2) @ rows) / mass
    assert np.all(np.abs(centre_row - 13.5) < 4)  # centre of mass 14 ± shift, rounding
    with pytest.raises(ValueError, match="size must be 8 .UCI. or 28"):
        zn.datasets.rendered_digits(size=16)


@needs_fonts
def test_the_same_seed_gives_the_same_images_and_the_cache_is_used(few_fonts, monkeypatch):
    first = fonts.rendered_arrays(per_font=1, seed=3)
    files = list((fonts.data_home() / "rendered-digits").glob("*.npz"))
    assert len(files) == 1
    again = fonts.rendered_arrays(per_font=1, seed=3, cache=False)  # drawn again
    for a, b in zip(first[:3], again[:3]):
        np.testing.assert_array_equal(a, b)
    other = fonts.rendered_arrays(per_font=1, seed=4, cache=False)
    assert not np.array_equal(first[0], other[0])

    def no_drawing(*args):
        raise AssertionError("drew images that are in the cache")

    monkeypatch.setattr(fonts, "_generate", no_drawing)
    cached = fonts.rendered_arrays(per_font=1, seed=3)
    np.testing.assert_array_equal(cached[0], first[0])
    assert cached[3] == first[3]


@needs_fonts
def test_distortions_can_be_switched_off_and_unknown_ones_are_refused(few_fonts):
    still = {"rotation": 0, "shear": 0, "aspect": 0, "stroke": 0, "elastic": 0, "shift": 0}
    a = fonts.rendered_arrays(per_font=2, seed=0, distortions=still, cache=False)[0]
    b = fonts.rendered_arrays(per_font=2, seed=1, distortions=still, cache=False)[0]
    np.testing.assert_array_equal(a, b)  # nothing random left
    with pytest.raises(ValueError, match=r"unknown distortions \['blur'\]"):
        fonts.rendered_arrays(per_font=1, distortions={"blur": 1})


def test_rendered_digits_is_a_registered_data_set():
    assert "rendered-digits" in zn.datasets.DATASETS
