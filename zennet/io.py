"""Saving and loading arrays without pickle: safetensors and npz, written atomically.

    zn.save(model.state_dict(), "model.safetensors")      # or "model.npz"
    model.load_state_dict(zn.load("model.safetensors"))

* Formats, chosen by the file name: ``.safetensors`` (the ``safetensors`` package,
  an optional extra: ``pip install safetensors``) and ``.npz`` (NumPy only). Both hold
  named arrays and nothing else; loading a file can never run code.
* Atomic writes: the bytes go to a temporary file in the target's folder, are flushed
  and fsync'ed, then renamed over the target. A crash, a full disk or a permission
  error leaves the previous file as it was and no temporary file behind (a SIGKILL
  mid-write can leave its ``.NAME.<random>.tmp``, which nothing reads).
* Defensive reads: a truncated, empty, damaged or foreign file (a PNG, a pickle, random
  bytes, a header claiming absurd sizes) raises ``ValueError`` naming the file; sizes
  are checked against the file's length before anything is allocated. safetensors
  files written here carry a CRC-32 of their arrays and metadata, so flipped bits in
  the data are caught too (npz entries carry zip's own CRC-32).

Checkpoints (:func:`save_checkpoint`) put a model, an optimizer, the epoch, the history
and the random state in one such file: the arrays under prefixed keys (``model.fc.weight``,
``optim.state.0.exp_avg``), everything else as JSON in the metadata.
"""

import functools
import json
import math
import os
import secrets
import struct
import zipfile
import zlib

import numpy as np

from zennet.tensor import Tensor

FORMATS = (".safetensors", ".npz")
METADATA_ENTRY = "__metadata__"  # the npz entry holding the metadata as JSON text
CRC_KEY = "zennet.crc32"  # safetensors metadata: checksum of arrays and metadata
MARK_KEY = "zennet.format"  # safetensors metadata: "written by zennet", so a checksum is due
CHECKPOINT_KEY = "zennet.checkpoint"
_MAX_HEADER = 100 * 1024 * 1024  # safetensors' own limit on the JSON header
_MAX_DEFLATE_RATIO = 1100  # deflate never expands data more than ~1032x
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_FOREIGN = [  # (first bytes, what the file probably is) for clearer refusals
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"\x1f\x8b", "a gzip file"),
    (b"\x93NUMPY", "a single .npy array, not a state dict"),
    (b"\x89HDF", "an HDF5 (Keras .h5) file"),
    (b"\x80", "a Python pickle (PyTorch .pt files saved without zip are pickles)"),
]


class InvalidFileError(ValueError):
    """A file that is not a valid zennet/safetensors/npz file (a ``ValueError``)."""


def _invalid(path, why, kind="zennet/safetensors/npz"):
    return InvalidFileError(f"load: {path} is not a valid {kind} file: {why}.")


def _format(path, who):
    extension = os.path.splitext(path)[1].lower()
    if extension not in FORMATS:
        raise ValueError(
            f"{who}: cannot tell the format of {path!r} from its name; end it with "
            f".safetensors or .npz."
        )
    return extension


def _safetensors(who):
    try:
        import safetensors.numpy
    except ImportError as err:
        raise ImportError(
            f"{who}: .safetensors files need the safetensors package: `pip install safetensors` "
            f"(or `pip install zennet[io]`). A .npz file name needs nothing extra."
        ) from err
    return safetensors.numpy


# ----------------------------------------------------------------------------- save


def _checked_arrays(state, who):
    """``{name: C-contiguous native-endian ndarray}`` from ndarrays or Tensors."""
    if not isinstance(state, dict):
        raise TypeError(f"{who}: expected a dict of arrays (a state dict), got {type(state)}.")
    arrays = {}
    for key, value in state.items():
        if not isinstance(key, str) or key == METADATA_ENTRY:
            raise ValueError(
                f"{who}: keys must be strings other than {METADATA_ENTRY!r}; got {key!r}."
            )
        array = np.asarray(value.data if isinstance(value, Tensor) else value)
        if array.dtype.kind not in "biuf":
            raise ValueError(
                f"{who}: {key!r} has dtype {array.dtype}; only bool, integer and float arrays "
                f"can be saved (without pickle)."
            )
        if not array.dtype.isnative:
            array = array.astype(array.dtype.newbyteorder("="))
        arrays[key] = array if array.flags.c_contiguous else array.copy(order="C")
    return arrays


def _checked_metadata(metadata, who):
    metadata = dict(metadata or {})
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise TypeError(f"{who}: metadata must map strings to strings, got {metadata!r}.")
    if CRC_KEY in metadata or MARK_KEY in metadata:
        raise ValueError(f"{who}: metadata keys {CRC_KEY!r} and {MARK_KEY!r} are zennet's own.")
    return metadata


