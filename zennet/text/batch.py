"""Batches of text: padding sequences of different lengths (with a mask), and the
(input, next-token) windows a language model learns from.

    ids, lengths, mask = pad_batch([[5, 6, 7], [8]], pad_id=0)
    # ids [[5, 6, 7], [8, 0, 0]], lengths [3, 1], mask [[T, T, T], [T, F, F]]

A recurrent layer takes the lengths (``nn.GRU(...)(x, lengths=lengths)``, or
``nn.utils.rnn.pack_padded_sequence(x, lengths, enforce_sorted=False)``) and stops at each
sequence's end; attention takes the mask (``~mask`` is ``key_padding_mask``).
"""

import numpy as np

from zennet.data.dataset import Dataset


def pad_batch(sequences, pad_id=0, max_len=None):
    """(ids (N, T) int64, lengths (N,) int64, mask (N, T) bool: True on real tokens) of
    integer sequences, padded on the right with ``pad_id`` to the longest (or ``max_len``,
    longer sequences cut)."""
    if len(sequences) == 0:
        raise ValueError("pad_batch: got no sequences; a batch needs at least one.")
    lengths = np.array([len(s) for s in sequences], dtype=np.int64)
    if max_len is not None:
        lengths = np.minimum(lengths, max_len)
    T = int(lengths.max()) if max_len is None else max_len
    ids = np.full((len(sequences), T), pad_id, dtype=np.int64)
    for row, (s, n) in enumerate(zip(sequences, lengths)):
        ids[row, :n] = np.asarray(s[:n], dtype=np.int64)
    mask = np.arange(T)[None, :] < lengths[:, None]  # (N, T)
    return ids, lengths, mask


def batches_by_length(lengths, batch_size, rng=None):
    """Index batches of similar lengths (little padding); the batches in a random order
    when ``rng`` is given, else shortest first."""
    lengths = np.asarray(lengths)
    order = rng.permutation(len(lengths)) if rng is not None else np.arange(len(lengths))
    order = order[np.argsort(lengths[order], kind="stable")]
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))] if rng is not None else batches


class LanguageModelWindows(Dataset):
    """A token stream cut into windows: item i is (x, y) = (tokens[s : s + T],
    tokens[s + 1 : s + T + 1]) with s = i·stride, T = ``block_size``: each position's
    target is the next token. ``stride`` defaults to T (windows side by side).

        data = LanguageModelWindows(ids, block_size=128)
        x, y = data[0]                        # int64 (128,), (128,)
    """

    def __init__(self, tokens, block_size, stride=None):
        self.tokens = np.asarray(tokens, dtype=np.int64).reshape(-1)
        self.block_size = int(block_size)
        self.stride = int(stride or block_size)
        if self.block_size < 1 or self.stride < 1:
            raise ValueError(
                f"LanguageModelWindows: block_size and stride must be >= 1, got "
                f"{block_size} and {stride}."
            )
        if len(self.tokens) < self.block_size + 1:
            raise ValueError(
                f"LanguageModelWindows: {len(self.tokens)} tokens make no window of "
                f"block_size={self.block_size} (it needs block_size + 1); use a shorter block."
            )

    def __len__(self):
        return (len(self.tokens) - self.block_size - 1) // self.stride + 1

    def __getitem__(self, index):
        if not -len(self) <= index < len(self):
            raise IndexError(f"LanguageModelWindows: index {index} out of range ({len(self)}).")
        s = (index % len(self)) * self.stride
        return self.tokens[s : s + self.block_size], self.tokens[s + 1 : s + self.block_size + 1]

    def batch(self, indices):
        """(x, y), each (len(indices), T) int64."""
        return self._windows(np.asarray(indices) * self.stride)

    def random_batch(self, batch_size, rng):
        """(x, y) of ``batch_size`` windows starting anywhere in the stream (not only at
        multiples of the stride), as nanoGPT samples its training batches."""
        return self._windows(rng.integers(0, len(self.tokens) - self.block_size, batch_size))

    def _windows(self, starts):
        rows = starts[:, None] + np.arange(self.block_size + 1)  # (B, T + 1)
        chunk = self.tokens[rows]
        return chunk[:, :-1], chunk[:, 1:]
