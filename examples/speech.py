"""Speech with zennet: spoken digits, digit strings (CTC) and spoken-language ID, trained on
espeak-ng voices and tested on voice variants never heard in training.

    python examples/speech.py digits                  # SpeechCNN on single digits
    python examples/speech.py strings                 # CRNN + CTC on 3-7 digit strings
    python examples/speech.py languages               # SpeechCNN over 10 languages
    python examples/speech.py digits --epochs 1 --limit 500 --variants 10   # a quick look

Needs espeak-ng (`apt-get install espeak-ng`); the data sets are generated on first use
(minutes) under $ZENNET_DATA or ~/.cache/zennet. Prints the held-out-voice results, then
the robustness table: the test voices with white noise at 20, 10 and 5 dB SNR and played
at 0.8x and 1.25x speed. Writes model.safetensors and speech.json to --out.
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np

import zennet as zn
from zennet.audio.ctc_training import digit_error_rate, train_ctc
from zennet.audio.features import features
from zennet.audio.models import CRNN, SpeechCNN
from zennet.data.augment import SpecAugment, add_noise, change_speed
from zennet.data.datasets import speech

FRAMES = {"digits": 100, "languages": 300}  # 1 s and 3 s of 10 ms frames
CONDITIONS = [
    ("clean", None),
    ("noise 20 dB", ("noise", 20.0)),
    ("noise 10 dB", ("noise", 10.0)),
    ("noise 5 dB", ("noise", 5.0)),
    ("speed 0.8x", ("speed", 0.8)),
    ("speed 1.25x", ("speed", 1.25)),
]


def load(task, variants):
    if task == "digits":
        return speech.spoken_digits(variants=variants), [str(d) for d in range(10)]
    if task == "strings":
        return speech.spoken_digit_strings(variants=variants), [str(d) for d in range(10)]
    return speech.spoken_languages(variants=variants), list(speech.LANGUAGES)


def perturb(waves, condition, seed=0):
    """The waveforms under a test condition: ("noise", snr_db) or ("speed", factor)."""
    if condition is None:
        return waves
    kind, value = condition
    rng = np.random.default_rng(seed)
    if kind == "noise":
        return [add_noise(w[None], value, "white", rng)[0] for w in waves]
    return [change_speed(w, value) for w in waves]


def multi_condition(waves, seed):
    """Training copies of ``waves``: half of them get noise (5-30 dB SNR, white or pink) and a
    speed of 0.85-1.15x, so the model hears more than clean synthetic speech."""
    rng = np.random.default_rng(seed)
    out = []
    for w in waves:
        if rng.random() < 0.5:
            w = change_speed(w, rng.uniform(0.85, 1.15))
            w = add_noise(w[None], rng.uniform(5, 30), rng.choice(["white", "pink"]), rng)[0]
        out.append(w.astype(np.float32))
    return out


# --------------------------------------------------------------- classifiers


def train_classifier(task, train, val, classes, args):
    frames = FRAMES[task]
    x, _ = features(multi_condition(train.audio, args.seed), frames)
    xv, _ = features(val.audio, frames)
    model = SpeechCNN(len(classes), width=args.width)
    optimizer = zn.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    trainer = zn.Trainer(model, optimizer, "cross_entropy", ["accuracy"])
    masks = SpecAugment(freq_mask=6, time_mask=frames // 10, n_freq_masks=1, n_time_masks=2)
    squeeze = AsSpectrograms(masks)
    trainer.fit(
        x, train.labels, epochs=args.epochs, batch_size=args.batch_size,
        validation_data=(xv, val.labels), seed=args.seed, augment=squeeze,
    )  # fmt: skip
    return model, trainer


class AsSpectrograms:
    """Apply a spectrogram augmentation (N, F, T) to a batch (N, 1, F, T)."""

    def __init__(self, augmentation):
        self.augmentation = augmentation

    def __call__(self, x, y, rng):
        out, y = self.augmentation(x[:, 0], y, rng)
        return out[:, None], y


def classifier_accuracy(trainer, task, waves, labels):
    x, _ = features(waves, FRAMES[task])
    return float((trainer.predict(x).argmax(axis=1) == labels).mean())


# --------------------------------------------------------------- CTC


def train_strings(train, val, args):
    model = CRNN(10, width=args.width, hidden=args.width)
    waves = multi_condition(train.audio, args.seed)
    train_ctc(
        model, waves, train.labels, args.epochs, args.batch_size, args.lr, args.seed,
        validation=(val.audio, val.labels), log=lambda line: print(line, flush=True),
    )  # fmt: skip
    return model


# --------------------------------------------------------------- main


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("task", choices=["digits", "strings", "languages"])
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--width", type=int, default=64, help="channels of the convolutions")
    parser.add_argument("--variants", type=int, default=None, help="use the first N voices")
    parser.add_argument("--limit", type=int, default=None, help="train on N utterances")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None, help="directory for the model (default: none)")
    args = parser.parse_args(argv)
    args.epochs = args.epochs or {"digits": 12, "strings": 20, "languages": 15}[args.task]
    zn.manual_seed(args.seed)

    (train, val, test), classes = load(args.task, args.variants)
    if args.limit:
        pick = np.random.default_rng(args.seed).permutation(len(train.audio))[: args.limit]
        labels = [train.labels[i] for i in pick]
        labels = labels if args.task == "strings" else np.asarray(labels)
        voices = [train.voices[i] for i in pick]
        train = train._replace(audio=[train.audio[i] for i in pick], labels=labels, voices=voices)
    print(
        f"{args.task}: {len(train.audio)} training utterances ({len(set(train.voices))} voices), "
        f"{len(val.audio)} validation, {len(test.audio)} test ({len(set(test.voices))} "
        "voices never heard in training)",
        flush=True,
    )
    start = time.perf_counter()
    if args.task == "strings":
        model = train_strings(train, val, args)
    else:
        model, trainer = train_classifier(args.task, train, val, classes, args)
    minutes = (time.perf_counter() - start) / 60
    print(f"training time: {minutes:.1f} min")

    print("\n| test voices | " + ("digit error rate (greedy / beam 8)" if args.task == "strings"
                                 else "accuracy") + " |\n|---|---|")  # fmt: skip
    for name, condition in CONDITIONS:
        waves = perturb(test.audio, condition)
        if args.task == "strings":
            greedy = digit_error_rate(model, waves, test.labels)
            beam = digit_error_rate(model, waves, test.labels, beam_width=8)
            print(f"| {name} | {100 * greedy:.2f} % / {100 * beam:.2f} % |", flush=True)
        else:
            accuracy = classifier_accuracy(trainer, args.task, waves, test.labels)
            print(f"| {name} | {100 * accuracy:.2f} % |", flush=True)

    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        zn.save(model.state_dict(), out / "model.safetensors")
        card = {
            "task": args.task,
            "classes": classes,
            "frames": FRAMES.get(args.task),
            "width": args.width,
        }
        (out / "speech.json").write_text(json.dumps(card, indent=1))
        print(f"wrote {out / 'model.safetensors'}")


if __name__ == "__main__":
    main()