def _checksum(arrays, metadata):
    """CRC-32 over every name, dtype, shape and byte, and over the metadata."""
    crc = zlib.crc32(json.dumps(sorted(metadata.items())).encode())
    for key in sorted(arrays):
        array = arrays[key]
        crc = zlib.crc32(f"{key}|{array.dtype.str}|{array.shape}".encode(), crc)
        crc = zlib.crc32(array.reshape(-1).view(np.uint8), crc)
    return f"{crc:08x}"


def _write_npz(stream, arrays, metadata):
    """What ``np.savez`` writes (stored zip of .npy entries), never pickling, any key name."""
    if metadata:
        arrays = {**arrays, METADATA_ENTRY: np.array(json.dumps(metadata))}
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        for key, array in arrays.items():
            with archive.open(key + ".npy", "w", force_zip64=True) as entry:
                np.lib.format.write_array(entry, array, allow_pickle=False)


def atomic_write(path, write, who="save"):
    """Call ``write(file)`` on a temporary binary file next to ``path``, fsync it, rename it
    over ``path``: readers see the old file or the new one, never a part of it."""
    folder = os.path.dirname(os.path.abspath(path))
    temporary = os.path.join(folder, f".{os.path.basename(path)}.{secrets.token_hex(4)}.tmp")
    try:
        # os.open with 0o666 lets the umask set the permissions, as for any new file
        with os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException as err:
        try:
            os.remove(temporary)
        except OSError:
            pass  # never created, or already gone
        if isinstance(err, OSError):
            message = (
                f"{who}: could not write {path} ({err.strerror or err}); nothing was written and "
                f"the previous file, if any, is unchanged."
            )
            raise (type(err)(err.errno, message) if err.errno else type(err)(message)) from err
        raise
    try:  # make the rename itself durable; not every file system allows it
        folder_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(folder_fd)
        finally:
            os.close(folder_fd)
    except OSError:
        pass


def save(state, path, metadata=None):
    """Write ``{name: array or Tensor}`` to ``path`` (.safetensors or .npz), atomically.

    ``metadata`` (a dict of strings) goes into the safetensors header, or into an npz
    entry ``__metadata__`` as JSON. Tensors are stored as their arrays.
    """
    path = os.fspath(path)
    extension = _format(path, "save")
    arrays = _checked_arrays(state, "save")
    metadata = _checked_metadata(metadata, "save")
    if extension == ".safetensors":
        st = _safetensors("save")
        header = {**metadata, MARK_KEY: "1"}
        header[CRC_KEY] = _checksum(arrays, header)
        atomic_write(path, lambda f: f.write(st.save(arrays, metadata=header)), "save")
    else:
        atomic_write(path, lambda f: _write_npz(f, arrays, metadata), "save")


# ----------------------------------------------------------------------------- load


def read_up_to(stream, n):
    """Read up to ``n`` bytes into one writable buffer; returns (buffer, bytes read)."""
    buffer = bytearray(n)
    view, got = memoryview(buffer), 0
    while got < n:
        k = stream.readinto(view[got:])
        if not k:
            break
        got += k
    return buffer, got


def _read_safetensors(f, path, size):
    st = _safetensors("load")
    data = f.read()
    if len(data) < 8:
        raise _invalid(path, f"it is only {len(data)} bytes long")
    (n,) = struct.unpack("<Q", data[:8])
    if n > _MAX_HEADER or 8 + n > size:
        raise _invalid(path, f"its header claims {n:,} bytes but the file holds {size:,}")
    header = json.loads(data[8 : 8 + n])
    if not isinstance(header, dict):
        raise _invalid(path, "its header is not a JSON object")
    metadata = header.get("__metadata__") or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise _invalid(path, "its metadata is not a map of strings")
    loaded = st.load(data)  # a dict in no fixed order (its header checked by the reader):
    # hand the arrays back in file order; empty arrays share an offset, so the name breaks ties
    order = sorted(loaded, key=lambda k: (header[k]["data_offsets"][0], k))
    arrays = {key: loaded[key].copy() for key in order}
    # The mark is covered by the checksum and says one is due: damage to either key is seen.
    expected = metadata.pop(CRC_KEY, None)
    if (expected is not None or MARK_KEY in metadata) and expected != _checksum(arrays, metadata):
        raise _invalid(path, "it is corrupted (its checksum does not match its contents)")
    metadata.pop(MARK_KEY, None)
    return arrays, metadata


