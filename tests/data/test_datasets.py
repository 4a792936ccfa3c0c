import gzip
import os
import shutil
import struct
import subprocess
import sys
import zipfile

import numpy as np
import pytest

import zennet as zn
from zennet.data.datasets import load_digits, load_fashion_mnist, load_image, read_idx

REAL_FASHION = "/usr/share/datasets/fashion-mnist"
IDX_CODES = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C, np.float32: 0x0D}


def write_idx(path, array, gz=False):
    """An IDX file written independently of zennet's reader: magic, big-endian dims, data."""
    array = np.asarray(array)
    header = bytes([0, 0, IDX_CODES[array.dtype.type], array.ndim])
    header += struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    with (gzip.open if gz else open)(path, "wb") as f:
        f.write(payload)
    return path


# ------------------------------------------------------------------ digits


def test_digits_shapes_dtypes_ranges():
    (x, y), (xt, yt) = load_digits()
    assert x.shape == (1438, 64) and xt.shape == (359, 64)
    assert x.dtype == np.float32 and y.dtype == np.int64
    assert len(y) == 1438 and len(yt) == 359
    assert x.min() == 0 and x.max() == 1 and np.all(x * 16 == np.round(x * 16))
    assert set(y.tolist()) == set(yt.tolist()) == set(range(10))


def test_digits_split_is_stratified_disjoint_and_reproducible():
    (x, y), (xt, yt) = load_digits(test_fraction=0.25, seed=3)
    (x2, y2), (xt2, yt2) = load_digits(test_fraction=0.25, seed=3)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(yt, yt2)
    assert not np.array_equal(load_digits(test_fraction=0.25, seed=4)[1][1], yt)
    everything = np.concatenate([x, xt])
    assert len(np.unique(everything, axis=0)) == len(np.unique(load_digits(0.0)[0][0], axis=0))
    assert len(everything) == 1797
    share = np.bincount(yt, minlength=10) / np.bincount(np.concatenate([y, yt]), minlength=10)
    assert np.all(np.abs(share - 0.25) < 0.01)


def test_digits_images_and_empty_test_split():
    (x, y), (xt, yt) = load_digits(test_fraction=0, flat=False)
    assert x.shape == (1797, 1, 8, 8) and xt.shape == (0, 1, 8, 8) and yt.shape == (0,)
    # a zero has an empty middle: its central pixels are darker than its ring
    zero = x[y == 0].mean(axis=0)[0]
    assert zero[3:5, 3:5].mean() < zero[1:7, 1:7].mean()


@pytest.mark.parametrize("bad", [1.0, -0.1, "0.2"])
def test_digits_bad_fraction(bad):
    with pytest.raises(ValueError, match="test_fraction must be a number in"):
        load_digits(test_fraction=bad)


