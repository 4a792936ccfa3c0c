"""Training and reading a CTC model (``CRNN``) on utterances of different lengths.

Batches group utterances of similar length (little padding); each batch is padded to its
longest, the model gets the true frame counts (its GRU stops at each end), and
``F.ctc_loss`` the output lengths. Labels are class indices 0..K-1; the model's class 0 is
the CTC blank, so label k is class k + 1.
"""

import time

import numpy as np

import zennet.functional as F
from zennet import nn, optim
from zennet.audio.decode import beam_search_decode, error_rate, greedy_decode
from zennet.audio.features import features, log_mel, pad_batch
from zennet.data.augment.audio import SpecAugment
from zennet.grad_mode import no_grad
from zennet.tensor import Tensor


def batches_by_length(lengths, batch_size, rng):
    """Index batches of similar lengths, in a random order."""
    order = rng.permutation(len(lengths))
    chunks = [order[i : i + 50 * batch_size] for i in range(0, len(order), 50 * batch_size)]
    out = []
    for chunk in chunks:
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        out += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    return [out[i] for i in rng.permutation(len(out))]


def train_ctc(model, waves, labels, epochs, batch_size=32, lr=2e-3, seed=0, validation=None,
              log=print):  # fmt: skip
    """Train ``model`` (a CRNN) with CTC on ``waves`` and their label sequences, AdamW,
    SpecAugment masks, gradient norm clipped at 5; after each epoch, log the mean loss and
    (with ``validation=(waves, labels)``) the greedy digit error rate. Returns the losses."""
    rng = np.random.default_rng(seed)
    mels = [log_mel(w) for w in waves]
    lengths = np.array([m.shape[-1] for m in mels])
    optimizer = optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    masks = SpecAugment(freq_mask=6, time_mask=10, n_freq_masks=1, n_time_masks=2)
    losses = []
    for epoch in range(epochs):
        model.train()
        start, total = time.perf_counter(), 0.0
        for idx in batches_by_length(lengths, batch_size, rng):
            x, frames = pad_batch([mels[i] for i in idx])
            targets, target_lengths = pad_batch([np.asarray(labels[i]) + 1 for i in idx])
            x, _ = masks(x, None, rng)
            log_probs = model(Tensor(x[:, None]), frames)  # (T', N, K + 1)
            loss = F.ctc_loss(log_probs, targets, model.output_lengths(frames), target_lengths,
                              zero_infinity=True)  # fmt: skip
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimizer.step()
            total += loss.item() * len(idx)
        losses.append(total / len(waves))
        line = f"Epoch {epoch + 1}/{epochs} ctc_loss={losses[-1]:.4f}"
        if validation is not None:
            line += f" val_digit_error_rate={digit_error_rate(model, *validation):.4f}"
        log(f"{line} ({time.perf_counter() - start:.0f} s)")
    return losses


def ctc_outputs(model, waves, batch_size=64):
    """Per utterance, the model's ``(T', K + 1)`` log-probabilities."""
    model.eval()
    out = []
    with no_grad():
        for i in range(0, len(waves), batch_size):
            x, frames = features(waves[i : i + batch_size])
            log_probs = model(Tensor(x), frames).numpy()  # (T', N, K + 1)
            for k, n in enumerate(model.output_lengths(frames)):
                out.append(log_probs[:n, k])
    return out


def transcribe(model, waves, beam_width=0):
    """The label sequence of each waveform: greedy, or prefix beam search of ``beam_width``."""
    decoded = []
    for log_probs in ctc_outputs(model, waves):
        labels = (
            beam_search_decode(log_probs, beam_width) if beam_width else greedy_decode(log_probs)
        )
        decoded.append([c - 1 for c in labels])
    return decoded


def digit_error_rate(model, waves, labels, beam_width=0):
    """Σ edit distance / Σ reference length over the utterances."""
    return error_rate(transcribe(model, waves, beam_width), [list(label) for label in labels])


class TranscriptionScore(nn.Module):
    """``x (N, 1, 40, T) -> (N, 1)``: log p(labels | x) under a CTC model, the sum over every
    alignment of ``labels`` (model classes, blank = 0), as one score per input; the
    attribution methods of zennet.explain then explain a transcription as they explain a
    class (target 0)."""

    def __init__(self, model, labels):
        super().__init__()
        self.model = model
        self.labels = np.asarray(labels, dtype=np.int64)

    def forward(self, x):
        n, frames = x.shape[0], np.full(x.shape[0], x.shape[-1])
        log_probs = self.model(x, frames)  # (T', N, K + 1)
        targets = np.tile(self.labels, (n, 1))
        lengths = np.full(n, len(self.labels))
        out_lengths = self.model.output_lengths(frames)
        loss = F.ctc_loss(log_probs, targets, out_lengths, lengths, reduction="none")
        return -loss.reshape(n, 1)
