"""Keep freed arrays' memory for the next training step instead of handing it back to the OS.

A training step allocates the same large arrays every time (activations, gradients,
attention scores) and frees them by the end of the step. glibc's malloc serves blocks of
128 KiB and more with a fresh ``mmap`` and returns the memory of freed ones to the kernel
(``munmap``, or trimming the top of the heap). The next step then takes a page fault on
every 4 KiB it touches: measured on the benchmark machine, 8,900 faults and 44 ms of
system time per step of the transformer layer (about 30% of the step) and 12 ms per step
of the LSTM; docs/performance.md has the numbers.

glibc raises its thresholds by itself as it sees large blocks freed, up to 32 MiB for
mmap and 64 MiB for trimming, but the training pattern keeps knocking it back. So at
import zennet sets them with ``mallopt``: blocks under 32 MiB (glibc's own ceiling) come
from the heap and stay mapped, and up to 256 MiB of free memory at the top of the heap is
kept. glibc's 64 MiB was too little for a step that frees more than that at once: the
Fashion-MNIST ``cnn`` preset at batch 128 still took 3,400 faults per step with it, and 1
with 128 MiB or more. The cost is up to 256 MiB of resident memory held after a step;
blocks of 32 MiB and more are still mapped and unmapped each time, as before.

This changes the process's allocator, not only zennet's arrays, so it happens only on
glibc and can be switched off: set ``ZENNET_NO_MALLOPT=1`` before importing zennet.
"""

import ctypes
import os

M_TRIM_THRESHOLD = -1  # glibc's mallopt parameter numbers (malloc.h)
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 2**20  # glibc's own ceiling for its dynamic mmap threshold (64-bit)
TRIM_THRESHOLD = 256 * 2**20  # free memory kept at the top of the heap (the docstring)


def _glibc():
    try:
        return os.confstr("CS_GNU_LIBC_VERSION") or ""
    except (ValueError, OSError, AttributeError):  # not glibc, or no confstr (Windows)
        return ""


def tune_malloc():
    """Set glibc's mmap and trim thresholds (see the module docstring); True if it did.

    Does nothing (returns False) off glibc or with the environment variable
    ``ZENNET_NO_MALLOPT`` set to anything but "" or "0".
    """
    if os.environ.get("ZENNET_NO_MALLOPT", "0") not in ("", "0"):
        return False
    if not _glibc().startswith("glibc"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return bool(
        mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
