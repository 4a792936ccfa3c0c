"""Speech models on log-mel spectrograms ``(N, 1, 40, frames)`` (see ``features``).

- ``SpeechCNN``: a 1-D CNN over time (the 40 mel bands are its input channels), three
  Conv-BatchNorm-ReLU blocks, then the mean and the max over time: a fixed-size vector
  whatever the length, classified by a linear layer. For single digits and for languages.
- ``CRNN``: the same convolutional front end (time halved once), a bidirectional GRU, and a
  linear layer to ``classes + 1`` log-probabilities per frame (class 0 the CTC blank), time
  first ``(T', N, C)`` as ``F.ctc_loss`` wants it.
"""

import zennet.functional as F
from zennet import nn
from zennet.models import MODELS

N_MELS = 40


def conv_block(c_in, c_out, k, pool):
    layers = [nn.Conv1d(c_in, c_out, k, padding=k // 2), nn.BatchNorm1d(c_out), nn.ReLU()]
    return layers + ([nn.MaxPool1d(2)] if pool else [])


def _mel_channels(x, name):
    """``(N, 1, 40, T)`` or ``(N, 40, T)`` -> ``(N, 40, T)``."""
    if x.ndim == 4 and x.shape[1] == 1:
        x = x.reshape(x.shape[0], x.shape[2], x.shape[3])
    if x.ndim != 3 or x.shape[1] != N_MELS:
        raise ValueError(
            f"{name} got input of shape {tuple(x.shape)}; expected log-mels (N, 1, {N_MELS}, "
            f"frames) or (N, {N_MELS}, frames), e.g. from zennet.audio.features.features."
        )
    return x


class SpeechCNN(nn.Module):
    """``(N, 1, 40, T) -> (N, num_classes)`` logits: 1-D convolutions over time (64, 128, 128
    channels, kernels 5, 5, 3; max-pooling by 2 after the first two), mean ⊕ max over time,
    dropout, linear."""

    def __init__(self, num_classes=10, width=128, dropout=0.3):
        super().__init__()
        self.features = nn.Sequential(
            *conv_block(N_MELS, width // 2, 5, True),
            *conv_block(width // 2, width, 5, True),
            *conv_block(width, width, 3, False),
        )
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(2 * width, num_classes)

    def forward(self, x):
        h = self.features(_mel_channels(x, "SpeechCNN"))  # (N, width, T/4)
        pooled = F.cat([h.mean(dim=2), h.amax(dim=2)], dim=1)  # (N, 2·width)
        return self.classifier(self.dropout(pooled))


class CRNN(nn.Module):
    """``(N, 1, 40, T) -> (T/2, N, num_classes + 1)`` CTC log-probabilities: two 1-D conv
    blocks (the first pools time by 2), a bidirectional GRU, a linear layer, log-softmax.
    ``output_lengths(frames)`` gives each item's T/2."""

    def __init__(self, num_classes=10, width=128, hidden=128, dropout=0.2):
        super().__init__()
        self.features = nn.Sequential(
            *conv_block(N_MELS, width, 5, True), *conv_block(width, width, 3, False)
        )
        self.gru = nn.GRU(width, hidden, bidirectional=True)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(2 * hidden, num_classes + 1)

    @staticmethod
    def output_lengths(frames):
        return frames // 2

    def forward(self, x, frames=None):
        h = self.features(_mel_channels(x, "CRNN"))  # (N, width, T/2)
        h = h.permute(2, 0, 1)  # (T/2, N, width)
        lengths = None if frames is None else self.output_lengths(frames).clip(1, h.shape[0])
        h, _ = self.gru(h, lengths=lengths)  # (T/2, N, 2·hidden)
        return F.log_softmax(self.classifier(self.dropout(h)), -1)


@MODELS.register("speech-cnn")
def speech_cnn(input_shape, num_classes, width=64):
    """SpeechCNN on log-mels (1, 40, frames): 1-D convolutions over time, mean and max pooled."""
    return SpeechCNN(num_classes, width=width)


speech_cnn.takes_images = True  # the train job hands it (N, 1, 40, frames), not flat vectors


@MODELS.register("crnn")
def crnn(input_shape, num_classes, width=64):
    """CRNN + CTC on log-mels (1, 40, frames): conv front end, bidirectional GRU, per frame."""
    return CRNN(num_classes, width=width, hidden=width)


crnn.takes_images = True
crnn.ctc = True  # trained with CTC on label sequences (zennet.jobs.speech), not cross-entropy
