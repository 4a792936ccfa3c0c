import errno
import json
import math
import os
import pickle
import struct
import subprocess
import sys
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import zennet as zn
from zennet.io import load, load_checkpoint, save, save_checkpoint

FORMATS = [".safetensors", ".npz"]


def _state(rng):
    return {
        "fc.weight": rng.standard_normal((4, 3)).astype(np.float32),
        "fc.bias": rng.standard_normal(4),  # float64
        "steps": np.array([1, -2, 2**40], dtype=np.int64),
        "mask": np.array([True, False]),
        "scalar": np.array(2.5, dtype=np.float32),
        "empty": np.zeros((0, 5), dtype=np.float32),
    }


def _assert_same_arrays(got, expected):
    assert set(got) == set(expected)
    for key, value in expected.items():
        value = np.asarray(value.data if isinstance(value, zn.Tensor) else value)
        assert got[key].dtype == value.dtype.newbyteorder("="), key
        assert got[key].shape == value.shape, key
        np.testing.assert_array_equal(got[key], value)


@pytest.mark.parametrize("ext", FORMATS)
def test_round_trip(tmp_path, rng, ext):
    state = _state(rng)
    save(state, tmp_path / f"m{ext}")
    loaded = load(tmp_path / f"m{ext}")
    _assert_same_arrays(loaded, state)
    loaded["fc.weight"][0, 0] = 1.0  # writable arrays the caller owns


@pytest.mark.parametrize("ext", FORMATS)
def test_round_trip_tensors_views_and_byte_order(tmp_path, rng, ext):
    base = rng.standard_normal((6, 4))
    state = {
        "tensor": zn.tensor(base.astype(np.float32)),
        "strided": base[::2, ::-1],
        "fortran": np.asfortranarray(base),
        "big_endian": base.astype(">f8"),
    }
    save(state, tmp_path / f"m{ext}")
    _assert_same_arrays(load(tmp_path / f"m{ext}"), state)


@pytest.mark.parametrize("ext", FORMATS)
def test_metadata(tmp_path, ext):
    meta = {"architecture": "mlp", "json": json.dumps({"layers": [64, 10]})}
    save({"w": np.ones(2, np.float32)}, tmp_path / f"m{ext}", metadata=meta)
    arrays, got = load(tmp_path / f"m{ext}", return_metadata=True)
    assert got == meta and list(arrays) == ["w"]
    save({"w": np.ones(2, np.float32)}, tmp_path / f"n{ext}")
    assert load(tmp_path / f"n{ext}", return_metadata=True)[1] == {}


def test_npz_is_plain_numpy_without_pickle(tmp_path, rng):
    state = _state(rng)
    save(state, tmp_path / "m.npz", metadata={"a": "b"})
    with np.load(tmp_path / "m.npz", allow_pickle=False) as archive:
        _assert_same_arrays({k: archive[k] for k in state}, state)
        assert json.loads(str(archive["__metadata__"])) == {"a": "b"}


def test_model_state_dict_round_trip(tmp_path):
    model = zn.nn.Sequential(zn.nn.Identity())
    model.register_buffer("running", zn.ones(3))
    save(model.state_dict(), tmp_path / "m.safetensors")
    model.load_state_dict(load(tmp_path / "m.safetensors"))


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match=r"end it with \.safetensors or \.npz"):
        save({}, tmp_path / "model.pt")
    with pytest.raises(ValueError, match="only bool, integer and float"):
        save({"x": np.array([{}], dtype=object)}, tmp_path / "m.npz")
    with pytest.raises(TypeError, match="metadata must map strings to strings"):
        save({}, tmp_path / "m.npz", metadata={"epoch": 3})
    with pytest.raises(ValueError, match="keys must be strings"):
        save({"__metadata__": np.ones(1)}, tmp_path / "m.npz")
    with pytest.raises(TypeError, match="expected a dict of arrays"):
        save([np.ones(1)], tmp_path / "m.npz")
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "missing.npz")


def test_safetensors_missing_package(tmp_path, monkeypatch):
    save({"w": np.ones(2)}, tmp_path / "old.safetensors")
    monkeypatch.setitem(sys.modules, "safetensors.numpy", None)
    with pytest.raises(ImportError, match="pip install safetensors"):
        save({"w": np.ones(2)}, tmp_path / "m.safetensors")
    with pytest.raises(ImportError, match="pip install safetensors"):
        load(tmp_path / "old.safetensors")
    save({"w": np.ones(2)}, tmp_path / "m.npz")  # npz needs nothing extra
    assert load(tmp_path / "m.npz")["w"].tolist() == [1, 1]


# ----------------------------------------------------------------------------- atomic writes


def _no_temporary_files(folder):
    return [name for name in os.listdir(folder) if name.endswith(".tmp")] == []


