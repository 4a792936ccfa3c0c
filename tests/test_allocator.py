"""zennet.allocator: glibc keeps freed arrays' memory between steps, unless switched off."""

import os
import subprocess
import sys

import pytest

from zennet.allocator import _glibc

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# A training step's pattern: a growing set of large temporaries (1 to 8 MiB by default),
# all freed at the end; prints whether zennet tuned malloc, and the page faults of one step.
STEPS = """
import resource
import sys
import numpy as np
import zennet

MIB = int(sys.argv[1]) if len(sys.argv) > 1 else 1

def step():
    keep = [np.ones(2**18 * MIB * (k + 1), dtype=np.float32) for k in range(8)]
    del keep

for _ in range(3):
    step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(10):
    step()
faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 10
print(zennet.startup.malloc_tuned, faults)
"""

pytestmark = pytest.mark.skipif(
    not _glibc().startswith("glibc"), reason="mallopt tuning applies to glibc only"
)


def _run(*args, **env):
    environment = {k: v for k, v in os.environ.items() if k != "ZENNET_NO_MALLOPT"}
    done = subprocess.run(
        [sys.executable, "-c", STEPS, *args],
        cwd=ROOT,
        env={**environment, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    tuned, faults = done.stdout.split()
    return tuned == "True", float(faults)


def test_freed_arrays_are_reused_without_page_faults():
    tuned, faults = _run()
    assert tuned
    assert faults < 50  # 4 KiB pages: the step touches 36 MiB, about 9,000 pages when fresh


def test_a_step_freeing_more_than_glibcs_64_mib_keeps_its_memory():
    """Arrays of 3 to 24 MiB, 108 MiB in all: each under the mmap threshold, together over
    glibc's own trim ceiling (the cnn preset at batch 128 frees about that much at once)."""
    tuned, faults = _run("3")
    assert tuned
    assert faults < 50  # about 27,600 pages when fresh


def test_opt_out_leaves_glibc_alone():
    tuned, faults = _run(ZENNET_NO_MALLOPT="1")
    assert not tuned
    assert faults > 1000  # glibc's default: the memory goes back to the OS every step


def test_opt_out_zero_means_on():
    assert _run(ZENNET_NO_MALLOPT="0")[0]
