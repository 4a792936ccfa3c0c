"""zennet's own threads: when calls are cut across them, and BLAS held to one thread.

Why. On a CPU, BLAS threads its GEMMs and nothing else: the rest of a training step
(im2col, ReLU, pooling, batch norm, Adam) ran on one core while PyTorch runs it on all.
Cutting those calls across a pool of Python threads lost while BLAS kept its own threads:
OpenBLAS's workers spin for a while after each GEMM, waiting for the next, and took the
core the second part needed; and a Python thread woken from sleep started its part 50 to
250 µs late on this machine, longer than a dense layer's whole GEMM (docs/performance.md
measured both). So zennet cuts its large GEMMs and compiled-kernel calls itself, in the
compiled kernels (zennet.kernels: numba's parallel loops, whose OpenMP threads wait by
spinning briefly and start a part within microseconds, calling BLAS for each GEMM part),
and holds BLAS at one thread while its ops run.

When. Calls are cut when the compiled kernels are on (numba, the ``fast`` extra), zennet
has more than one thread (``zennet.set_num_threads``, else ``OMP_NUM_THREADS`` when set,
else the CPUs this process may use), zennet finds a BLAS whose ``cblas_?gemm`` it can call
for each part (:func:`cblas_gemm`: oneMKL from the ``mkl`` extra, whose GEMMs are faster
than OpenBLAS's on the shapes of docs/performance.md, else NumPy's OpenBLAS, found by
threadpoolctl, also in ``fast``), and ``use_threads(False)`` / ``ZENNET_THREADS=off`` has
not switched it off. Then BLAS is held at one thread only while zennet's ops run (an op's
forward on an input of ``autograd.HOLD_FROM`` elements or more, but for the ops that reach
BLAS only through a GEMM of zennet's, ``Function.reaches_blas``; a GEMM; a backward pass)
and is set back after: NumPy calls of your own keep BLAS's threads.
"""

import ctypes
import os
import threading

from zennet.backend import compute_threads

_STATE = {"enabled": None, "blas": None, "cblas": None, "switches": None}
_HOLD = {"depth": 0, "saved": ()}  # nested holds of BLAS at one thread; counts to restore
_HOLD_LOCK = threading.Lock()


def use_threads(enabled=True):
    """Switch the cutting of calls across zennet's threads on or off; returns the previous
    state."""
    previous = threads_enabled()
    _STATE["enabled"] = bool(enabled)
    return previous


def threads_enabled():
    """Whether calls may be cut across threads now (see the module docstring; the compiled
    kernels must be on as well). Not when zennet cannot call NumPy's BLAS itself (another
    BLAS than OpenBLAS): then holding BLAS to one thread would leave its GEMMs on one."""
    if _STATE["enabled"] is None:
        wanted = os.environ.get("ZENNET_THREADS", "").strip().lower()
        _STATE["enabled"] = wanted not in ("off", "0", "no", "false")
    return _STATE["enabled"] and compute_threads() > 1 and cblas_gemm() is not None


def _blas():
    """threadpoolctl's controllers of the BLAS libraries this process has loaded (NumPy's
    first), or [] when threadpoolctl is missing (then BLAS cannot be held to one thread)."""
    if _STATE["blas"] is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:
            _STATE["blas"] = []
            return []
        import numpy  # noqa: F401  (its BLAS must be loaded to be found)

        found = [c for c in ThreadpoolController().lib_controllers if c.user_api == "blas"]
        _STATE["blas"] = sorted(found, key=lambda c: "numpy" not in c.filepath)  # NumPy's first
    return _STATE["blas"]


def cblas_gemm():
    """(sgemm, dgemm): ctypes functions of a row-major ``cblas_?gemm`` that zennet calls for
    each part of a cut GEMM, or None when none is found. ``ZENNET_BLAS`` chooses: ``mkl``
    (Intel's oneMKL from the ``mkl`` wheel, the ``mkl`` extra, run sequentially: zennet's
    threads cut its GEMMs), ``openblas`` (NumPy's own), or unset for the first of these
    found. Both take 64-bit integers here (MKL's ``_64`` functions), so the kernels compiled
    against one run with the other."""
    if _STATE["cblas"] is None:
        wanted = os.environ.get("ZENNET_BLAS", "").strip().lower() or "auto"
        if wanted not in ("auto", "mkl", "openblas"):
            raise ValueError(f"ZENNET_BLAS={wanted!r}: use 'mkl', 'openblas' or leave it unset")
        found = None
        _blas()  # NumPy's BLAS, the one to hold, found before MKL loads (which needs no hold)
        if wanted in ("auto", "mkl"):
            found = _mkl_gemm()
        if found is None and wanted in ("auto", "openblas"):
            found = _openblas_gemm()
        _STATE["cblas"] = found or False
    return _STATE["cblas"] or None


def blas_name():
    """The BLAS of zennet's cut GEMMs ("mkl", "openblas"), or None (see :func:`cblas_gemm`)."""
    found = cblas_gemm()
    return found[0].blas if found else None


