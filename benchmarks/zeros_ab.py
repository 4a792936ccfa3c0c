"""A/B of ``backend.zeros_written`` against ``np.zeros`` for the arrays a convolution adds
into (col2im's output, the padded input), in one process, the two alternating round by round.

    python -m benchmarks.zeros_ab            # the Fashion-MNIST cnn preset's step, batch 128
    python -m benchmarks.zeros_ab cnn        # a runner case: mlp, cnn, lstm, transformer

Prints ms per training step, median and best of 10 rounds of 5 steps each.
"""

import statistics
import sys

import zennet.ops.conv as conv
from benchmarks.cases import CASES
from benchmarks.kernel_ab import alternating_ms
from benchmarks.profile_cnn_preset import preset_step
from zennet.backend import zeros_written


def calloc(xp, shape, dtype):
    return xp.zeros(shape, dtype=dtype)


def main(which="preset", rounds=10, steps=5):
    if which == "preset":
        step = preset_step()
    else:
        case_class, batch = CASES[which]
        step = case_class(batch).zennet_step
    for _ in range(3):
        step()
    variants = {
        "np.zeros": lambda: setattr(conv, "zeros_written", calloc),
        "zeros_written": lambda: setattr(conv, "zeros_written", zeros_written),
    }
    times = alternating_ms(step, variants, rounds, steps)
    conv.zeros_written = zeros_written
    for name, ms in times.items():
        print(f"{which}: {name:13s} median {statistics.median(ms):.2f} ms, best {min(ms):.2f} ms")


if __name__ == "__main__":
    main(*sys.argv[1:2])
