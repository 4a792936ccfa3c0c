"""Every loader refuses a bad file with a clear ValueError: never another exception, a hang,
an absurd allocation, a silently different result, or code run by unpickling.

Each loader (zn.load, zn.io.load_checkpoint, Trainer.load_checkpoint, models.load_model,
datasets.read_idx, datasets.load_image) gets: good files of every kind, each truncated at
many lengths and with single bits flipped at many places; headers declaring absurd sizes;
and foreign files (PNG, pickle, empty, random bytes, object arrays, a malicious pickle).

The rule for a loader given a damaged file of its own kind: ValueError, or (a bit the
format cannot check, e.g. a zip timestamp) exactly the original result. Formats without
a checksum (raw IDX, .npy, pixel bytes) can only promise a ValueError or an array of the
declared shape and dtype. Anything else must be a ValueError.
"""

import gzip
import io
import os
import pickle
import signal
import struct
import tempfile
import tracemalloc
import zlib
from pathlib import Path

import numpy as np
import pytest

import zennet as zn
from zennet import models
from zennet.data import datasets
from zennet.io import load_checkpoint, save_checkpoint
from zennet.training import Trainer

TIME_LIMIT_S = 10  # per call; a loader that takes longer is hung
MEMORY_LIMIT = 64 * 2**20  # bytes a loader may allocate beyond 100x the file's size
PIXELS = (np.arange(2 * 5 * 7) * 37 % 256).astype(np.uint8).reshape(2, 5, 7)


def make_trainer():
    zn.manual_seed(0)
    return Trainer(models.build_model("mlp", (16,), 3, hidden=(8,)), "adam")


