"""The speech jobs that are not classification: ``zennet train --data spoken-digit-strings``
trains a CTC model (the ``crnn`` preset), ``zennet predict MODEL file.wav`` transcribes with it.
"""

import json
from pathlib import Path

import numpy as np

from zennet.audio.ctc_training import ctc_outputs, digit_error_rate, train_ctc
from zennet.audio.decode import beam_search_decode
from zennet.audio.features import to_mono_16k
from zennet.audio.wav import load_wav
from zennet.data import datasets
from zennet.io import save_checkpoint
from zennet.models import build_model
from zennet.random import manual_seed

FRAMES = 700  # the recipe's input shape (1, 40, 700): 7 s; shorter utterances are not padded


def train_ctc_model(data, model, epochs, batch_size, lr, seed, out, verbose=1):
    """Train preset ``model`` with CTC on the data set ``data`` (waveforms and label
    sequences); returns the test digit error rates (greedy and beam 8) and the files."""
    manual_seed(seed)
    (waves, labels), (test_waves, test_labels) = datasets.load(data)
    num_classes = int(max(max(label) for label in labels)) + 1
    net = build_model(model, (1, 40, FRAMES), num_classes)
    train_ctc(
        net, waves, labels, epochs, batch_size, lr or 2e-3, seed,
        log=print if verbose else lambda line: None,
    )  # fmt: skip
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "model.safetensors"
    save_checkpoint(path, net.state_dict(), extra={"recipe": net.recipe})
    settings = {"data": data, "model": model, "epochs": epochs, "seed": seed}
    (out / "config.json").write_text(json.dumps(settings, indent=2))
    return {
        "test_digit_error_rate": digit_error_rate(net, test_waves, test_labels),
        "test_digit_error_rate_beam8": digit_error_rate(net, test_waves, test_labels, 8),
        "stopped": None,
        "files": [str(path)],
    }


def transcribe_wav(net, path, beam_width=8):
    """``(["4071"], [probability])``: the digit string a CTC model hears in a WAV file and its
    probability (all the alignments of that string)."""
    waveform, rate = load_wav(path)
    log_probs = ctc_outputs(net, [to_mono_16k(waveform, rate)])[0]
    labels, score = beam_search_decode(log_probs, beam_width, return_score=True)
    return ["".join(str(c - 1) for c in labels)], [float(np.exp(score))]
