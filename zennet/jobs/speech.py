"""The speech jobs that are not classification: ``zennet train --data spoken-digit-strings``
trains a CTC model (the ``crnn`` preset), ``zennet predict MODEL file.wav`` transcribes with it,
``zennet explain MODEL file.wav`` shows what in the spectrogram made the transcription.
"""

import numpy as np

from zennet.audio.ctc_training import (
    TranscriptionScore,
    ctc_outputs,
    digit_error_rate,
    train_ctc,
)
from zennet.audio.decode import beam_search_decode
from zennet.audio.features import features, to_mono_16k
from zennet.audio.wav import load_wav
from zennet.data import datasets
from zennet.io import save_checkpoint
from zennet.jobs import runs
from zennet.models import build_model
from zennet.random import manual_seed

FRAMES = 700  # the recipe's input shape (1, 40, 700): 7 s; shorter utterances are not padded


def train_ctc_model(data, model, epochs, batch_size, lr, seed, out=None, verbose=1):
    """Train preset ``model`` with CTC on the data set ``data`` (waveforms and label
    sequences) in a run directory of its own (``out``, default a new ``runs/run-...``, which
    ``runs/latest`` then points to); returns the test digit error rates (greedy and beam 8),
    the run directory and the files written."""
    if out is not None:
        runs.check_new_run_dir(out)
    manual_seed(seed)
    (waves, labels), (test_waves, test_labels) = datasets.load(data)
    num_classes = int(max(max(label) for label in labels)) + 1
    net = build_model(model, (1, 40, FRAMES), num_classes)
    run_dir = runs.new_run_dir(out)
    settings = {"data": data, "model": model, "epochs": epochs, "batch_size": batch_size,
                "lr": lr, "seed": seed}  # fmt: skip
    runs.write_json(run_dir / runs.CONFIG, settings)
    train_ctc(
        net, waves, labels, epochs, batch_size, lr or 2e-3, seed,
        log=print if verbose else lambda line: None,
    )  # fmt: skip
    path = run_dir / runs.MODEL
    save_checkpoint(path, net.state_dict(), extra={"recipe": net.recipe})
    results = {
        "test_digit_error_rate": digit_error_rate(net, test_waves, test_labels),
        "test_digit_error_rate_beam8": digit_error_rate(net, test_waves, test_labels, 8),
    }
    runs.write_json(run_dir / runs.RESULTS, results)
    runs.point_latest_to(run_dir)
    files = [str(run_dir / name) for name in (runs.CONFIG, runs.MODEL, runs.RESULTS)]
    return {**results, "stopped": None, "run": str(run_dir), "files": files}


def transcribe_wav(net, path, beam_width=8):
    """``(["4071"], [probability])``: the digit string a CTC model hears in a WAV file and its
    probability (all the alignments of that string)."""
    waveform, rate = load_wav(path)
    log_probs = ctc_outputs(net, [to_mono_16k(waveform, rate)])[0]
    labels, score = beam_search_decode(log_probs, beam_width, return_score=True)
    return ["".join(str(c - 1) for c in labels)], [float(np.exp(score))]


def explain_transcription(net, path, attribute, beam_width=8):
    """Why a CTC model hears what it hears in a WAV file: ``(log-mels (40, T), attributions
    (40, T), digit string, its probability)``. The score explained is log p(string | input),
    summed over the string's alignments (:class:`TranscriptionScore`); ``attribute`` is an
    attribution method of zennet.explain (``attribute(model, x, targets)``)."""
    waveform, rate = load_wav(path)
    wave = to_mono_16k(waveform, rate)
    labels, score = beam_search_decode(ctc_outputs(net, [wave])[0], beam_width, return_score=True)
    if not labels:
        raise ValueError(
            f"zennet explain: the model hears no digits in {path}; nothing to explain."
        )
    x = features([wave])[0]  # (1, 1, 40, T)
    maps = attribute(TranscriptionScore(net, labels), x, np.zeros(1, dtype=np.int64))
    text = "".join(str(c - 1) for c in labels)
    return x[0, 0], np.asarray(maps).reshape(x.shape[-2:]), text, float(np.exp(score))