def _read_npy_entry(entry, size, name, invalid):
    """One .npy array (a file, or an entry of an npz archive) of ``size`` bytes in all, its
    declared shape checked against that size before anything is allocated; ``invalid(why)``
    makes the error."""
    version = np.lib.format.read_magic(entry)
    if version not in ((1, 0), (2, 0)):
        raise invalid(f"{name} has unsupported .npy version {version}")
    read_header = getattr(np.lib.format, f"read_array_header_{version[0]}_0")
    shape, fortran_order, dtype = read_header(entry)
    if dtype.kind not in "biufU" or dtype.hasobject:
        raise invalid(f"{name} holds {dtype}, which is not numeric")
    nbytes = math.prod(shape) * dtype.itemsize
    if entry.tell() + nbytes != size:
        raise invalid(
            f"{name} declares shape {shape} but holds {size - entry.tell():,} bytes of data"
        )
    buffer, got = read_up_to(entry, nbytes)
    if got != nbytes or entry.read(1):  # reading to the end makes zipfile check the CRC
        raise invalid(f"{name} is truncated")
    array = np.frombuffer(buffer, dtype=dtype).reshape(shape, order="F" if fortran_order else "C")
    return array if dtype.isnative else array.astype(dtype.newbyteorder("="))


def _declared_entries(f, size):
    """How many entries the zip's end record declares (None with an archive comment or zip64)."""
    f.seek(max(size - 22, 0))
    end = f.read(22)
    f.seek(0)
    if len(end) < 22 or end[:4] != b"PK\x05\x06":
        return None
    (count,) = struct.unpack("<H", end[10:12])
    return None if count == 0xFFFF else count


def _read_npz(f, path, size):
    arrays, metadata = {}, {}
    declared = _declared_entries(f, size)
    with zipfile.ZipFile(f) as archive:
        if declared is not None and declared != len(archive.infolist()):
            # zipfile does not check this; a damaged length field can hide entries
            raise _invalid(
                path, f"its directory lists {len(archive.infolist())} of {declared} entries"
            )
        for info in archive.infolist():
            name = info.filename
            if not name.endswith(".npy"):
                is_pickle = name.endswith(".pkl")
                hint = " (a PyTorch .pt file? convert it with zennet.interop)"
                raise _invalid(path, f"it holds {name!r}, not a NumPy array{hint * is_pickle}")
            stored = info.compress_type == zipfile.ZIP_STORED
            limit = info.compress_size if stored else _MAX_DEFLATE_RATIO * info.compress_size + 1024
            if info.compress_size > size or info.file_size > limit:
                raise _invalid(path, f"entry {name!r} has impossible sizes")
            with archive.open(info) as entry:
                invalid = functools.partial(_invalid, path)
                array = _read_npy_entry(entry, info.file_size, f"entry {name!r}", invalid)
            if name == METADATA_ENTRY + ".npy" and array.dtype.kind == "U" and array.ndim == 0:
                metadata = json.loads(str(array[()]))
            elif array.dtype.kind == "U":
                raise _invalid(path, f"entry {name!r} holds text, not numbers")
            else:
                arrays[name[:-4]] = array
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise _invalid(path, "its metadata is not a map of strings")
    return arrays, metadata


def _what_it_is(head):
    if not head:
        return "it is empty"
    for magic, kind in _FOREIGN:
        if head.startswith(magic):
            return f"it looks like {kind}"
    return f"its first bytes {head[:8].hex(' ')} match neither format"


def _read(path):
    """``(arrays, metadata)`` from a safetensors or npz file, recognised by its content."""
    path = os.fspath(path)
    with open(path, "rb") as f:  # a missing file is a FileNotFoundError, as usual
        size = os.fstat(f.fileno()).st_size
        head = f.read(16)
        f.seek(0)
        if head[:4] in _ZIP_MAGIC:
            reader = _read_npz
        elif len(head) > 8 and head[8:9] == b"{":
            reader = _read_safetensors
            _safetensors("load")  # a missing package is an ImportError, not a bad file
        else:
            raise _invalid(path, _what_it_is(head))
        try:
            return reader(f, path, size)
        except (InvalidFileError, MemoryError):
            raise
        except Exception as err:  # whatever a damaged file makes the parsers throw
            raise _invalid(path, f"{type(err).__name__}: {err}") from err


def load_npy(path):
    """The array in a NumPy ``.npy`` file, read without pickle: a damaged, truncated or
    foreign file, an object array, or a header declaring more data than the file holds
    raises ``ValueError`` (before anything that large is allocated)."""
    path = os.fspath(path)
    invalid = functools.partial(_invalid, path, kind=".npy")
    with open(path, "rb") as f:  # a missing file is a FileNotFoundError, as usual
        size = os.fstat(f.fileno()).st_size
        try:
            array = _read_npy_entry(f, size, "it", invalid)
        except InvalidFileError:
            raise
        except Exception as err:  # whatever a damaged header makes NumPy's parser throw
            raise invalid(f"{type(err).__name__}: {err}") from err
    if array.dtype.kind == "U":
        raise invalid("it holds text, not numbers")
    return array