def _gemm_functions(lib, names, index, blas):
    """ctypes functions of ``lib``'s row-major cblas_sgemm and cblas_dgemm (``names``) with
    integers of type ``index``, each tagged with ``blas``; None when one is missing."""
    found = []
    for name, real in zip(names, (ctypes.c_float, ctypes.c_double)):
        if not hasattr(lib, name):
            return None
        signature = ctypes.CFUNCTYPE(
            None, ctypes.c_int, ctypes.c_int, ctypes.c_int,  # order, trans a, trans b
            index, index, index, real,  # m, n, k, alpha
            ctypes.c_void_p, index, ctypes.c_void_p, index,  # a, lda, b, ldb
            real, ctypes.c_void_p, index,  # beta, c, ldc
        )  # fmt: skip
        function = signature((name, lib))
        function.blas = blas
        found.append(function)
    return tuple(found)


def _openblas_gemm():
    """NumPy's OpenBLAS's cblas_?gemm (with its symbol prefix and suffix, 64-bit integers
    when it has them), found through threadpoolctl; None when NumPy's BLAS is another."""
    for controller in _blas():
        if controller.internal_api != "openblas":
            continue
        prefix = getattr(controller, "_symbol_prefix", "") or ""
        suffix = getattr(controller, "_symbol_suffix", "") or ""
        index = ctypes.c_int64 if suffix.startswith("64") else ctypes.c_int
        names = [f"{prefix}cblas_{letter}gemm{suffix}" for letter in "sd"]
        found = _gemm_functions(ctypes.CDLL(controller.filepath), names, index, "openblas")
        if found:
            return found
    return None


MKL_THREADING_SEQUENTIAL = 1  # MKL_Set_Threading_Layer's code for "no threads of MKL's own"


def _mkl_gemm():
    """oneMKL's cblas_?gemm_64 from the ``mkl`` wheel's runtime library, set to run
    sequentially (its OpenMP runtime never loads beside numba's); None when the wheel is
    missing or MKL was already set to its own threads in this process."""
    path = _mkl_library()
    if path is None:
        return None
    try:
        lib = ctypes.CDLL(path)
    except OSError:
        return None
    layer = lib.MKL_Set_Threading_Layer(ctypes.c_int(MKL_THREADING_SEQUENTIAL))
    if layer != MKL_THREADING_SEQUENTIAL:
        return None
    return _gemm_functions(lib, ["cblas_sgemm_64", "cblas_dgemm_64"], ctypes.c_int64, "mkl")


def _mkl_library():
    """The path of the ``mkl`` wheel's libmkl_rt, or None when it is not installed."""
    from importlib import metadata

    try:
        files = metadata.files("mkl") or []
    except metadata.PackageNotFoundError:
        return None
    for file in files:
        name = file.name
        if name.startswith(("libmkl_rt.so", "mkl_rt")) and not name.endswith(".lib"):
            return str(file.locate())
    return None


def _thread_switches():
    """(get, set) of each BLAS's thread count (:func:`_blas`): OpenBLAS's own C functions
    called directly (cheaper than through threadpoolctl, which looks each symbol up again:
    a hold and its release run on every op of a batch-1 forward pass), else
    threadpoolctl's methods."""
    if _STATE["switches"] is None:
        switches = []
        for controller in _blas():
            prefix = getattr(controller, "_symbol_prefix", "") or ""
            suffix = getattr(controller, "_symbol_suffix", "") or ""
            lib = ctypes.CDLL(controller.filepath)
            get, put = (f"{prefix}openblas_{w}_num_threads{suffix}" for w in ("get", "set"))
            if controller.internal_api == "openblas" and hasattr(lib, get) and hasattr(lib, put):
                get, put = getattr(lib, get), getattr(lib, put)
                get.restype, put.argtypes = ctypes.c_int, [ctypes.c_int]
                switches.append((get, put))
            else:
                switches.append((controller.get_num_threads, controller.set_num_threads))
        _STATE["switches"] = switches
    return _STATE["switches"]


def hold_blas():
    """Hold BLAS at one thread until the matching :func:`release_blas` (holds nest; the
    outermost sets BLAS's counts back). Its callers (zennet.kernels) hold only while calls
    are cut across threads. Returns True, to pass to ``release_blas``."""
    with _HOLD_LOCK:
        if _HOLD["depth"] == 0:
            _HOLD["saved"] = [(put, get()) for get, put in _thread_switches()]
            for put, count in _HOLD["saved"]:
                if count != 1:
                    put(1)
        _HOLD["depth"] += 1
    return True


def release_blas(held):
    """End a :func:`hold_blas` that returned ``held``."""
    if not held:
        return
    with _HOLD_LOCK:
        _HOLD["depth"] -= 1
        if _HOLD["depth"] == 0:
            for put, count in _HOLD["saved"]:
                if count != 1:
                    put(count)