def good_files(folder):
    """{name: bytes} of one valid file of every kind the loaders read."""
    trainer = make_trainer()
    x = np.random.default_rng(0).standard_normal((20, 16)).astype(np.float32)
    trainer.fit(x, np.arange(20) % 3, epochs=1, verbose=0, seed=0)
    for suffix in (".safetensors", ".npz"):
        trainer.save_checkpoint(folder / f"checkpoint{suffix}")
        trainer.save_checkpoint(folder / f"model{suffix}", weights_only=True)
    idx = bytes([0, 0, 8, 3]) + struct.pack(">3I", *PIXELS.shape) + PIXELS.tobytes()
    (folder / "images.idx").write_bytes(idx)
    (folder / "images.idx.gz").write_bytes(gzip.compress(idx, mtime=0))
    np.save(folder / "image.npy", PIXELS[0])
    pytest.importorskip("PIL.Image").fromarray(PIXELS[0]).save(folder / "image.png")
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def checkpoint_bytes(extra):
    """A weights-only checkpoint of 4 zeros with ``extra`` (a model recipe), as bytes."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "c.safetensors"
        save_checkpoint(path, {"w": np.zeros(4, np.float32)}, extra=extra)
        return path.read_bytes()


def damaged(good, rng):
    """{name: bytes}: each good file truncated and with one bit flipped, many times over."""
    variants = {}
    for name, data in good.items():
        cuts = {0, 1, 4, 7, 8, 9, 12, 16, 20, 64, len(data) // 3, len(data) // 2, len(data) - 1}
        cuts |= set(rng.integers(0, len(data), 6).tolist())
        for n in sorted(c for c in cuts if c < len(data)):
            variants[f"cut{n}-{name}"] = data[:n]
        for p in rng.choice(len(data), min(24, len(data)), replace=False):
            flipped = bytearray(data)
            flipped[p] ^= 1 << int(rng.integers(8))
            variants[f"flip{p}-{name}"] = bytes(flipped)
    return variants


def npy_header(shape, descr):
    buffer = io.BytesIO()
    header = {"descr": descr, "fortran_order": False, "shape": shape}
    np.lib.format.write_array_header_1_0(buffer, header)
    return buffer.getvalue()


class Unpickled:
    """Unpickling this runs code: it makes a folder (the mark the test looks for)."""

    def __init__(self, mark):
        self.mark = str(mark)

    def __reduce__(self):
        return os.mkdir, (self.mark,)


def hostile(good, rng, mark):
    """{name: bytes}: absurd declared sizes and foreign files."""
    st, png = good["model.safetensors"], good["image.png"]
    ihdr = bytearray(png[8:33])  # length, "IHDR", width, height, ..., CRC
    ihdr[8:16] = struct.pack(">II", 60000, 60000)
    ihdr[21:25] = struct.pack(">I", zlib.crc32(bytes(ihdr[4:21])))
    npz, npz_evil, npy_evil = io.BytesIO(), io.BytesIO(), io.BytesIO()
    np.savez(npz, w=np.array([None, 1], dtype=object))
    np.savez(npz_evil, w=np.array([Unpickled(mark)], dtype=object))
    np.save(npy_evil, np.array([Unpickled(mark)], dtype=object))
    pytest.importorskip("safetensors.numpy")
    recipe = {"name": "mlp", "input_shape": [10**5], "num_classes": 10**5, "kwargs": {}}
    return {
        "huge-header-length.safetensors": struct.pack("<Q", 2**62) + st[8:],
        "header-past-the-end.safetensors": struct.pack("<Q", len(st)) + st[8:],
        "huge-shape.idx": bytes([0, 0, 8, 3]) + struct.pack(">3I", 60000, 60000, 60000),
        "huge-length.idx": bytes([0, 0, 0x0E, 1]) + struct.pack(">I", 2**32 - 1) + bytes(64),
        "huge-shape.npy": npy_header((10**6, 10**6), "<f8") + bytes(64),
        "huge-image.png": png[:8] + bytes(ihdr) + png[33:],
        "huge-recipe.safetensors": checkpoint_bytes({"recipe": recipe}),
        "bad-recipe.safetensors": checkpoint_bytes({"recipe": [1, 2]}),
        "foreign-image.png": png,
        "foreign.pkl": pickle.dumps({"w": np.zeros(3)}),
        "malicious.pkl": pickle.dumps(Unpickled(mark)),
        "empty": b"",
        "random-bytes": rng.integers(0, 256, 1000, dtype=np.uint8).tobytes(),
        "random.gz": gzip.compress(rng.integers(0, 256, 1000, dtype=np.uint8).tobytes()),
        "object-array.npz": npz.getvalue(),
        "malicious.npz": npz_evil.getvalue(),
        "malicious.npy": npy_evil.getvalue(),
    }


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """(good files, every variant, the folder the malicious pickles would create)."""
    folder = tmp_path_factory.mktemp("good")
    rng = np.random.default_rng(0)
    good = good_files(folder)
    mark = tmp_path_factory.mktemp("marks") / "unpickled"
    return good, {**damaged(good, rng), **hostile(good, rng, mark)}, mark


def trainer_load(path):
    """Trainer.load_checkpoint, also checking it is all or nothing."""
    trainer = make_trainer()
    before = trainer.model.state_dict()
    try:
        trainer.load_checkpoint(path)
    except ValueError:
        after = trainer.model.state_dict()
        assert all(np.array_equal(before[k], after[k]) for k in before), "half loaded"
        raise
    return trainer.model.state_dict()


LOADERS = {  # name: (load, suffixes of the good files it reads)
    "zn.load": (zn.load, ("checkpoint.safetensors", "checkpoint.npz", "model.")),
    "load_checkpoint": (load_checkpoint, ("checkpoint.", "model.")),  # model files: weights only
    "Trainer.load_checkpoint": (trainer_load, ("checkpoint.",)),
    "load_model": (lambda p: models.load_model(p)[0].state_dict(), ("model.", "checkpoint.")),
    "read_idx": (datasets.read_idx, ("images.idx",)),
    "load_image": (datasets.load_image, ("image.",)),
}
# checkpoints with bad recipes: valid files, refused by load_model alone
VALID_FOR = {
    name: ("huge-recipe.safetensors", "bad-recipe.safetensors")
    for name in ("zn.load", "load_checkpoint")
}
CHECKSUMMED = (".safetensors", ".npz", ".gz")  # a changed byte there is detected or harmless


class Hung(Exception):
    pass


def _hung(signum, frame):
    raise Hung()


def outcome(load, path, size):
    """The loader's result, or the exception it raised; checks time and memory."""
    previous = signal.signal(signal.SIGALRM, _hung)
    signal.alarm(TIME_LIMIT_S)
    tracemalloc.start()
    try:
        return load(path)
    except Exception as err:
        return err
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        assert peak <= MEMORY_LIMIT + 100 * size, f"{path.name}: allocated {peak:,} bytes"