@pytest.mark.parametrize("ext", FORMATS)
def test_failed_write_keeps_the_old_file(tmp_path, monkeypatch, ext):
    path = tmp_path / f"m{ext}"
    save({"w": np.arange(3.0)}, path)
    before = path.read_bytes()

    def disk_full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space left.*previous file, if any, is unchanged") as info:
        save({"w": np.zeros(1000)}, path)
    assert info.value.errno == errno.ENOSPC
    assert path.read_bytes() == before and _no_temporary_files(tmp_path)


def test_failed_rename_and_non_os_errors_leave_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "m.npz"
    save({"w": np.arange(3.0)}, path)
    before = path.read_bytes()

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("zennet.io._write_npz", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save({"w": np.zeros(4)}, path)
    monkeypatch.undo()
    monkeypatch.setattr(
        os, "replace", lambda a, b: (_ for _ in ()).throw(OSError(errno.EXDEV, "x"))
    )
    with pytest.raises(OSError, match="could not write"):
        save({"w": np.zeros(4)}, path)
    assert path.read_bytes() == before and _no_temporary_files(tmp_path)


def test_permission_denied_message(tmp_path, monkeypatch):
    real_open = os.open

    def denied(path, flags, mode=0o777):
        if str(path).endswith(".tmp"):
            raise PermissionError(errno.EACCES, "Permission denied")
        return real_open(path, flags, mode)

    monkeypatch.setattr(os, "open", denied)
    with pytest.raises(PermissionError, match=r"could not write .*m\.npz \(Permission denied\)"):
        save({"w": np.ones(1)}, tmp_path / "m.npz")


def test_unwritable_destination(tmp_path):
    """A destination whose folder is a regular file fails even for root, and says so."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(OSError, match="nothing was written|could not write"):
        save({"w": np.ones(1)}, blocker / "m.npz")


# ----------------------------------------------------------------------------- refusing bad files

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01"


@pytest.mark.parametrize(
    "content, why",
    [
        (b"", "it is empty"),
        (PNG, "PNG image"),
        (pickle.dumps({"w": [1.0, 2.0]}), "pickle"),
        (b"\x93NUMPY\x01\x00", "single .npy array"),
        (bytes(range(7, 200)), "match neither format"),
        (struct.pack("<Q", 2**60) + b'{"a":1}', "header claims"),
        (struct.pack("<Q", 9) + b'{"a":1}', "header claims"),
        (b"\x02\x00\x00", "match neither format"),
        (struct.pack("<Q", 7) + b'{"a":1}' + b" ", "safetensors refused|Error"),
        (
            struct.pack("<Q", 64)
            + b'{"w":{"dtype":"F32","shape":[99999999],"data_offsets":[0,399999996]}}'[:64],
            "Error",
        ),
        (b"PK\x05\x06" + bytes(18), "not a valid"),  # an empty zip: zero entries is fine
        (b"PK\x03\x04" + bytes(40), "BadZipFile"),
    ],
    ids=[
        "empty",
        "png",
        "pickle",
        "npy",
        "random",
        "absurd-header",
        "header-past-end",
        "tiny",
        "not-tensors",
        "absurd-tensor",
        "empty-zip",
        "broken-zip",
    ],
)
def test_refuses_foreign_and_damaged_files(tmp_path, content, why):
    path = tmp_path / "model.safetensors"
    path.write_bytes(content)
    if content.startswith(b"PK\x05\x06"):
        assert load(path) == {}
        return
    with pytest.raises(ValueError, match=f"not a valid zennet/safetensors/npz file.*({why})"):
        load(path)
    with pytest.raises(ValueError, match=str(path)):
        load(path)


def test_refuses_pytorch_checkpoint(tmp_path):
    with zipfile.ZipFile(tmp_path / "model.pt", "w") as archive:  # what torch.save writes
        archive.writestr("model/data.pkl", pickle.dumps({"w": 1}))
        archive.writestr("model/version", "3\n")
    with pytest.raises(ValueError, match="not a NumPy array.*PyTorch"):
        load(tmp_path / "model.pt")


def test_refuses_npz_with_object_arrays(tmp_path):
    np.savez(tmp_path / "m.npz", w=np.array([None, 1], dtype=object))
    with pytest.raises(ValueError, match="not numeric"):
        load(tmp_path / "m.npz")


def test_refuses_safetensors_with_flipped_data_bits(tmp_path):
    save({"w": np.arange(8, dtype=np.float32)}, tmp_path / "m.safetensors")
    data = bytearray((tmp_path / "m.safetensors").read_bytes())
    data[-3] ^= 0x10  # inside the array data: the file still parses
    (tmp_path / "m.safetensors").write_bytes(bytes(data))
    with pytest.raises(ValueError, match="checksum does not match"):
        load(tmp_path / "m.safetensors")


@pytest.mark.parametrize("ext", FORMATS)
def test_fuzz_bit_flips_and_truncations(tmp_path, rng, ext):
    """Every damaged copy either loads exactly the original or raises ValueError."""
    state = {k: v for k, v in _state(rng).items() if k != "empty"}
    save(state, tmp_path / f"good{ext}", metadata={"note": "fuzz"})
    good = (tmp_path / f"good{ext}").read_bytes()
    path = tmp_path / f"bad{ext}"
    n_bits = 8 * len(good)
    flips = rng.choice(n_bits, size=min(n_bits, 200), replace=False)
    cuts = np.unique(np.linspace(0, len(good) - 1, 30).astype(int))
    damaged = [_flip(good, int(bit)) for bit in flips] + [good[:cut] for cut in cuts]
    outcomes = {"loaded": 0, "refused": 0}
    for content in damaged:
        path.write_bytes(content)
        try:
            arrays, meta = load(path, return_metadata=True)
        except ValueError:
            outcomes["refused"] += 1
            continue
        _assert_same_arrays(arrays, state)
        assert meta == {"note": "fuzz"}
        outcomes["loaded"] += 1
    assert outcomes["refused"] >= len(cuts)  # every truncation is refused


def _flip(data, bit):
    data = bytearray(data)
    data[bit // 8] ^= 1 << (bit % 8)
    return bytes(data)


# ----------------------------------------------------------------------------- checkpoints


def _same(a, b):
    """Exact equality, types included (tuple is not list, np.float32 is not float)."""
    assert type(a) is type(b), (a, b)
    if isinstance(a, dict):
        assert list(a) == list(b)
        for key in a:
            _same(a[key], b[key])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b)
    else:
        assert a == b


def _checkpoint(rng):
    model = OrderedDict(
        [("0.weight", rng.standard_normal((3, 2)).astype(np.float32)), ("0.bias", np.zeros(3))]
    )
    optimizer = {
        "state": {
            0: {"step": 3, "exp_avg": rng.standard_normal((3, 2)).astype(np.float32)},
            1: {"step": 3, "exp_avg": np.ones(3), "max_exp_avg_sq": np.array(0.5)},
        },
        "param_groups": [
            {
                "lr": 1e-3,
                "betas": (0.9, 0.999),
                "eps": 1e-8,
                "weight_decay": 0.0,
                "amsgrad": False,
                "params": [0, 1],
                "initial_lr": None,
            },
        ],
    }
    history = {"loss": [0.6931471805599453, 0.1 + 0.2, float("nan")], "val_accuracy": [0.5, 1.0]}
    zn.manual_seed(11)
    zn.rand(5)
    extra = {"best": np.float32(0.75), "tag": "run-1", "__odd__": (1, [2, 3]), 7: "int key"}
    return model, optimizer, 4, history, zn.get_rng_state(), extra


@pytest.mark.parametrize("ext", FORMATS)
def test_checkpoint_round_trip_exact(tmp_path, rng, ext):
    model, optimizer, epoch, history, rng_state, extra = _checkpoint(rng)
    path = tmp_path / f"ckpt{ext}"
    save_checkpoint(path, model, optimizer, epoch, history, rng_state, extra=extra)
    got = load_checkpoint(path)
    _same(got["model_state"], dict(model))
    _same(got["optimizer_state"], optimizer)
    _same(got["history"], history)
    _same(got["extra"], extra)
    assert got["epoch"] == 4 and got["rng_state"] == rng_state
    zn.set_rng_state(got["rng_state"])
    after = zn.rand(3).numpy()
    zn.set_rng_state(rng_state)
    np.testing.assert_array_equal(after, zn.rand(3).numpy())
    arrays = load(path)  # one plain file: the arrays sit under prefixed keys
    assert {"model.0.weight", "optim.state.0.exp_avg", "optim.state.1.max_exp_avg_sq"} <= set(
        arrays
    )


def test_checkpoint_errors(tmp_path):
    save({"w": np.ones(1)}, tmp_path / "plain.npz")
    with pytest.raises(ValueError, match="saved with zn.save, so load it with zn.load"):
        load_checkpoint(tmp_path / "plain.npz")
    with pytest.raises(TypeError, match="history.loss is a set"):
        save_checkpoint(tmp_path / "c.npz", {}, {}, 0, {"loss": {1.0}}, {})
    assert not (tmp_path / "c.npz").exists()
    save({"w": np.ones(1)}, tmp_path / "broken.npz", metadata={"zennet.checkpoint": '{"epoch": 1}'})
    with pytest.raises(ValueError, match="checkpoint information is damaged"):
        load_checkpoint(tmp_path / "broken.npz")


def test_safetensors_load_gives_the_keys_in_file_order_every_time(tmp_path):
    """The safetensors reader returns a dict in no fixed order; zn.load hands the arrays back
    in the order of their bytes in the file, the same in every process."""
    arrays = {f"layer{i}.weight": np.full((2, 2), i, np.float32) for i in range(12)}
    arrays["empty"] = np.zeros((0,), np.float32)
    zn.save(arrays, tmp_path / "m.safetensors")
    code = (
        f"import sys, zennet as zn; print(','.join(zn.load({str(tmp_path / 'm.safetensors')!r})))"
    )
    orders = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
        ).stdout.strip()
        for seed in range(4)
    }
    assert len(orders) == 1
    assert sorted(orders.pop().split(",")) == sorted(arrays)