def test_digits_file_ships_in_the_wheel(tmp_path):
    """Build a wheel from a fresh copy of the sources (no stale build/) and look inside."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    source = tmp_path / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build")
    shutil.copytree(os.path.join(root, "zennet"), source / "zennet", ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(os.path.join(root, name), source / name)
    build = f"from setuptools import build_meta; print(build_meta.build_wheel({str(tmp_path)!r}))"
    done = subprocess.run(
        [sys.executable, "-c", build], cwd=source, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    wheel = tmp_path / done.stdout.strip().splitlines()[-1]
    names = zipfile.ZipFile(wheel).namelist()
    assert "zennet/data/datasets/data/digits.csv.gz" in names
    assert "zennet/data/datasets/data/README" in names


# ------------------------------------------------------------------ IDX


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize(
    "array",
    [
        np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4),
        np.array([3, 1, 4, 1, 5], dtype=np.uint8),
        np.array([[-2, 70000]], dtype=np.int32),
        np.array([0.5, -1.25], dtype=np.float32),
    ],
)
def test_read_idx_round_trip(tmp_path, array, gz):
    loaded = read_idx(write_idx(tmp_path / "a.idx", array, gz=gz))
    assert loaded.dtype == array.dtype and loaded.dtype.isnative
    np.testing.assert_array_equal(loaded, array)
    loaded[...] = 0  # writable, like any array the user owns


def _bytes_of(array):
    return (
        bytes([0, 0, 8, array.ndim])
        + struct.pack(f">{array.ndim}I", *array.shape)
        + (array.tobytes())
    )


GOOD = _bytes_of(np.arange(24, dtype=np.uint8).reshape(2, 3, 4))


@pytest.mark.parametrize(
    "content, message",
    [
        (b"\x89PNG\r\n\x1a\n" + GOOD, "not an IDX file.*89 50 4e 47"),
        (GOOD[:-1], "truncated"),
        (GOOD + b"\x00", "trailing data"),
        (GOOD[:10], "truncated inside its header"),
        (GOOD[:3], "too short"),
        (b"", "too short"),
        (b"\x00\x00\x07\x01" + GOOD[4:], "unsupported IDX type code 0x07"),
        (b"\x00\x00\x08\x00", "declares 0 dimensions"),
        (b"\x00\x00\x08\x03" + struct.pack(">3I", 60000, 28, 28), "truncated or its header"),
        (b"\x00\x00\x0e\x03" + struct.pack(">3I", 2**32 - 1, 2**32 - 1, 9), "than the limit"),
    ],
    ids=[
        "png",
        "truncated",
        "trailing",
        "short-header",
        "tiny",
        "empty",
        "type-code",
        "ndim-0",
        "shape-beyond-file",
        "absurd-shape",
    ],
)
def test_read_idx_refuses_malformed_files(tmp_path, content, message):
    path = tmp_path / "bad-idx3-ubyte"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=message) as info:
        read_idx(path)
    assert str(path) in str(info.value)
    path = tmp_path / "bad-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(content))
    with pytest.raises(ValueError, match=message):
        read_idx(path)


def test_read_idx_damaged_gzip(tmp_path):
    path = tmp_path / "x.gz"
    path.write_bytes(gzip.compress(GOOD)[:-6])
    with pytest.raises(ValueError, match="damaged gzip"):
        read_idx(path)


# ------------------------------------------------------------------ Fashion-MNIST


def _fake_fashion(folder, n_train=6, n_test=4, gz=True):
    rng = np.random.default_rng(0)
    folder.mkdir(exist_ok=True)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        suffix = ".gz" if gz else ""
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        images[0, 0, 0], images[0, 0, 1] = 0, 255
        write_idx(folder / f"{prefix}-images-idx3-ubyte{suffix}", images, gz=gz)
        labels = np.arange(n, dtype=np.uint8) % 10
        write_idx(folder / f"{prefix}-labels-idx1-ubyte{suffix}", labels, gz=gz)
    return folder


@pytest.mark.parametrize("gz", [True, False])
def test_fashion_mnist_from_a_fake_folder(tmp_path, gz):
    (x, y), (xt, yt) = load_fashion_mnist(path=_fake_fashion(tmp_path / "f", gz=gz))
    assert x.shape == (6, 1, 28, 28) and xt.shape == (4, 1, 28, 28)
    assert x.dtype == np.float32 and y.dtype == np.int64
    assert x[0, 0, 0, 0] == 0 and x[0, 0, 0, 1] == 1 and x.max() <= 1
    assert y.tolist() == [0, 1, 2, 3, 4, 5] and yt.tolist() == [0, 1, 2, 3]
    (xf, _), _ = load_fashion_mnist(path=tmp_path / "f", flat=True)
    assert xf.shape == (6, 784)
    np.testing.assert_array_equal(xf, x.reshape(6, -1))


def test_fashion_mnist_missing_says_how_to_get_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="apt-get install dataset-fashion-mnist") as info:
        load_fashion_mnist(path=tmp_path)
    assert "path=" in str(info.value) and "t10k-labels-idx1-ubyte" in str(info.value)


def test_fashion_mnist_mismatched_labels(tmp_path):
    folder = _fake_fashion(tmp_path / "f")
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", np.zeros(3, np.uint8), gz=True)
    with pytest.raises(ValueError, match="expected 4 labels in 0..9"):
        load_fashion_mnist(path=folder)


@pytest.mark.skipif(
    not os.path.isfile(os.path.join(REAL_FASHION, "t10k-labels-idx1-ubyte.gz")),
    reason="Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)",
)
def test_real_fashion_mnist():
    (x, y), (xt, yt) = load_fashion_mnist()
    assert x.shape == (60000, 1, 28, 28) and xt.shape == (10000, 1, 28, 28)
    assert np.bincount(y).tolist() == [6000] * 10 and np.bincount(yt).tolist() == [1000] * 10
    assert 0.2 < x.mean() < 0.4 and x.max() == 1


# ------------------------------------------------------------------ load_image


def test_load_image_npy(tmp_path):
    np.save(tmp_path / "a.npy", np.full((1, 8, 8), 255, np.uint8))
    x = load_image(tmp_path / "a.npy", size=8)
    assert x.dtype == np.float32 and x.shape == (1, 8, 8) and x.max() == 1
    with pytest.raises(ValueError, match="not resized"):
        load_image(tmp_path / "a.npy", size=28)
    np.save(tmp_path / "o.npy", np.array([{}], dtype=object))
    with pytest.raises(ValueError, match="not a readable .npy"):
        load_image(tmp_path / "o.npy")


def test_load_image_png(tmp_path):
    image = pytest.importorskip("PIL.Image")
    pixels = np.zeros((10, 12, 3), np.uint8)
    pixels[:, :6] = 255
    image.fromarray(pixels).save(tmp_path / "a.png")
    gray = load_image(tmp_path / "a.png")
    assert gray.shape == (1, 10, 12) and gray[0, 0, 0] == 1 and gray[0, 0, 11] == 0
    assert load_image(tmp_path / "a.png", size=(5, 6), grayscale=False).shape == (3, 5, 6)
    (tmp_path / "b.png").write_bytes(b"not an image")
    with pytest.raises(ValueError, match="not a readable image"):
        load_image(tmp_path / "b.png")


def test_load_image_without_pillow(tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "PIL", None)
    (tmp_path / "a.png").write_bytes(b"")
    with pytest.raises(ImportError, match="pip install pillow"):
        load_image(tmp_path / "a.png")


def test_load_image_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        load_image(tmp_path / "nope.png")


def test_exported_from_zennet():
    assert zn.datasets.load_digits is load_digits and zn.data.DataLoader is not None