def same(a, b):
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and np.array_equal(a, b)
    return a == b


def problem(result, original, variant):
    """None when ``result`` is acceptable for this variant, else what is wrong with it."""
    if isinstance(result, ValueError):
        return None
    if isinstance(result, Exception):
        return f"raised {type(result).__name__}: {result}"
    if original is None:
        return "accepted a file it should refuse"
    if variant.endswith(CHECKSUMMED):
        return None if same(result, original) else "returned a different result, silently"
    if (result.shape, result.dtype) != (original.shape, original.dtype):
        return f"returned {result.dtype} {result.shape}, not {original.dtype} {original.shape}"
    return None


@pytest.mark.parametrize("loader", list(LOADERS))
def test_every_bad_file_gets_a_clear_value_error(files, tmp_path, loader):
    good, variants, mark = files
    load, native = LOADERS[loader]
    originals = {}
    for name, data in good.items():
        (tmp_path / name).write_bytes(data)
        if name.startswith(native):
            originals[name] = load(tmp_path / name)  # the good files load
    failures = []
    for variant, data in variants.items():
        source = variant.split("-", 1)[-1]
        own_kind = variant.startswith(("cut", "flip", "foreign")) and source in originals
        path = tmp_path / variant
        path.write_bytes(data)
        result = outcome(load, path, len(data))
        path.unlink()
        if variant in VALID_FOR.get(loader, ()):
            why = f"raised {result!r}" if isinstance(result, Exception) else None
        else:
            why = problem(result, originals[source] if own_kind else None, variant)
        if why:
            failures.append(f"{variant}: {why}")
    assert not failures, f"{loader}: {len(failures)} bad outcomes:\n" + "\n".join(failures[:20])
    assert not mark.exists(), "a loader unpickled a file"


def test_the_refusals_name_the_file_and_what_is_wrong(files, tmp_path):
    good, variants, _ = files
    cases = {
        "empty": (zn.load, r"empty is not a valid zennet/safetensors/npz file: it is empty"),
        "foreign-image.png": (zn.load, r"it looks like a PNG image"),
        "foreign.pkl": (load_checkpoint, r"it looks like a Python pickle"),
        "malicious.npz": (zn.load, r"entry 'w.npy' holds object, which is not numeric"),
        "malicious.npy": (datasets.load_image, r"load_image: .* holds object"),
        "huge-shape.npy": (datasets.load_image, r"declares shape \(1000000, 1000000\)"),
        "huge-shape.idx": (datasets.read_idx, r"declares shape \(60000, 60000, 60000\)"),
        "huge-image.png": (datasets.load_image, r"load_image: .*huge-image.png.* pixels"),
        "huge-recipe.safetensors": (models.load_model, r"damaged model recipe: its sizes"),
        "huge-header-length.safetensors": (zn.load, r"its header claims"),
        "cut100-checkpoint.safetensors": (load_checkpoint, r"load: .*cut100"),
    }
    variants = {**variants, "cut100-checkpoint.safetensors": good["checkpoint.safetensors"][:100]}
    for name, (load, match) in cases.items():
        (tmp_path / name).write_bytes(variants[name])
        with pytest.raises(ValueError, match=match):
            load(tmp_path / name)
