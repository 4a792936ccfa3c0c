"""Compiled kernels for the few hot spots NumPy can only do in many passes (optional: numba).

An Adam step is a dozen NumPy passes over every parameter, a 2×2 max pool's backward a
compare, a not and two multiplies per pooled axis. Each kernel here is the same formula
as one loop that reads each input once and writes each output once. They are written
below as plain Python (readable, and the reference their tests run) and compiled with
numba's ``njit`` on first use; the NumPy code beside each caller stays the definition.

Use. Off unless numba is installed (``pip install "zennet[fast]"``): then on, unless the
environment variable ``ZENNET_KERNELS=numpy`` is set or ``use_compiled_kernels(False)`` is
called. The first call of each kernel compiles it (about a second) and caches the machine
code beside this file or in numba's user cache, so later processes load it. Kernels run
on CPU NumPy arrays only and release the GIL.

Threads. A call on a large array (``MIN_SPLIT`` elements of its first argument) is cut along
its first axis into one part per thread (zennet.parallel says why and when), the parts run
at once in a numba parallel loop. ``SPLITS`` says, for each kernel, which arguments are
cut, which are sums (each part adds into zeros of its own, added in at the end) and which
every part reads whole; a kernel not listed runs whole. Large GEMMs are cut the same way
(:func:`matmul`), each part one BLAS call on one thread.

The test suite runs the NumPy path (tests/conftest.py switches kernels off);
tests/test_kernels.py runs each kernel against it.
"""

import ctypes
import importlib.util
import math
import operator
import os
import types

import numpy as np

from zennet import parallel
from zennet.backend import array_module, memory_order

_STATE = {"enabled": None, "compiled": None}
MIN_SPLIT = 1 << 16  # elements of the first argument below which a call runs whole
SUM_GAP = 64  # elements between two parts' sums: with them side by side, each part's writes
# took the cache line the other was writing (batch norm's channel sums over a (100352, 32)
# array: 7.9 ms cut in two against 0.9 ms whole, and 0.46 ms with the gap)


def compiled_kernels_available():
    """Whether numba is installed (the ``fast`` extra); it is imported only when a kernel
    is first needed."""
    return importlib.util.find_spec("numba") is not None


def use_compiled_kernels(enabled=True):
    """Switch the compiled kernels on or off for this process; returns the previous state.

    Switching them on without numba raises ImportError naming the extra to install.
    """
    if enabled and not compiled_kernels_available():
        raise ImportError(
            "use_compiled_kernels(True) needs numba: pip install 'zennet[fast]' "
            "(or pip install numba)."
        )
    previous = compiled_kernels_enabled()
    _STATE["enabled"] = bool(enabled)
    return previous


def compiled_kernels_enabled():
    """Whether the ops use the compiled kernels now (see the module docstring)."""
    if _STATE["enabled"] is None:
        wanted = os.environ.get("ZENNET_KERNELS", "").lower() != "numpy"
        _STATE["enabled"] = wanted and compiled_kernels_available()
    return _STATE["enabled"]


def kernel(name, *arrays):
    """The compiled kernel ``name``, or None when kernels are off or ``arrays`` are not CPU
    NumPy arrays of one dtype, float32 or float64. The caller checks their layout
    (``dense_flat``, ``ops.norm.channel_blocks``)."""
    if not compiled_kernels_enabled():
        return None
    for a in arrays:
        if type(a) is not np.ndarray or a.dtype.char not in "fd" or a.dtype != arrays[0].dtype:
            return None
    return _compiled()[name]


def parts(size, minimum):
    """How many parts a call of ``size`` elements (or multiply-adds) is cut into: zennet's
    threads when it is ``minimum`` or more and cutting is on (the compiled kernels on,
    zennet.parallel.threads_enabled(), numba's loops on spinning threads), else 1. Also 1
    in a child forked after this process started numba's threads: GNU OpenMP's threads do
    not survive a fork, and numba stops a child that uses them."""
    if size < minimum or not compiled_kernels_enabled() or not parallel.threads_enabled():
        return 1
    spin = _STATE.get("threads_spin")
    if spin is None:
        spin = _STATE["threads_spin"] = _numba_threads_spin()
    return parallel.compute_threads() if spin else 1


def _no_threads_after_fork():
    """In a forked child: numba's threads, if the parent started them, are not here."""
    if _STATE.get("threads_spin"):
        _STATE["threads_spin"] = False


os.register_at_fork(after_in_child=_no_threads_after_fork)


def hold_blas():
    """zennet.parallel.hold_blas while zennet cuts its calls across threads (:func:`parts`),
    else nothing: without the cutting, BLAS's own threads are the only ones a GEMM gets."""
    return parallel.hold_blas() if parts(1, 0) > 1 else False


release_blas = parallel.release_blas


def _numba_threads_spin():
    """Start numba's threads; whether they are OpenMP's or TBB's, which spin a while between
    loops. On numba's "workqueue" layer they sleep, and a cut call woken on them lost to one
    thread (a 128×512×512 GEMM: 560 µs against 360, and 240 on OpenMP's threads)."""
    import numba

    _compiled()["start_threads"](np.zeros(2))
    return numba.threading_layer() in ("omp", "tbb")


def start_threads(x):
    """x[i] = i in a parallel loop: its first call starts numba's threads."""
    for i in prange(x.shape[0]):
        x[i] = i


def _cut_source(name, roles):
    """Python source of a numba loop running kernel ``name`` on ``count`` parts at once (a
    ``prange``): CUT arguments sliced along their first axis, SUM arguments (1-d) given as
    one row per part of a (count, SUM_GAP + n) array, past a gap that keeps the parts' sums
    out of each other's cache lines, WHOLE ones as they are."""
    args = [f"a{i}" for i in range(len(roles))]
    given = {CUT: "{}[lo:hi]", SUM: "{}[p, " + str(SUM_GAP) + ":]", WHOLE: "{}"}
    call = ", ".join(given[role].format(arg) for arg, role in zip(args, roles))
    return (
        f"def cut_{name}({', '.join(args)}, count):\n"
        f"    n = a0.shape[0]\n"
        f"    for p in prange(count):\n"
        f"        lo = n * p // count\n"
        f"        hi = n * (p + 1) // count\n"
        f"        {name}({call})\n"
    )


