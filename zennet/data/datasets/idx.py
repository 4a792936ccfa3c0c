"""IDX files, the format of MNIST and Fashion-MNIST, read safely.

An IDX file is a 4-byte magic number ``0x00 0x00 <type> <ndim>``, then ``ndim``
big-endian uint32 sizes, then the values in row-major order, big-endian:

    offset  0: 00 00 08 03              uint8 values, 3 dimensions
    offset  4: 00 00 ea 60              60000
    offset  8: 00 00 00 1c              28
    offset 12: 00 00 00 1c              28
    offset 16: 60000 * 28 * 28 bytes of pixels

:func:`read_idx` checks every one of these before it trusts them: the magic,
the type code, the number of dimensions, that the declared size is sane (it is
refused before anything that large is allocated) and that the payload is
exactly as long as declared. A bad file raises ``ValueError`` naming the file
and the problem; it never yields a garbage array. Gzipped files (``.gz``) are
recognised by their content, not their name.
"""

import gzip
import math
import os
import struct
import zlib

import numpy as np

from zennet.io import read_up_to

IDX_TYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
MAX_NDIM = 16
DEFAULT_MAX_BYTES = 1 << 32  # 4 GiB: far above any IDX data set, far below "absurd"
_MAX_DEFLATE_RATIO = 1100  # deflate never expands data more than ~1032x


def read_idx(path, max_bytes=DEFAULT_MAX_BYTES):
    """The array stored in the IDX file ``path`` (raw or gzipped), in native byte order.

    >>> read_idx("train-labels-idx1-ubyte.gz").shape     # (60000,), dtype uint8

    Raises ``ValueError`` for a wrong magic number, an unknown type code, a declared
    shape above ``max_bytes`` bytes, or a payload shorter or longer than declared.
    """
    path = os.fspath(path)
    with open(path, "rb") as raw:
        size = os.fstat(raw.fileno()).st_size
        if raw.read(2) != b"\x1f\x8b":
            raw.seek(0)
            return _read_idx_stream(raw, path, max_bytes, max_size=size)
        raw.seek(0)
        try:
            with gzip.GzipFile(fileobj=raw) as stream:
                return _read_idx_stream(
                    stream, path, max_bytes, max_size=_MAX_DEFLATE_RATIO * size + 1024
                )
        except (OSError, EOFError, zlib.error) as err:  # BadGzipFile is an OSError
            raise ValueError(f"read_idx: {path} is a damaged gzip file ({err}).") from err


def _read_idx_stream(stream, path, max_bytes, max_size):
    """Parse one IDX stream holding at most ``max_size`` bytes (known from the file's size)."""
    magic = stream.read(4)
    if len(magic) < 4:
        raise ValueError(f"read_idx: {path} is too short to be an IDX file ({len(magic)} bytes).")
    zero0, zero1, code, ndim = magic
    if zero0 or zero1:
        raise ValueError(
            f"read_idx: {path} is not an IDX file: it starts with bytes {magic.hex(' ')}, "
            f"expected the magic number 00 00 <type> <ndim>."
        )
    if code not in IDX_TYPES:
        known = ", ".join(f"0x{c:02X}" for c in IDX_TYPES)
        raise ValueError(
            f"read_idx: {path} has unsupported IDX type code 0x{code:02X}; expected one of {known}."
        )
    if not 1 <= ndim <= MAX_NDIM:
        raise ValueError(
            f"read_idx: {path} declares {ndim} dimensions; expected 1 to {MAX_NDIM}. "
            f"The file is damaged or not an IDX file."
        )
    dims = stream.read(4 * ndim)
    if len(dims) < 4 * ndim:
        raise ValueError(f"read_idx: {path} is truncated inside its header.")
    shape = struct.unpack(f">{ndim}I", dims)
    dtype = IDX_TYPES[code]
    nbytes = math.prod(shape) * dtype.itemsize
    header = 4 + 4 * ndim
    if nbytes > max_bytes:
        raise ValueError(
            f"read_idx: {path} declares shape {shape} ({nbytes:,} bytes), more than the limit "
            f"of {max_bytes:,} bytes; the header is damaged (or pass a larger max_bytes=)."
        )
    if header + nbytes > max_size:  # refused before allocating anything that large
        raise ValueError(
            f"read_idx: {path} is truncated or its header is damaged: it declares shape {shape} "
            f"({nbytes:,} bytes of data), more than a file of its size can hold."
        )
    buffer, got = read_up_to(stream, nbytes)
    if got < nbytes:
        raise ValueError(
            f"read_idx: {path} is truncated: its header declares shape {shape} ({nbytes:,} bytes "
            f"of data) but only {got:,} bytes follow the header."
        )
    if stream.read(1):
        raise ValueError(
            f"read_idx: {path} has trailing data after the {nbytes:,} bytes its header declares "
            f"(shape {shape})."
        )
    array = np.frombuffer(buffer, dtype=dtype).reshape(shape)
    return array.astype(dtype.newbyteorder("=")) if dtype.itemsize > 1 else array