def load(path, return_metadata=False):
    """The ``{name: ndarray}`` stored in a .safetensors or .npz file (``metadata`` too if asked).

    The format is recognised from the content. Raises ``ValueError`` for a file that is
    not a valid safetensors/npz file, ``FileNotFoundError`` for a missing one.
    """
    arrays, metadata = _read(path)
    return (arrays, metadata) if return_metadata else arrays


# ----------------------------------------------------------------------------- checkpoints


def _encode(value, key, arrays):
    """JSON-able form of ``value``; arrays move to ``arrays[key]`` and leave a reference.

    Tuples, dicts with non-string keys and NumPy scalars are tagged so that they come
    back as they went in (JSON alone would turn them into lists, strings and floats).
    """
    if isinstance(value, (Tensor, np.ndarray)):
        if key in arrays:
            raise ValueError(f"save_checkpoint: two entries map to the same array key {key!r}.")
        arrays[key] = value.data if isinstance(value, Tensor) else value
        return {"__array__": key}
    if isinstance(value, np.generic) and value.dtype.kind in "biuf":
        return {"__scalar__": value.dtype.str, "value": value.item()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        items = [_encode(v, f"{key}.{i}", arrays) for i, v in enumerate(value)]
        return {"__tuple__": items} if isinstance(value, tuple) else items
    if isinstance(value, dict):
        if all(isinstance(k, str) and not k.startswith("__") for k in value):
            return {k: _encode(v, f"{key}.{k}", arrays) for k, v in value.items()}
        return {
            "__items__": [
                [_encode(k, f"{key}.key", {}), _encode(v, f"{key}.{k}", arrays)]
                for k, v in value.items()
            ]
        }
    raise TypeError(
        f"save_checkpoint: {key} is a {type(value).__name__}, which cannot be stored without "
        f"pickle; use numbers, strings, lists, tuples, dicts and arrays."
    )


def _decode(value, arrays):
    """Inverse of :func:`_encode`."""
    if isinstance(value, list):
        return [_decode(v, arrays) for v in value]
    if not isinstance(value, dict):
        return value
    if "__array__" in value:
        return arrays[value["__array__"]]
    if "__scalar__" in value:
        dtype = np.dtype(value["__scalar__"])
        if dtype.kind not in "biuf":
            raise ValueError(f"unexpected scalar type {dtype}")
        return dtype.type(value["value"])
    if "__tuple__" in value:
        return tuple(_decode(v, arrays) for v in value["__tuple__"])
    if "__items__" in value:
        return {_decode(k, arrays): _decode(v, arrays) for k, v in value["__items__"]}
    return {k: _decode(v, arrays) for k, v in value.items()}


CHECKPOINT_PARTS = ("model_state", "optimizer_state", "epoch", "history", "rng_state", "extra")
_PREFIXES = dict(zip(CHECKPOINT_PARTS, ("model", "optim", "epoch", "history", "rng", "extra")))


def save_checkpoint(
    path, model_state, optimizer_state=None, epoch=None, history=None, rng_state=None, extra=None
):
    """Everything needed to resume training, in ONE .safetensors or .npz file (no pickle);
    the one way zennet checkpoints (``ModelCheckpoint``, ``Trainer.save_checkpoint``, the
    model files of ``zennet train``). A weights-only checkpoint leaves the rest None.

    Arrays are stored under prefixed keys: ``model.<name>`` for the model's state dict,
    ``optim.state.<i>.<name>`` for the optimizer's per-parameter state (a PyTorch-style
    ``{"state": {i: {...}}, "param_groups": [...]}``). The rest -- epoch, history
    (a dict of lists), the random generator's state, hyperparameters, numbers such as
    ``step``, ``extra`` -- is JSON in the metadata. The write is atomic.
    """
    parts = dict(zip(CHECKPOINT_PARTS, (model_state, optimizer_state, epoch, history, rng_state)))
    parts["extra"] = extra
    arrays = {}
    tree = {name: _encode(value, _PREFIXES[name], arrays) for name, value in parts.items()}
    tree = {"format": "zennet.checkpoint", "version": 1, **tree}
    save(arrays, path, metadata={CHECKPOINT_KEY: json.dumps(tree)})


def load_checkpoint(path):
    """The dict saved by :func:`save_checkpoint`: model_state, optimizer_state, epoch,
    history, rng_state and extra, exactly as they were (Tensors come back as ndarrays)."""
    arrays, metadata = _read(path)
    if CHECKPOINT_KEY not in metadata:
        raise ValueError(
            f"load_checkpoint: {os.fspath(path)} holds arrays but no checkpoint information; "
            f"it was saved with zn.save, so load it with zn.load."
        )
    try:
        tree = json.loads(metadata[CHECKPOINT_KEY])
        return {name: _decode(tree[name], arrays) for name in CHECKPOINT_PARTS}
    except Exception as err:
        raise _invalid(os.fspath(path), f"its checkpoint information is damaged ({err})") from err