def part_count(name, first):
    """How many parts a call of kernel ``name`` on ``first`` (its first argument, cut along
    its first axis) is cut into: :func:`parts` of its size, each part given at least one row,
    or ``PART_ROWS[name]`` rows."""
    return min(parts(first.size, MIN_SPLIT), max(len(first) // PART_ROWS.get(name, 1), 1))


def _threaded(name, scope):
    """The compiled kernel ``name`` (in ``scope``), cut into one part per thread on a large
    call (``SPLITS[name]``). The cut loop's source comes from :func:`_cut_source` and is
    compiled as if written in this file, so that numba caches it beside the kernels."""
    import numba

    compiled, roles = scope[name], SPLITS.get(name)
    if roles is None:
        return compiled
    exec(compile(_cut_source(name, roles), __file__, "exec"), scope)  # noqa: S102 (our template)
    cut = numba.njit(parallel=True, nogil=True, cache=True)(scope[f"cut_{name}"])

    sums = SUM in roles

    def run(*args):
        count = part_count(name, args[0])
        if count < 2:
            return compiled(*args)
        if not sums:
            return cut(*args, count)
        given = [
            np.zeros((count, SUM_GAP + a.size), a.dtype) if role == SUM else a
            for a, role in zip(args, roles)
        ]
        cut(*given, count)
        for a, part_sums, role in zip(args, given, roles):
            if role == SUM:
                a += part_sums[:, SUM_GAP:].sum(axis=0)

    return run


def _blas_ready_kernels():
    """Whether the compiled kernels are on and have a BLAS of zennet's own to call."""
    return compiled_kernels_enabled() and parallel.cblas_gemm() is not None


def blas_kernels_ready(*arrays):
    """Whether the kernels of ``BLAS_KERNELS`` can run on ``arrays``: the compiled kernels
    on, a BLAS zennet calls itself (zennet.parallel.cblas_gemm), and each array a CPU
    float32 NumPy array (those kernels' tanh is float32's)."""
    if not _blas_ready_kernels():
        return False
    return all(type(a) is np.ndarray and a.dtype == np.float32 for a in arrays)


def by_rows(name, rows, *args):
    """Run the BLAS kernel ``name`` over ``rows`` independent rows (samples): in one part per
    thread at once (``name(*args, count)``) when zennet cuts its calls, else whole
    (``{name}_rows(*args, 0, rows)``), with BLAS held to one thread meanwhile."""
    count = min(parts(1, 0), rows)
    held = parallel.hold_blas()
    try:
        if count > 1:
            _compiled()[name](*args, count)
        else:
            _compiled()[f"{name}_rows"](*args, 0, rows)
    finally:
        parallel.release_blas(held)


GEMM_MIN = 1 << 18  # multiply-adds below which a GEMM runs whole, on one thread
M_CUT_RATIO = 2  # a GEMM is cut along m when m is at least n / M_CUT_RATIO (_cut_gemm)
BLAS_ONE_THREAD_BELOW = 2304 * 4  # multiply-adds: OpenBLAS runs smaller products on one
# thread whatever its count (its GEMV's threshold, 2304 times GEMM_MULTITHREAD_THRESHOLD 4;
# its GEMM's is 65536 times 4), so matmul need not hold it


def matmul(a, b, out=None, bias=None):
    """a @ b (as np.matmul, ``out`` too), plus ``bias`` (n,) on every row when given. When
    cutting is on (:func:`parts`), a product of ``GEMM_MIN`` multiply-adds or more whose
    leading axes broadcast along two batch axes at most (:func:`_batched`) is cut into one
    part per thread (:func:`_cut_gemm`; a 2-d one into a new array by :func:`gemm_2d`, in
    one compiled call), each part's rows starting as the bias. With the compiled kernels on,
    a smaller 2-d product into a new array is one compiled BLAS call on this thread
    (:func:`gemm_2d_whole`, its rows too starting as the bias), as a run of dense layers
    (:func:`dense_chain`) makes its small products, to the same bits, and in less time than
    NumPy's matmul and add. Else, and for other arrays (another device, 1-d, other dtypes,
    a bias of another shape than (n,)) and empty products, it is the array module's matmul
    and an add. BLAS is held to one thread meanwhile where its own threads could start:
    not for zennet's own calls on oneMKL (run sequentially), nor for a product under
    ``BLAS_ONE_THREAD_BELOW`` multiply-adds (a hold and release cost about 1.7 µs, more than a
    batch-1 layer's small GEMV)."""
    if (
        type(a) is not np.ndarray
        or type(b) is not np.ndarray
        or a.dtype.char not in "fd"
        or a.dtype != b.dtype
        or min(a.ndim, b.ndim) < 2
    ):
        return _plus(array_module(a).matmul(a, b, out=out), bias)
    n = b.shape[-1]
    if bias is not None and getattr(bias, "shape", None) != (n,):  # another shape: NumPy's add
        return _plus(np.matmul(a, b, out=out), bias)
    plain = a.ndim == 2 and b.ndim == 2  # the common case: _batched's views only if cut
    found = None if plain else _batched(a, b)
    m, k = a.shape[-2], a.shape[-1]
    size = m * k * n * (math.prod(found[2]) if found else 1)
    small = size < BLAS_ONE_THREAD_BELOW
    count = 1 if small and size < GEMM_MIN else parts(GEMM_MIN, GEMM_MIN)
    cut = count > 1 and (plain or found is not None) and size >= max(GEMM_MIN, 1)  # empty: NumPy's
    whole = plain and out is None and 0 < size < GEMM_MIN and _blas_ready_kernels()
    ours = (cut or whole) and parallel.blas_name() == "mkl"  # sequential oneMKL: no threads
    held = count > 1 and not (small or ours) and parallel.hold_blas()
    try:  # held: else BLAS's own threads would spin on zennet's cores
        if whole or cut and plain and out is None:  # into a new array, in one compiled call
            result = np.empty((m, n), a.dtype)
            rows = _bias_rows(bias, a.dtype)
            if whole and _compiled()["gemm_2d_whole"](a, b, result, rows):
                return result  # as dense_chain makes a small product
            if cut and _compiled()["gemm_2d"](a, b, result, count, rows):
                return result
        if cut:
            return _cut_gemm(*(found or _batched(a, b)), out, count, bias)
        return _plus(np.matmul(a, b, out=out), bias)
    finally:
        parallel.release_blas(held)


def dense_layers(a, weights, biases, relus):
    """Dense layers in turn, z = x @ w.T + b (x: a, then the layer before's z), then
    max(z, 0) where ``relus`` says, in one compiled call (:func:`dense_chain`): the last z.
    Each product is :func:`matmul`'s to the bit: cut as it cuts, or (under ``GEMM_MIN``
    multiply-adds) one BLAS call with z starting as the bias, as it makes the small ones
    when the compiled kernels are on. None, computing
    nothing, unless zennet cuts its calls (:func:`parts`) and would cut one of these
    products, a, each of ``weights`` (n, k, C-contiguous) and ``biases`` (n,) (or None) are
    NumPy arrays of one float dtype, each layer fitting the one before, and no product is
    one matmul cuts along k. zn.jit's replay of a run of Linear and ReLU ops and
    nn.Sequential's (zennet/nn/fusion.py) call it in two halves: :func:`dense_prepare`
    once for as long as the weights are the same arrays (:class:`DensePrepared`),
    :func:`dense_run` on each input."""
    return dense_run(a, dense_prepare(weights, biases, relus))


def dense_prepare(weights, biases, relus):
    """What :func:`dense_run` needs of the weights, biases and ReLUs (checked as
    :func:`dense_layers` says), or None where they do not fit: a table of each layer's
    (weight's address, n, k, bias's address, its length: 0 for none, ReLU after?), which
    the compiled chain reads its arrays from (numba takes a tuple of arrays in far more
    slowly than one array: docs/performance.md), and the arrays themselves, kept alive
    with it."""
    first = weights[0]
    if type(first) is not np.ndarray or first.dtype.char not in "fd" or first.ndim != 2:
        return None
    dtype, k, largest, rows, adds = first.dtype, first.shape[1], 0, [], []
    for w, b, relu in zip(weights, biases, relus):
        if type(w) is not np.ndarray or w.dtype != dtype or w.ndim != 2 or w.shape[1] != k:
            return None
        if not w.flags.c_contiguous or w.size == 0:  # BLAS would take it otherwise than matmul
            return None
        fits = b is None or type(b) is np.ndarray and b.dtype == dtype and b.shape == w.shape[:1]
        fits = fits and (b is None or b.flags.c_contiguous)  # else a copy: blind to changes
        if not fits:
            return None
        adds.append(_bias_rows(b, dtype))
        bias_at, bias_length = adds[-1].ctypes.data, adds[-1].shape[0]
        rows.append((w.ctypes.data, w.shape[0], k, bias_at, bias_length, bool(relu)))
        largest, k = max(largest, k * w.shape[0]), w.shape[0]
    between = sum(w.shape[0] for w in weights[:-1])  # the widths of the values in between
    table = np.array(rows, np.int64)
    return table, (weights, adds), dtype, first.shape[1], between, k, largest


class DensePrepared:
    """:func:`dense_prepare` of the weights and biases a call gives (and this run's
    ``relus``), made again only when they are other arrays than the last call's (an
    in-place change keeps them, and the table's addresses still lead to it). Threads may
    share one."""

    def __init__(self, relus):
        self.relus = tuple(relus)
        self._last = ((), None)  # (the arrays last given, what dense_prepare made of them)

    def __call__(self, weights, biases):
        arrays = (*weights, *biases)
        seen, prepared = self._last  # one read: another thread may replace it meanwhile
        if len(arrays) != len(seen) or not all(map(operator.is_, arrays, seen)):
            prepared = dense_prepare(weights, biases, self.relus)
            self._last = arrays, prepared
        return prepared

    def __reduce__(self):  # a copy (deepcopy, pickle) starts empty: its table may be stale
        return type(self), (self.relus,)


def dense_run(a, prepared):
    """:func:`dense_layers` on a, the layers as :func:`dense_prepare` made them ready."""
    if prepared is None or type(a) is not np.ndarray or a.ndim != 2:
        return None
    table, _, dtype, width, between, last, largest = prepared
    m = a.shape[0]
    count = parts(GEMM_MIN, GEMM_MIN)
    if count < 2 or m * largest < max(GEMM_MIN, 1):  # nothing to cut (or empty): the ops'
        return None  # own products, to the bit
    if a.dtype != dtype or a.shape[1] != width:
        return None
    values, out = np.empty(m * between, dtype), np.empty((m, last), dtype)
    held = parallel.blas_name() != "mkl" and parallel.hold_blas()
    try:
        done = _compiled()["dense_chain"](a, table, values, out, count, GEMM_MIN)
    finally:
        parallel.release_blas(held)
    return out if done else None


def _plus(product, bias):
    if bias is not None:
        product += bias
    return product


def _batched(a, b):
    """(a4, b4, batch): a and b as (B1, B2, rows, cols) views whose two batch axes each
    have the product's size or 1 (broadcast), and the product's batch shape; None when
    the leading axes do not broadcast, or broadcast along more than the last one and
    another. Leading axes beyond two are merged into the first (a copy where their
    strides do not merge)."""
    if a.ndim == b.ndim == 2:  # the common case, quickly
        return a[None, None], b[None, None], ()
    lead_a, lead_b = a.shape[:-2], b.shape[:-2]
    try:
        batch = np.broadcast_shapes(lead_a, lead_b)
    except ValueError:
        return None  # np.matmul says why
    views = []
    for x, lead in ((a, lead_a), (b, lead_b)):
        lead = (1,) * (len(batch) - len(lead)) + tuple(lead)
        if len(lead) > 2:
            head = lead[:-1]
            if head != batch[:-1] and math.prod(head) != 1:
                return None
            lead = (math.prod(head), lead[-1])
        views.append(x.reshape((1,) * (2 - len(lead)) + lead + x.shape[-2:]))
    return views[0], views[1], batch


def _blas_ready(x):
    """x, or a C-contiguous copy when its last two axes are not a BLAS operand as they are
    (rows or columns of unit stride, the other stride at least the row's length)."""
    return x if blas_operand(x) else np.ascontiguousarray(x)


def _cut_gemm(a, b, batch, out, count, bias=None):
    """a (A1, A2, m, k) @ b (B1, B2, k, n) (:func:`_batched`), of batch shape ``batch``, in
    ``count`` parts at once, each a BLAS call on one thread: along the batch when it has as
    many entries, else along k when k is more than four times m and n (the parts' products
    then summed), else along m when m is at least half n (``M_CUT_RATIO``), else along n.
    Along m, a weight gradient's rows are made by the thread whose part of Adam's cut then
    updates them (the runner's MLP step: ``python -m benchmarks.cut_axis_ab``)."""
    m, k, n = a.shape[-2], a.shape[-1], b.shape[-1]
    a, b = _blas_ready(a), _blas_ready(b)
    shape = batch + (m, n)
    outer, inner = max(a.shape[0], b.shape[0]), max(a.shape[1], b.shape[1])
    out4 = _in_place(out, shape, (outer, inner, m, n), a.dtype)
    fits = out4 is not None
    result = out if fits else np.empty(shape, a.dtype)
    if not fits:  # a view, not a reshape: half a µs less on each of a batch-1 pass's GEMMs
        out4 = result[None, None] if not batch else result.reshape((outer, inner, m, n))
    if outer * inner >= count:
        axis = 0
    elif along_k(m, k, n):
        axis = 3
    else:
        axis = 1 if M_CUT_RATIO * m >= n else 2
    driver = _compiled()["gemm_parts"]
    add = _bias_rows(bias, a.dtype)
    if axis != 3:
        driver(a, b, out4[None], count, axis, add)
    else:
        sums = np.empty((count,) + out4.shape, a.dtype)
        driver(a, b, sums, count, axis, add[:0])
        np.sum(sums, axis=0, out=out4)
        _plus(out4, bias)
    if out is None or fits:
        return result
    out[...] = result
    return out


_NO_BIAS = {"f": np.zeros(0, np.float32), "d": np.zeros(0, np.float64)}  # gemm_parts's "none"


def _bias_rows(bias, dtype):
    """``bias`` as the compiled GEMMs take it: a contiguous (n,) array of ``dtype``, or an
    empty one for none."""
    return _NO_BIAS[dtype.char] if bias is None else np.ascontiguousarray(bias, dtype)


def along_k(m, k, n):
    """Whether a cut product (m, k) @ (k, n) is cut along k: k more than four times m and n
    (:func:`_cut_gemm`; :func:`gemm_2d` leaves those to it)."""
    return k > 4 * max(m, n)


def _in_place(out, shape, shape4, dtype):
    """``out`` as the (O1, O2, m, n) view ``shape4`` that BLAS can write into (``dtype``,
    rows of unit stride), or None when it is no such view (the product then goes to a new
    array, copied into out after)."""
    if out is None or out.shape != shape or out.dtype != dtype or not out.flags.writeable:
        return None
    size, (rows, cols) = out.itemsize, shape[-2:]
    if out.strides[-1] != size or out.strides[-2] < max(cols, 1) * size and rows > 1:
        return None
    view = out.reshape(shape4)  # a copy where out's strides do not merge: not in place
    return view if np.may_share_memory(view, out) else None


def operand(x, size):
    """(transposed?, leading dimension) of a BLAS-ready 2-d x (:func:`_blas_ready`), read
    the way :func:`blas_operand` accepted it: rows of unit stride only where the row stride
    spans a row (an axis of length 1 may have unit stride either way: a (1, k) view of a
    column has strides (s, s), which must go as a transposed operand, not as rows 1 apart)."""
    if x.strides[1] == size and x.strides[0] >= max(x.shape[1], 1) * size:
        return NO_TRANS, x.strides[0] // size
    return TRANS, x.strides[1] // size


def gemm_parts(a, b, out, count, axis, bias):
    """A loop over ``count`` parts (numba's ``prange``: at once) for a (A1, A2, m, k) @
    b (B1, B2, k, n), each batch axis of a and b of out's size or 1, cut along ``axis``
    (0 batch, 1 m, 2 n, 3 k): part p computes its piece with BLAS's row-major cblas_?gemm
    into out[0] (out: (1 or count, O1, O2, m, n)), or into out[p] when cut along k; with a
    ``bias`` (n,), not empty, its rows start as the bias and BLAS adds the product to them
    (as PyTorch's addmm: one pass fewer than adding the bias after). Compiled only: the
    BLAS functions are bound then."""
    outer, inner, m, n = out.shape[1:]
    k = a.shape[3]
    length = (outer * inner, m, n, k)[axis]
    for p in prange(count):
        lo, hi = length * p // count, length * (p + 1) // count
        b0, b1 = (lo, hi) if axis == 0 else (0, outer * inner)
        m0, m1 = (lo, hi) if axis == 1 else (0, m)
        n0, n1 = (lo, hi) if axis == 2 else (0, n)
        k0, k1 = (lo, hi) if axis == 3 else (0, k)
        target = out[p] if axis == 3 else out[0]
        for i in range(b0, b1):
            i1, i2 = i // inner, i % inner
            x = a[i1 if a.shape[0] > 1 else 0, i2 if a.shape[1] > 1 else 0, m0:m1, k0:k1]
            y = b[i1 if b.shape[0] > 1 else 0, i2 if b.shape[1] > 1 else 0, k0:k1, n0:n1]
            gemm_piece(x, y, target[i1, i2, m0:m1, n0:n1], bias[n0:n1] if bias.shape[0] else bias)


def gemm_2d(a, b, out, count, bias):
    """gemm_parts for 2-d a (m, k), b (k, n) and out (m, n) with rows of unit stride, cut
    along m or n by the same rule as :func:`_cut_gemm`, its look at the operands made here
    rather than in Python (a batch-1 layer's GEMM spent about 2.5 µs there). Returns False,
    computing nothing, where ``_cut_gemm`` is needed: an operand that is no BLAS operand
    as it is, or a product to cut along k. Compiled only."""
    m, k, n = a.shape[0], a.shape[1], b.shape[1]
    if along_k(m, k, n) or not (blas_operand(a) and blas_operand(b)):
        return False
    for p in prange(count):
        gemm_2d_part(a, b, out, p, count, bias)
    return True


def gemm_2d_whole(a, b, out, bias):
    """out = a @ b (2-d, out's rows of unit stride) in one BLAS call on this thread, out's
    rows starting as ``bias`` when it is not empty, as a part of :func:`gemm_2d` that is the
    whole: :func:`matmul`'s products too small to cut, so that a run of dense layers
    (:func:`dense_chain`) computes each small product as matmul does. Returns False,
    computing nothing, where an operand is no BLAS operand as it is. Compiled only."""
    if not (blas_operand(a) and blas_operand(b)):
        return False
    gemm_2d_part(a, b, out, 0, 1, bias)
    return True


def gemm_2d_part(a, b, out, p, count, bias):
    """Part p of ``count`` of :func:`gemm_2d`'s product, written into out; returns the
    piece of out it wrote."""
    m, n = a.shape[0], b.shape[1]
    along_m = M_CUT_RATIO * m >= n
    length = m if along_m else n
    lo, hi = length * p // count, length * (p + 1) // count
    m0, m1 = (lo, hi) if along_m else (0, m)
    n0, n1 = (0, n) if along_m else (lo, hi)
    z = out[m0:m1, n0:n1]
    gemm_piece(a[m0:m1], b[:, n0:n1], z, bias[n0:n1] if bias.shape[0] else bias)
    return z


def dense_chain(a, table, values, out, count, smallest):
    """Dense layers in turn in one compiled call (:func:`dense_layers`): z = x @ w.T + b
    (x: a, then the z before), then ReLU where the layer has one, the last z into out and
    the others into ``values`` (one after another, each (m, n) C-contiguous), layer i's w
    (n, k), b and ReLU read from row i of ``table`` (:func:`dense_prepare`: so one machine
    code serves every depth of run). A product of ``smallest``
    multiply-adds or more (``GEMM_MIN``, an argument so that the machine code numba caches
    holds no value of it) is cut into ``count`` parts as :func:`gemm_2d` cuts it, each
    part's ReLU on the piece it wrote; a smaller one is one piece on this thread, as
    :func:`gemm_2d_whole` makes it. Returns False, computing nothing, where gemm_2d would
    for a product to cut, or a is no BLAS operand. Compiled only."""
    m, k = a.shape
    if not blas_operand(a):
        return False
    for i in range(table.shape[0]):
        n = table[i, 1]
        if m * k * n >= smallest and along_k(m, k, n):
            return False
        k = n
    x, start, last = a, 0, table.shape[0] - 1
    for i in range(table.shape[0]):
        n, k = table[i, 1], table[i, 2]
        w = carray(as_pointer(table[i, 0]), (n, k), a.dtype).T  # as matmul gets it: (k, n)
        bias = carray(as_pointer(table[i, 3]), (table[i, 4],), a.dtype)
        z = out if i == last else values[start : start + m * n].reshape((m, n))
        start += m * n
        if m * k * n < smallest:
            relu_2d(gemm_2d_part(x, w, z, 0, 1, bias), table[i, 5] != 0)
        else:
            for p in prange(count):
                relu_2d(gemm_2d_part(x, w, z, p, count, bias), table[i, 5] != 0)
        x = z
    return True


def relu_2d(z, on):
    """z = max(z, 0) in place, row by row by :func:`relu`, when ``on``."""
    if on:
        for r in range(z.shape[0]):
            relu(z[r], z[r])


def blas_operand(x):
    """Whether x's last two axes are a BLAS operand as they are (:func:`_blas_ready`)."""
    size, rows, cols = x.itemsize, x.shape[-2], x.shape[-1]
    row_stride, col_stride = x.strides[-2], x.strides[-1]
    if col_stride == size and row_stride % size == 0 and row_stride >= max(cols, 1) * size:
        return True
    return row_stride == size and col_stride % size == 0 and col_stride >= max(rows, 1) * size


def gemm_piece(x, y, z, bias):
    """z = x @ y by BLAS, z's rows starting as ``bias`` when it is not empty (then BLAS adds
    the product to them: as PyTorch's addmm, one pass fewer than adding the bias after)."""
    size = x.itemsize
    trans_x, ld_x = operand(x, size)
    trans_y, ld_y = operand(y, size)
    rows, cols, inner, ld_z = x.shape[0], y.shape[1], x.shape[1], z.strides[0] // size
    beta = 0.0
    if bias.shape[0]:
        beta = 1.0
        for r in range(rows):
            z[r, :] = bias
    gemm(size, trans_x, trans_y, rows, cols, inner, x, ld_x, y, ld_y, beta, z, ld_z)


def gemm(size, trans_x, trans_y, rows, cols, inner, x, ld_x, y, ld_y, beta, z, ld_z):
    """z = x·y + beta·z by BLAS's cblas_sgemm or cblas_dgemm (``size``: 4 or 8 bytes)."""
    if size == 4:
        blas_sgemm(ROW_MAJOR, trans_x, trans_y, rows, cols, inner, 1.0, x.ctypes.data, ld_x,
                   y.ctypes.data, ld_y, beta, z.ctypes.data, ld_z)  # fmt: skip
    else:
        blas_dgemm(ROW_MAJOR, trans_x, trans_y, rows, cols, inner, 1.0, x.ctypes.data, ld_x,
                   y.ctypes.data, ld_y, beta, z.ctypes.data, ld_z)  # fmt: skip


prange = range  # numba's prange in the compiled kernels (_compile binds it)
blas_sgemm = blas_dgemm = None  # BLAS's cblas_sgemm and cblas_dgemm, bound by _compile
carray = as_pointer = None  # numba.carray, an address as its pointer: bound by _compile
ROW_MAJOR, NO_TRANS, TRANS = 101, 111, 112  # CBLAS's enums


def dense_flat(*arrays):
    """1-D views of ``arrays`` when all have the same shape and strides and fill one dense
    block of memory in some axis order (C, Fortran, channels-last...): an elementwise
    kernel can then run over the flat blocks. Else None."""
    first = arrays[0]
    shape, strides = first.shape, first.strides
    for a in arrays:  # a loop, not any() over a generator: this runs on every Adam update
        if a.shape != shape or a.strides != strides:
            return None
    if first.flags.c_contiguous:  # the common case, without working out the order
        return [a.reshape(-1) for a in arrays]
    order = memory_order(first)
    if not first.transpose(order).flags.c_contiguous:
        return None
    return [a.transpose(order).reshape(-1) for a in arrays]


def _compiled():
    """What :func:`_compile` makes, made on first use."""
    if _STATE["compiled"] is None:
        _STATE["compiled"] = _compile()
    return _STATE["compiled"]


def _compile():
    """The kernels compiled by numba, each cut into parts on a large call (:func:`_threaded`),
    and the parallel loops ``gemm_parts`` and ``start_threads``. Each is compiled from its
    code in this file with numba's names bound in place of the plain-Python ones (prange,
    the BLAS functions, the compiled kernels), so numba caches its machine code beside this
    file and a later process loads it instead of compiling."""
    import numba

    _prefer_openmp(numba)
    scope = dict(globals(), prange=numba.prange, **_blas_functions())
    scope.update(carray=numba.carray, as_pointer=_pointer())

    def jit(fn, **options):
        rebound = types.FunctionType(fn.__code__, scope, fn.__name__, fn.__defaults__)
        return numba.njit(cache=True, nogil=True, **options)(rebound)

    for name, fn in PYTHON_KERNELS.items():
        # sums may be reordered (vectorized) where the kernel says so: REORDERED_SUMS
        fastmath = {"reassoc"} if name in REORDERED_SUMS else False
        scope[name] = jit(fn, error_model="numpy", fastmath=fastmath)
    scope["operand"] = jit(operand, inline="always")
    scope["gemm"] = jit(gemm, inline="always")
    scope["blas_operand"] = jit(blas_operand, inline="always")
    scope["gemm_piece"] = jit(gemm_piece, inline="always")
    scope["gemm_2d_part"] = jit(gemm_2d_part, inline="always")
    scope["relu_2d"] = jit(relu_2d, inline="always")
    scope["along_k"] = jit(along_k, inline="always")
    scope["tanh32"] = jit(tanh32, inline="always", error_model="numpy")
    scope["pass_on"] = jit(pass_on, inline="always")
    scope["step_at"] = jit(step_at, inline="always")
    scope["keep"] = jit(keep, inline="always")
    compiled = {name: _threaded(name, scope) for name in PYTHON_KERNELS}
    for name, fn in BLAS_KERNELS.items():  # whole on one thread, and cut by rows (by_rows)
        compiled[f"{name}_rows"] = scope[f"{name}_rows"] = jit(fn, error_model="numpy")
        compiled[name] = jit(globals()[name], parallel=True)
    compiled["gemm_parts"] = jit(gemm_parts, parallel=True)
    compiled["gemm_2d"] = jit(gemm_2d, parallel=True)
    compiled["gemm_2d_whole"] = jit(gemm_2d_whole)
    compiled["dense_chain"] = jit(dense_chain, parallel=True)
    compiled["adam_table"] = jit(adam_table, parallel=True)
    compiled["adam_row"] = jit(adam_row)
    compiled["start_threads"] = jit(start_threads, parallel=True)
    return compiled


def _prefer_openmp(numba):
    """Have numba's parallel loops run on OpenMP's threads rather than TBB's, which numba
    takes first when the tbb wheel is installed (the mkl wheel brings it), unless the user
    chose a layer (NUMBA_THREADING_LAYER or _PRIORITY). On TBB's threads a cut GEMM
    (128×784×512) took 579 µs, against 315 µs on OpenMP's (``python -m
    benchmarks.gemm_shapes`` with and without NUMBA_THREADING_LAYER=tbb,
    docs/performance.md). Numba reads the choice when a loop first runs."""
    chosen = {"NUMBA_THREADING_LAYER", "NUMBA_THREADING_LAYER_PRIORITY"} & set(os.environ)
    if not chosen:
        numba.config.THREADING_LAYER_PRIORITY = ["omp", "tbb", "workqueue"]


def _pointer():
    """A numba intrinsic: an integer address (an array's ``ctypes.data``) as the pointer
    numba's carray takes."""
    from numba import types as nb
    from numba.core import cgutils
    from numba.extending import intrinsic

    @intrinsic
    def as_pointer(typingctx, address):
        def codegen(context, builder, signature, args):
            return builder.inttoptr(args[0], cgutils.voidptr_t)

        return nb.voidptr(address), codegen

    return as_pointer


def _blas_functions():
    """{"blas_sgemm", "blas_dgemm"}: BLAS's cblas_?gemm (zennet.parallel.cblas_gemm) as numba
    external functions, registered with LLVM under names of zennet's own so that machine code
    cached by an earlier process finds them; {} when BLAS has none."""
    import llvmlite.binding
    from numba import types as nb

    found = parallel.cblas_gemm()
    if found is None:
        return {}
    index = nb.int64 if found[0].argtypes[3] is ctypes.c_int64 else nb.int32
    functions = {}
    for name, function, real in zip(("blas_sgemm", "blas_dgemm"), found, (nb.float32, nb.float64)):
        symbol = f"zennet_{name}_{index}"
        llvmlite.binding.add_symbol(symbol, ctypes.cast(function, ctypes.c_void_p).value)
        signature = nb.void(
            nb.int32, nb.int32, nb.int32, index, index, index, real,  # order, trans a/b, m, n, k, α
            nb.voidptr, index, nb.voidptr, index, real, nb.voidptr, index,  # a, b, β, c
        )  # fmt: skip
        functions[name] = nb.ExternalFunction(symbol, signature)
    return functions


def adam(p, g, m, v, beta1, rest1, beta2, rest2, step_size, eps, l2, decay):
    """One Adam step over flat arrays, in place on p, m and v (scalars of p's dtype)::

        g ← g + l2·p                    (Adam's L2 weight decay; l2 = 0 for none)
        p ← decay·p                     (AdamW's decoupled decay; decay = 1 for none)
        m ← β1 m + (1 - β1) g,   v ← β2 v + (1 - β2) g²      (rest1 = 1 - β1, rest2 = 1 - β2)
        p ← p - step_size · m / (√v + eps)

    with step_size = η·√(1-β2^t)/(1-β1^t) and eps = ε·√(1-β2^t): optim.adam.adam_update's
    formula, bias corrections folded into the step size as there.
    """
    for i in range(p.size):
        gi = g[i] + l2 * p[i]
        mi = beta1 * m[i] + rest1 * gi
        vi = beta2 * v[i] + rest2 * gi * gi
        m[i] = mi
        v[i] = vi
        p[i] = decay * p[i] - step_size * mi / (math.sqrt(vi) + eps)


def adam_table(table, s, count):
    """:func:`adam` on many parameters in one compiled call (:func:`adam_all`): row i of
    ``table`` holds the addresses of parameter i's flat p, g, m and v and its size, ``s``
    adam's eight scalars in the parameters' dtype. Each parameter is cut into ``count``
    parts, part j of every one on one thread, as a cut call of adam on it alone would cut it.
    Compiled only."""
    for part in prange(count):
        for i in range(table.shape[0]):
            n = table[i, 4]
            lo, hi = n * part // count, n * (part + 1) // count
            p = carray(as_pointer(table[i, 0]), n, s.dtype)[lo:hi]
            g = carray(as_pointer(table[i, 1]), n, s.dtype)[lo:hi]
            m = carray(as_pointer(table[i, 2]), n, s.dtype)[lo:hi]
            v = carray(as_pointer(table[i, 3]), n, s.dtype)[lo:hi]
            adam(p, g, m, v, s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7])


def adam_row(table, i, p, g, m, v):
    """Row i of :func:`adam_table`'s table: the addresses of p, g, m and v (1-d) and p's size."""
    table[i, 0], table[i, 1], table[i, 2] = p.ctypes.data, g.ctypes.data, m.ctypes.data
    table[i, 3], table[i, 4] = v.ctypes.data, p.size


def adam_all(rows, scalars):
    """One Adam step on many parameters in one compiled call (:func:`adam_table`), cut
    across zennet's threads (:func:`parts` of their total size) as :func:`adam` is cut on
    each alone, to the same bits. ``rows``: (p, g, m, v) per parameter, four 1-d C-contiguous
    arrays of one size; ``scalars``: adam's eight scalars as an array of the arrays' dtype,
    float32 or float64 (the caller checks all of it). One call in place of one per
    parameter, each with its own checks and threads woken: docs/performance.md."""
    compiled, table, total = _compiled(), np.empty((len(rows), 5), np.int64), 0
    fill = compiled["adam_row"]
    for i, (p, g, m, v) in enumerate(rows):
        fill(table, i, p, g, m, v)  # the arrays stay alive in rows until the call returns
        total += p.size
    compiled["adam_table"](table, scalars, parts(total, MIN_SPLIT))


def max_pool_2x2(x, y, code):
    """y[a, i, j, b] = max of x[a, 2i:2i+2, 2j:2j+2, b]; code = which of the four (0-3, row
    major) holds it: the first maximum, or the last NaN, as PyTorch's kernel picks.

    x (A, H, W, B), y and code (A, H//2, W//2, B): a 2×2 window with stride 2 over the
    middle two axes (A and B gather the axes before and after them in memory).
    """
    for a in range(y.shape[0]):
        for i in range(y.shape[1]):
            for j in range(y.shape[2]):
                for b in range(y.shape[3]):
                    best = x[a, 2 * i, 2 * j, b]
                    which = 0
                    for k in range(1, 4):
                        value = x[a, 2 * i + k // 2, 2 * j + k % 2, b]
                        if value > best or math.isnan(value):
                            best = value
                            which = k
                    y[a, i, j, b] = best
                    code[a, i, j, b] = which


def max_pool_2x2_backward(dy, code, dx):
    """dx[a, 2i + k//2, 2j + k%2, b] = dy[a, i, j, b] where k = code[a, i, j, b], else 0;
    a last row or column that no window reads (odd H or W) gets 0. Writes every element
    of dx once (so dx may come from np.empty)."""
    for a in range(dx.shape[0]):
        for h in range(dx.shape[1]):
            i = h // 2
            for w in range(dx.shape[2]):
                j = w // 2
                inside = i < dy.shape[1] and j < dy.shape[2]
                k = (h % 2) * 2 + w % 2
                for b in range(dx.shape[3]):
                    if inside and code[a, i, j, b] == k:
                        dx[a, h, w, b] = dy[a, i, j, b]
                    else:
                        dx[a, h, w, b] = 0


def relu(x, y):
    """y = max(x, 0) over flat arrays (a NaN stays NaN, as np.maximum keeps it)."""
    for i in range(x.size):
        y[i] = 0 if x[i] <= 0 else x[i]


def relu_backward(y, dy, dx):
    """dx = dy where y > 0, else 0 (relu'(0) = 0), over flat arrays."""
    for i in range(y.size):
        dx[i] = dy[i] if y[i] > 0 else 0


def channel_sums(u, x, k, s1, s2):
    """s1[c] += Σ u,  s2[c] += Σ u·(x - k[c]) over a and b of u, x (A, C, B); s1, s2 and k
    float64 (C,). Batch norm's statistics (u = x, k a guess of the mean) and its backward's
    sums (u = dy, k = μ). The loops put the longer contiguous axis innermost (B, or C when
    B = 1, as in a channels-last array), so that they run as vector instructions; the float64
    sums may be split into partial sums to that end."""
    if x.shape[2] == 1:
        for a in range(x.shape[0]):
            for c in range(x.shape[1]):
                s1[c] += u[a, c, 0]
                s2[c] += u[a, c, 0] * (x[a, c, 0] - k[c])
        return
    for a in range(x.shape[0]):
        for c in range(x.shape[1]):
            t1, t2, kc = 0.0, 0.0, k[c]
            for b in range(x.shape[2]):
                t1 += u[a, c, b]
                t2 += u[a, c, b] * (x[a, c, b] - kc)
            s1[c] += t1
            s2[c] += t2


def channel_affine(u, x, p, q, r, out):
    """out = u·p[c] + x·q[c] + r[c] over u, x, out (A, C, B) and p, q, r (C,) of their dtype:
    batch norm's output (u = x, q = 0) and its input gradient (u = dy)."""
    if x.shape[2] == 1:
        for a in range(x.shape[0]):
            for c in range(x.shape[1]):
                out[a, c, 0] = u[a, c, 0] * p[c] + x[a, c, 0] * q[c] + r[c]
        return
    for a in range(x.shape[0]):
        for c in range(x.shape[1]):
            pc, qc, rc = p[c], q[c], r[c]
            for b in range(x.shape[2]):
                out[a, c, b] = u[a, c, b] * pc + x[a, c, b] * qc + rc


def column_sums(x, sums):
    """sums[c] += Σ_r x[r, c] over x (R, C), sums float64 (C,): a dense layer's bias gradient."""
    for r in range(x.shape[0]):
        for c in range(x.shape[1]):
            sums[c] += x[r, c]


def windows_2d(xpad, kh, kw, stride_h, stride_w, dilation_h, dilation_w, cols, add_back):
    """Between xpad (N, Hp, Wp, C) channels-last and cols (N, Ho, Wo, L), L >= kh·kw·C, whose
    column (a·kw + b)·C + c at output pixel (i, j) is xpad[n, i·sh + a·dh, j·sw + b·dw, c]:
    im2col copies xpad into cols, and 1 into every column past kh·kw·C (im2col's column of
    ones); col2im (``add_back``) adds every window's columns back into xpad, which the caller
    zeroed."""
    n_, ho, wo, width = cols.shape
    channels = xpad.shape[3]
    for n in range(n_):
        for i in range(ho):
            for j in range(wo):
                for a in range(kh):
                    for b in range(kw):
                        h, w = i * stride_h + a * dilation_h, j * stride_w + b * dilation_w
                        start = (a * kw + b) * channels
                        if add_back:
                            for c in range(channels):
                                xpad[n, h, w, c] += cols[n, i, j, start + c]
                        else:
                            for c in range(channels):
                                cols[n, i, j, start + c] = xpad[n, h, w, c]
                if not add_back:
                    for column in range(kh * kw * channels, width):
                        cols[n, i, j, column] = 1


def layer_norm(x, w, b, eps, y, mean, inv_std):
    """Each row r of x (R, D): μ and σ² (biased) in float64, then
    y = (x - μ)·inv_std·w + b with inv_std = 1/√(σ² + ε); μ and inv_std kept in mean,
    inv_std (R,) for the backward."""
    d = x.shape[1]
    for r in range(x.shape[0]):
        total = 0.0
        for j in range(d):
            total += x[r, j]
        mu = total / d
        squares = 0.0
        for j in range(d):
            squares += (x[r, j] - mu) ** 2
        inv = 1.0 / math.sqrt(squares / d + eps)
        mean[r], inv_std[r] = mu, inv
        for j in range(d):
            y[r, j] = (x[r, j] - mu) * inv * w[j] + b[j]


def layer_norm_backward(dy, x, w, mean, inv_std, dx, dw, db):
    """Per row, with x̂ = (x - μ)·inv_std recomputed and dx̂ = dy·w:
    dx = inv_std·(dx̂ - Σdx̂/D - x̂·Σ(dx̂·x̂)/D); dw += dy·x̂ and db += dy (float64 (D,))."""
    d = x.shape[1]
    for r in range(x.shape[0]):
        mu, inv = mean[r], inv_std[r]
        s1, s2 = 0.0, 0.0
        for j in range(d):
            xhat = (x[r, j] - mu) * inv
            g = dy[r, j] * w[j]
            s1 += g
            s2 += g * xhat
            dw[j] += dy[r, j] * xhat
            db[j] += dy[r, j]
        for j in range(d):
            xhat = (x[r, j] - mu) * inv
            dx[r, j] = inv * (dy[r, j] * w[j] - s1 / d - xhat * s2 / d)


def softmax_shift(x):
    """x[a, :, c] -= max of x[a, :, c] (0 when that max is not finite: a column of -inf
    stays -inf, so its exp is 0), in place over x (A, S, C): the first half of a softmax
    along the middle axis, before NumPy's exp. The loops run along c, the contiguous axis."""
    top = np.empty(x.shape[2], x.dtype)
    for a in range(x.shape[0]):
        top[:] = -np.inf
        for s in range(x.shape[1]):
            for c in range(x.shape[2]):
                top[c] = max(top[c], x[a, s, c])
        for c in range(x.shape[2]):
            if not math.isfinite(top[c]):
                top[c] = 0
        for s in range(x.shape[1]):
            for c in range(x.shape[2]):
                x[a, s, c] -= top[c]


def softmax_normalize(e):
    """e[a, :, c] /= Σ e[a, :, c], in place over e (A, S, C) of exponentials; a column that
    sums to 0 (every entry masked) stays 0: the second half of the softmax."""
    total = np.empty(e.shape[2], e.dtype)
    for a in range(e.shape[0]):
        total[:] = 0
        for s in range(e.shape[1]):
            for c in range(e.shape[2]):
                total[c] += e[a, s, c]
        for c in range(e.shape[2]):
            if not total[c] > 0:
                total[c] = 1
        for s in range(e.shape[1]):
            for c in range(e.shape[2]):
                e[a, s, c] /= total[c]


def softmax_backward(dy, y, dx):
    """dx = y·(dy - Σ_s dy·y) along the middle axis of dy, y, dx (A, S, C); dx may be dy."""
    dot = np.empty(y.shape[2], y.dtype)
    for a in range(y.shape[0]):
        dot[:] = 0
        for s in range(y.shape[1]):
            for c in range(y.shape[2]):
                dot[c] += dy[a, s, c] * y[a, s, c]
        for s in range(y.shape[1]):
            for c in range(y.shape[2]):
                dx[a, s, c] = y[a, s, c] * (dy[a, s, c] - dot[c])


def label_shift(x, y, ignore_index, shifted, picked):
    """Per row n of logits x (N, C) with label y[n]: shifted[n] = x[n] - max x[n], and
    picked[n] = shifted[n, y[n]], or 0 where y[n] == ignore_index: the first part of a
    mean cross-entropy on labels (ops.loss.MeanLabelCrossEntropy), before NumPy's exp
    turns shifted into the softmax's numerators e. C > 0; labels checked (0..C-1).
    The max runs in ``LANES`` independent lanes (a vector register's worth), as one chain
    of compares cannot be vectorized: (512, 1000) logits took 556 µs in one, 217 in lanes.
    A NaN logit need not win the max: it makes its row's sum, and so the loss, NaN."""
    lanes = np.empty(LANES, x.dtype)
    end = x.shape[1] - x.shape[1] % LANES
    for n in range(x.shape[0]):
        top = x[n, 0]
        if end:
            lanes[:] = top
            for c in range(0, end, LANES):
                for j in range(LANES):
                    lanes[j] = max(lanes[j], x[n, c + j])
            for j in range(LANES):
                top = max(top, lanes[j])
        for c in range(end, x.shape[1]):
            top = max(top, x[n, c])
        for c in range(x.shape[1]):
            shifted[n, c] = x[n, c] - top
        picked[n] = 0 if y[n] == ignore_index else shifted[n, y[n]]


LANES = 16  # float32s in an AVX-512 register


def label_nll(total, y, ignore_index, picked):
    """(Σ over kept rows n of log total[n] - picked[n], the number of kept rows), summed in
    float64: the loss after :func:`label_shift`, the exp and NumPy's row sums ``total``
    of e (NumPy's, so that the gradient rounds as on NumPy's path)."""
    loss, count = 0.0, 0
    for n in range(total.shape[0]):
        if y[n] != ignore_index:
            loss += np.float64(math.log(total[n])) - np.float64(picked[n])
            count += 1
    return loss, count


def label_nll_backward(e, total, y, ignore_index, w, dx):
    """dx[n] = e[n] · (w / total[n]), less w at y[n], for each kept row n, and e[n] · 0
    for an ignored one: dl/K · (softmax - onehot) with ``w`` = dl/K, in the order of
    operations of MeanLabelCrossEntropy's NumPy backward."""
    for n in range(e.shape[0]):
        kept = y[n] != ignore_index
        wn = w if kept else w - w  # not w * 0: numba would make that float64, and so scale
        scale = wn / total[n]
        for c in range(e.shape[1]):
            dx[n, c] = e[n, c] * scale
        dx[n, y[n] if kept else 0] -= wn


def lstm_cell_backward(i, f, g, o, tanh_c, c_prev, dh, dc, da, dc_prev):
    """Back through one LSTM step (ops.recurrent.LSTM), with i, f, g, o the step's activated
    gates (N, H) and da (N, 4, H) its rows of dL/da::

        dc  += dh ⊙ o ⊙ (1 - tanh² c_t)
        da_i = dc ⊙ g ⊙ i(1-i),   da_f = dc ⊙ c_{t-1} ⊙ f(1-f)
        da_g = dc ⊙ i ⊙ (1-g²),   da_o = dh ⊙ tanh c_t ⊙ o(1-o)
        dc_{t-1} = dc ⊙ f

    One loop per output over a row, so that each vectorizes (one loop writing all five ran
    4× slower: too many arrays for the compiler's checks that they do not overlap)."""
    dcc = np.empty(dh.shape[1], dh.dtype)  # dc of one row, after the first line
    for n in range(dh.shape[0]):
        for h in range(dcc.size):
            dcc[h] = dc[n, h] + dh[n, h] * o[n, h] * (1 - tanh_c[n, h] * tanh_c[n, h])
        for h in range(dcc.size):
            da[n, 0, h] = dcc[h] * g[n, h] * i[n, h] * (1 - i[n, h])
        for h in range(dcc.size):
            da[n, 1, h] = dcc[h] * c_prev[n, h] * f[n, h] * (1 - f[n, h])
        for h in range(dcc.size):
            da[n, 2, h] = dcc[h] * i[n, h] * (1 - g[n, h] * g[n, h])
        for h in range(dcc.size):
            da[n, 3, h] = dh[n, h] * tanh_c[n, h] * o[n, h] * (1 - o[n, h])
        for h in range(dcc.size):
            dc_prev[n, h] = dcc[h] * f[n, h]


def gru_cell_backward(r, z, n, b_n, h_prev, dh, da, db):
    """Back through one GRU step (ops.recurrent.GRU), with r, z, n the step's activated
    gates (N, H), b_n its h_{t-1}·W_hnᵀ + b_hn, and da, db (N, 3, H) its rows of dL/da and
    dL/db::

        da_n = dh ⊙ (1-z) ⊙ (1-n²)
        da_z = db_z = dh ⊙ (h_{t-1} - n) ⊙ z(1-z)
        da_r = db_r = da_n ⊙ b_n ⊙ r(1-r)
        db_n = da_n ⊙ r

    One loop per output, as lstm_cell_backward's."""
    for k in range(dh.shape[0]):
        for h in range(dh.shape[1]):
            da[k, 2, h] = dh[k, h] * (1 - z[k, h]) * (1 - n[k, h] * n[k, h])
        for h in range(dh.shape[1]):
            da[k, 1, h] = dh[k, h] * (h_prev[k, h] - n[k, h]) * z[k, h] * (1 - z[k, h])
        for h in range(dh.shape[1]):
            da[k, 0, h] = da[k, 2, h] * b_n[k, h] * r[k, h] * (1 - r[k, h])
        for h in range(dh.shape[1]):
            db[k, 0, h] = da[k, 0, h]
        for h in range(dh.shape[1]):
            db[k, 1, h] = da[k, 1, h]
        for h in range(dh.shape[1]):
            db[k, 2, h] = da[k, 2, h] * r[k, h]


# tanh32's clamp and rational function: Eigen's fast float tanh (|x| beyond the clamp is ±1)
TANH_LIMIT = np.float32(7.90531110763549805)
TANH_P = tuple(np.float32(c) for c in (
    -2.76076847742355e-16, 2.00018790482477e-13, -8.60467152213735e-11, 5.12229709037114e-08,
    1.48572235717979e-05, 6.37261928875436e-04, 4.89352455891786e-03,
))  # fmt: skip
TANH_Q = tuple(np.float32(c) for c in (
    1.19825839466702e-06, 1.18534705686654e-04, 2.26843463243900e-03, 4.89352518554385e-03,
))  # fmt: skip


def tanh32(x):
    """tanh of a float32, within 4·10⁻⁷ of float64's: x·P(x²)/Q(x²) on x clamped to ±7.9.
    A loop of it vectorizes, where one of math.tanh calls libm per element (40 times
    slower, and numba has no vectorized tanh without Intel's SVML). NaN stays NaN."""
    x = TANH_LIMIT if x > TANH_LIMIT else (-TANH_LIMIT if x < -TANH_LIMIT else x)
    x2 = x * x
    p = TANH_P[0]
    for c in TANH_P[1:]:
        p = p * x2 + c
    q = TANH_Q[0]
    for c in TANH_Q[1:]:
        q = q * x2 + c
    return x * p / q


def step_at(s, steps, reverse):
    """(t, the step before t) of the s-th step a sequence kernel runs, from the last when
    ``reverse``."""
    t = steps - 1 - s if reverse else s
    return t, (t + 1 if reverse else t - 1)


def keep(target, source):
    """target[:] = source, element by element (1-d rows of a sequence kernel)."""
    for k in range(source.shape[0]):
        target[k] = source[k]


def pass_on(hidden, h_new, t, row):
    """A sequence kernel's h_t into hidden[t, row], the next step t's h_{t-1} in the rows
    [x_t | 1 | h_{t-1}] of the backward's weight GEMM."""
    keep(hidden[t, row], h_new)


def lstm_sequence_rows(a, w, h0, c0, scale, offset, states, tanh_c, hidden, lengths, reverse,
                       lo, hi):  # fmt: skip
    """Rows lo:hi of a whole LSTM sequence, forward (ops.recurrent.LSTM), float32 only.

    a (T, N, 4H): the scaled pre-activations x_t·(s·W_ih)ᵀ + s·b of every step, in PyTorch's
    gate order i, f, g, o (s = ½ for i, f, o, 1 for g: ops.recurrent.LSTM); w (H, 4H) is
    (s·W_hh)ᵀ. For each step t (from the last when ``reverse``), with h, c the previous
    step's states (h0, c0 before the first)::

        a_t += h·w                                       one BLAS call, the rows' own
        a_t ← s·tanh(a_t) + 1 - s    = i, f, g, o        (σ(z) = ½·tanh(z/2) + ½)
        c_t = f ⊙ c + i ⊙ g,   tanh_c[t] = tanh c_t,   h_t = o ⊙ tanh c_t

    into states (2, T, N, H) as (h_t, c_t), and h_t into hidden (T, N, H) at the next
    step (the backward's rows [x_t | 1 | h_{t-1}]). A step t ≥ lengths[n] (the padding)
    leaves sample n's states as they were. The rows of a sample depend on no other
    sample's, so each thread runs its rows through every step without waiting for the
    others. One loop per output, each vectorizing (as lstm_cell_backward's)."""
    T, H, G4 = a.shape[0], tanh_c.shape[2], a.shape[2]
    rows = hi - lo
    for s in range(T):
        t, before = step_at(s, T, reverse)
        h = h0[lo:hi] if s == 0 else states[0, before, lo:hi]
        c = c0[lo:hi] if s == 0 else states[1, before, lo:hi]
        z = a[t, lo:hi]
        blas_sgemm(ROW_MAJOR, NO_TRANS, NO_TRANS, rows, G4, H, 1.0, h.ctypes.data, H,
                   w.ctypes.data, G4, 1.0, z.ctypes.data, G4)  # fmt: skip
        for n in range(rows):
            gates, c_prev = z[n], c[n]
            c_new, t_c, h_new = states[1, t, lo + n], tanh_c[t, lo + n], states[0, t, lo + n]
            for j in range(G4):
                gates[j] = tanh32(gates[j]) * scale[j] + offset[j]
            for k in range(H):
                c_new[k] = gates[H + k] * c_prev[k] + gates[k] * gates[2 * H + k]
            for k in range(H):
                t_c[k] = tanh32(c_new[k])
            for k in range(H):
                h_new[k] = gates[3 * H + k] * t_c[k]
            if t >= lengths[lo + n]:  # the padding: the states stay
                keep(h_new, h[n])
                keep(c_new, c_prev)
            if s < T - 1:
                pass_on(hidden, h_new, t - 1 if reverse else t + 1, lo + n)


def lstm_sequence_backward_rows(a, tanh_c, states, c0, w_hh, dstates, da, dh0, dc0, lengths,
                                reverse, lo, hi):  # fmt: skip
    """Rows lo:hi of back-propagation through a whole LSTM sequence: the steps of
    :func:`lstm_sequence_rows` in reverse, with a its activated gates, dstates (2, T, N, H)
    the gradients reaching each step's (h_t, c_t) from outside, w_hh (4H, H) the unscaled
    W_hh. For each step, with dh, dc those from the step after::

        dh += dstates[0, t],   dc += dstates[1, t] + dh ⊙ o ⊙ (1 - tanh² c_t)
        da_i = dc ⊙ g ⊙ i(1-i),   da_f = dc ⊙ c_{t-1} ⊙ f(1-f)
        da_g = dc ⊙ i ⊙ (1-g²),   da_o = dh ⊙ tanh c_t ⊙ o(1-o)       into da (T, N, 4H)
        dh ← da_t·W_hh                                   one BLAS call, the rows' own
        dc ← dc ⊙ f

    and after the first step dh0, dc0 (N, H) get the gradients of the initial states. In
    the padding (t ≥ lengths[n]) the step's da is 0 and dh, dc, with dstates added, pass
    to the step before as they are."""
    T, H, G4 = a.shape[0], tanh_c.shape[2], a.shape[2]
    rows = hi - lo
    dh, dc = np.zeros((rows, H), a.dtype), np.zeros((rows, H), a.dtype)
    passed = np.empty((rows, H), a.dtype)  # dh of the rows in the padding, past the GEMM
    dhh, dcc = np.empty(H, a.dtype), np.empty(H, a.dtype)
    for s in range(T):
        t, before = step_at(T - 1 - s, T, reverse)
        c = c0[lo:hi] if s == T - 1 else states[1, before, lo:hi]
        for n in range(rows):
            g8, t_c, c_prev, out = a[t, lo + n], tanh_c[t, lo + n], c[n], da[t, lo + n]
            for k in range(H):
                dhh[k] = dh[n, k] + dstates[0, t, lo + n, k]
            if t >= lengths[lo + n]:
                keep(passed[n], dhh)
                for k in range(H):
                    dc[n, k] += dstates[1, t, lo + n, k]
                out[:] = 0
                continue
            for k in range(H):
                o = g8[3 * H + k]
                dcc[k] = dc[n, k] + dstates[1, t, lo + n, k] + dhh[k] * o * (1 - t_c[k] * t_c[k])
            for k in range(H):
                out[k] = dcc[k] * g8[2 * H + k] * g8[k] * (1 - g8[k])
            for k in range(H):
                out[H + k] = dcc[k] * c_prev[k] * g8[H + k] * (1 - g8[H + k])
            for k in range(H):
                out[2 * H + k] = dcc[k] * g8[k] * (1 - g8[2 * H + k] * g8[2 * H + k])
            for k in range(H):
                out[3 * H + k] = dhh[k] * t_c[k] * g8[3 * H + k] * (1 - g8[3 * H + k])
            for k in range(H):
                dc[n, k] = dcc[k] * g8[H + k]
        blas_sgemm(ROW_MAJOR, NO_TRANS, NO_TRANS, rows, H, G4, 1.0, da[t, lo:hi].ctypes.data,
                   G4, w_hh.ctypes.data, H, 0.0, dh.ctypes.data, H)  # fmt: skip
        for n in range(rows):
            if t >= lengths[lo + n]:
                keep(dh[n], passed[n])
    dh0[lo:hi] = dh
    dc0[lo:hi] = dc


def lstm_sequence(a, w, h0, c0, scale, offset, states, tanh_c, hidden, lengths, reverse, count):
    """lstm_sequence_rows cut into ``count`` parts of the batch, run at once (numba's
    prange, so compiled only)."""
    rows = h0.shape[0]
    for p in prange(count):
        lo, hi = rows * p // count, rows * (p + 1) // count
        lstm_sequence_rows(
            a, w, h0, c0, scale, offset, states, tanh_c, hidden, lengths, reverse, lo, hi
        )


def lstm_sequence_backward(a, tanh_c, states, c0, w_hh, dstates, da, dh0, dc0, lengths, reverse,
                           count):  # fmt: skip
    """lstm_sequence_backward_rows cut into ``count`` parts of the batch, as lstm_sequence."""
    rows = dh0.shape[0]
    for p in prange(count):
        lo, hi = rows * p // count, rows * (p + 1) // count
        lstm_sequence_backward_rows(
            a, tanh_c, states, c0, w_hh, dstates, da, dh0, dc0, lengths, reverse, lo, hi
        )


def gru_sequence_rows(a, w, bias, h0, states, hidden, b_all, lengths, reverse, lo, hi):
    """Rows lo:hi of a whole GRU sequence, forward (ops.recurrent.GRU), float32 only.

    a (T, N, 3H): x_t·W_ihᵀ + b_ih of every step, in PyTorch's gate order r, z, n; w (H, 3H)
    is W_hhᵀ, bias (3H,) b_hh (zeros without one). For each step t (from the last when
    ``reverse``), with h the previous step's state (h0 before the first)::

        b_t = h·w + b_hh                                  one BLAS call, into b_all[t]
        r = σ(a_r + b_r),  z = σ(a_z + b_z)               (σ(x) = ½·tanh(x/2) + ½)
        n = tanh(a_n + r ⊙ b_n)                           a_t ← [r, z, n]
        h_t = (h - n) ⊙ z + n

    into states (1, T, N, H), and h_t into hidden (T, N, H) at the next step (the weight
    GEMM's rows [x_t | 1 | h_{t-1}]); the padding as in lstm_sequence_rows."""
    T, H, G3 = a.shape[0], states.shape[3], a.shape[2]
    rows = hi - lo
    for s in range(T):
        t, before = step_at(s, T, reverse)
        h = h0[lo:hi] if s == 0 else states[0, before, lo:hi]
        b = b_all[t, lo:hi]
        for n in range(rows):
            for j in range(G3):
                b[n, j] = bias[j]
        blas_sgemm(ROW_MAJOR, NO_TRANS, NO_TRANS, rows, G3, H, 1.0, h.ctypes.data, H,
                   w.ctypes.data, G3, 1.0, b.ctypes.data, G3)  # fmt: skip
        for n in range(rows):
            gates, bn, h_prev, h_new = a[t, lo + n], b[n], h[n], states[0, t, lo + n]
            for j in range(2 * H):
                gates[j] = tanh32((gates[j] + bn[j]) * 0.5) * 0.5 + 0.5
            for k in range(H):
                gates[2 * H + k] = tanh32(gates[2 * H + k] + gates[k] * bn[2 * H + k])
            for k in range(H):
                nk = gates[2 * H + k]
                h_new[k] = (h_prev[k] - nk) * gates[H + k] + nk
            if t >= lengths[lo + n]:  # the padding: the state stays
                keep(h_new, h_prev)
            if s < T - 1:
                pass_on(hidden, h_new, t - 1 if reverse else t + 1, lo + n)


def gru_sequence_backward_rows(a, b_all, states, h0, w_hh, dstates, da, db, dh0, lengths,
                               reverse, lo, hi):  # fmt: skip
    """Rows lo:hi of back-propagation through a whole GRU sequence: the steps of
    :func:`gru_sequence_rows` in reverse, with a its activated gates [r, z, n], b_all the
    saved b_t, dstates (1, T, N, H) the gradients reaching each h_t from outside, w_hh
    (3H, H) W_hh. For each step, with dh the gradient from the step after::

        dh += dstates[0, t]
        da_n = dh ⊙ (1-z) ⊙ (1-n²),   da_z = db_z = dh ⊙ (h_{t-1} - n) ⊙ z(1-z)
        da_r = db_r = da_n ⊙ b_n ⊙ r(1-r),   db_n = da_n ⊙ r      into da, db (T, N, 3H)
        dh ← db_t·W_hh + dh ⊙ z                          one BLAS call, the rows' own

    and after the first step dh0 (N, H) gets the initial state's gradient. In the padding
    (t ≥ lengths[n]) the step's da and db are 0 and dh passes to the step before."""
    T, H, G3 = a.shape[0], states.shape[3], a.shape[2]
    rows = hi - lo
    dh = np.zeros((rows, H), a.dtype)
    dhz = np.empty((rows, H), a.dtype)  # dh ⊙ z, added after the GEMM overwrites dh
    for s in range(T):
        t, before = step_at(T - 1 - s, T, reverse)
        h = h0[lo:hi] if s == T - 1 else states[0, before, lo:hi]
        for n in range(rows):
            g, bn, h_prev = a[t, lo + n], b_all[t, lo + n], h[n]
            out_a, out_b, dn = da[t, lo + n], db[t, lo + n], dh[n]
            for k in range(H):
                dn[k] += dstates[0, t, lo + n, k]
            if t >= lengths[lo + n]:  # the GEMM's row is 0: dh ⊙ z becomes dh itself
                keep(dhz[n], dn)
                out_a[:] = 0
                out_b[:] = 0
                continue
            for k in range(H):
                z, nk = g[H + k], g[2 * H + k]
                out_a[2 * H + k] = dn[k] * (1 - z) * (1 - nk * nk)
            for k in range(H):
                z, nk = g[H + k], g[2 * H + k]
                out_a[H + k] = dn[k] * (h_prev[k] - nk) * z * (1 - z)
            for k in range(H):
                r = g[k]
                out_a[k] = out_a[2 * H + k] * bn[2 * H + k] * r * (1 - r)
            for k in range(2 * H):
                out_b[k] = out_a[k]
            for k in range(H):
                out_b[2 * H + k] = out_a[2 * H + k] * g[k]
            for k in range(H):
                dhz[n, k] = dn[k] * g[H + k]
        blas_sgemm(ROW_MAJOR, NO_TRANS, NO_TRANS, rows, H, G3, 1.0, db[t, lo:hi].ctypes.data,
                   G3, w_hh.ctypes.data, H, 0.0, dh.ctypes.data, H)  # fmt: skip
        for n in range(rows):
            for k in range(H):
                dh[n, k] += dhz[n, k]
    dh0[lo:hi] = dh


def gru_sequence(a, w, bias, h0, states, hidden, b_all, lengths, reverse, count):
    """gru_sequence_rows cut into ``count`` parts of the batch, as lstm_sequence."""
    rows = h0.shape[0]
    for p in prange(count):
        lo, hi = rows * p // count, rows * (p + 1) // count
        gru_sequence_rows(a, w, bias, h0, states, hidden, b_all, lengths, reverse, lo, hi)


def gru_sequence_backward(a, b_all, states, h0, w_hh, dstates, da, db, dh0, lengths, reverse,
                          count):  # fmt: skip
    """gru_sequence_backward_rows cut into ``count`` parts of the batch, as lstm_sequence."""
    rows = dh0.shape[0]
    for p in prange(count):
        lo, hi = rows * p // count, rows * (p + 1) // count
        gru_sequence_backward_rows(a, b_all, states, h0, w_hh, dstates, da, db, dh0, lengths,
                                   reverse, lo, hi)  # fmt: skip


REORDERED_SUMS = ("channel_sums", "layer_norm", "layer_norm_backward", "label_shift")

PYTHON_KERNELS = {
    "softmax_shift": softmax_shift,
    "softmax_normalize": softmax_normalize,
    "softmax_backward": softmax_backward,
    "label_shift": label_shift,
    "label_nll": label_nll,
    "label_nll_backward": label_nll_backward,
    "layer_norm": layer_norm,
    "layer_norm_backward": layer_norm_backward,
    "windows_2d": windows_2d,
    "column_sums": column_sums,
    "channel_sums": channel_sums,
    "channel_affine": channel_affine,
    "relu": relu,
    "relu_backward": relu_backward,
    "adam": adam,
    "max_pool_2x2": max_pool_2x2,
    "max_pool_2x2_backward": max_pool_2x2_backward,
    "lstm_cell_backward": lstm_cell_backward,
    "gru_cell_backward": gru_cell_backward,
}

BLAS_KERNELS = {  # kernels that call BLAS themselves, float32 only (by_rows runs them)
    "lstm_sequence": lstm_sequence_rows,
    "lstm_sequence_backward": lstm_sequence_backward_rows,
    "gru_sequence": gru_sequence_rows,
    "gru_sequence_backward": gru_sequence_backward_rows,
}

PART_ROWS = {  # the fewest rows a part of these kernels gets (else fewer parts, or whole)
    # a dense layer's bias gradient, (rows, n) summed over its rows: a (128, 512) one took
    # 8.8 µs whole against 14.9 cut in two, and in the runner's MLP step 28 against 55 µs
    # for its three; cut wins from about 1024 rows (59.5 against 69.8 µs for (1024, 512))
    "column_sums": 512,
}
CUT, SUM, WHOLE = "cut", "sum", "whole"
SPLITS = {  # each argument's role when a call is cut into parts (the module docstring)
    "layer_norm": (CUT, WHOLE, WHOLE, WHOLE, CUT, CUT, CUT),
    "layer_norm_backward": (CUT, CUT, WHOLE, CUT, CUT, CUT, SUM, SUM),
    "column_sums": (CUT, SUM),
    "windows_2d": (CUT,) + (WHOLE,) * 6 + (CUT, WHOLE),
    "channel_sums": (CUT, CUT, WHOLE, SUM, SUM),
    "channel_affine": (CUT, CUT, WHOLE, WHOLE, WHOLE, CUT),
    "relu": (CUT, CUT),
    "relu_backward": (CUT, CUT, CUT),
    "adam": (CUT, CUT, CUT, CUT) + (WHOLE,) * 8,
    "max_pool_2x2": (CUT, CUT, CUT),
    "max_pool_2x2_backward": (CUT, CUT, CUT),
    "softmax_shift": (CUT,),
    "softmax_normalize": (CUT,),
    "softmax_backward": (CUT, CUT, CUT),
}
