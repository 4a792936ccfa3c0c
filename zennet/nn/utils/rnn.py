"""Variable-length sequences for the recurrent layers: pad_sequence,
pack_padded_sequence, pad_packed_sequence and PackedSequence, with PyTorch's calls.

zennet's PackedSequence keeps the padded batch (time-major) and the lengths: the
recurrent layers run it with ``lengths=`` (every sequence stops at its own end, padded
outputs are zero) and give a PackedSequence back; pad_packed_sequence returns the
padded output and the lengths, as PyTorch does. ``.data`` builds PyTorch's packed layout
(time steps of the sequences still running, longest first) when code reads it.
"""

import numpy as np

from zennet.functional._util import array_of, as_tensor
from zennet.functional.shape import cat, getitem, pad, stack, transpose


class PackedSequence:
    """A batch of sequences of different lengths (see the module docstring)."""

    def __init__(self, padded, lengths):
        self.padded = padded  # (T, N, *), time-major
        self.lengths = np.asarray(lengths, dtype=np.int64)
        self.sorted_indices = np.argsort(-self.lengths, kind="stable")
        self.unsorted_indices = np.argsort(self.sorted_indices, kind="stable")

    @property
    def batch_sizes(self):
        """How many sequences are still running at each time step."""
        return np.array([(self.lengths > t).sum() for t in range(self.lengths.max())])

    @property
    def data(self):
        """PyTorch's packed layout: for each time step, the running sequences' elements
        in order of decreasing length: (Σ lengths, *)."""
        rows = [
            getitem(self.padded, (t, self.sorted_indices[:size]))
            for t, size in enumerate(self.batch_sizes)
        ]
        return cat(rows, 0)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack sequences (L_i, *) into (T, N, *) (or (N, T, *)), padding to the longest."""
    sequences = [as_tensor(s) for s in sequences]
    longest = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        extra = longest - s.shape[0]
        widths = [0, 0] * (s.ndim - 1) + ([0, extra] if padding_side == "right" else [extra, 0])
        padded.append(pad(s, widths, value=padding_value) if extra else s)
    return stack(padded, 0 if batch_first else 1)


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Mark a padded batch with each sequence's length, for a recurrent layer."""
    lengths = np.asarray(array_of(lengths)).astype(np.int64).reshape(-1)
    if enforce_sorted and np.any(np.diff(lengths) > 0):
        raise ValueError(
            "pack_padded_sequence: lengths must be sorted in decreasing order when "
            "enforce_sorted=True (as PyTorch); pass enforce_sorted=False to accept any order."
        )
    x = as_tensor(input)
    if lengths.min(initial=1) < 1:
        raise ValueError("pack_padded_sequence: every length must be at least 1.")
    return PackedSequence(transpose(x, 0, 1) if batch_first else x, lengths)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """(padded output (T, N, *) or (N, T, *), lengths) of a PackedSequence."""
    x, T = sequence.padded, int(sequence.lengths.max())
    x = getitem(x, slice(0, T)) if x.shape[0] > T else x
    if padding_value:
        mask = (np.arange(T)[:, None] < sequence.lengths[None, :]).astype(bool)
        mask = mask.reshape(mask.shape + (1,) * (x.ndim - 2))
        x = x * mask + (~mask) * padding_value
    if total_length is not None and total_length > T:
        widths = [0, 0] * (x.ndim - 1) + [0, total_length - T]
        x = pad(x, widths, value=padding_value)
    return (transpose(x, 0, 1) if batch_first else x), as_tensor(sequence.lengths)


def pack_sequence(sequences, enforce_sorted=True):
    """pack_padded_sequence(pad_sequence(sequences), their lengths)."""
    lengths = [as_tensor(s).shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)
