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
import zennet.functional as F
from zennet.audio import beam_search_decode, error_rate, greedy_decode
from zennet.audio.features import features, log_mel, pad_batch
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


def batches_by_length(lengths, batch_size, rng):
    """Index batches of similar lengths (little padding), in a random order."""
    order = rng.permutation(len(lengths))
    chunks = [order[i : i + 50 * batch_size] for i in range(0, len(order), 50 * batch_size)]
    out = []
    for chunk in chunks:
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        out += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    return [out[i] for i in rng.permutation(len(out))]


def ctc_batch(mels, labels, idx):
    x, frames = pad_batch([mels[i] for i in idx])
    targets, target_lengths = pad_batch([labels[i] + 1 for i in idx])  # class 0 is the blank
    return x, frames, targets, target_lengths


def train_ctc(train, val, args):
    rng = np.random.default_rng(args.seed)
    mels = [log_mel(w) for w in multi_condition(train.audio, args.seed)]
    lengths = np.array([m.shape[-1] for m in mels])
    model = CRNN(10, width=args.width, hidden=args.width)
    optimizer = zn.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    masks = SpecAugment(freq_mask=6, time_mask=10, n_freq_masks=1, n_time_masks=2)
    for epoch in range(args.epochs):
        model.train()
        start, total, count = time.perf_counter(), 0.0, 0
        for idx in batches_by_length(lengths, args.batch_size, rng):
            x, frames, targets, target_lengths = ctc_batch(mels, train.labels, idx)
            x, _ = masks(x, None, rng)
            log_probs = model(zn.tensor(x[:, None]), frames)
            loss = F.ctc_loss(
                log_probs, targets, model.output_lengths(frames), target_lengths,
                zero_infinity=True,
            )  # fmt: skip
            optimizer.zero_grad()
            loss.backward()
            zn.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimizer.step()
            total, count = total + loss.item() * len(idx), count + len(idx)
        val_der = digit_error_rate(model, val.audio, val.labels)
        print(
            f"Epoch {epoch + 1}/{args.epochs} ctc_loss={total / count:.4f} "
            f"val_digit_error_rate={val_der:.4f} ({time.perf_counter() - start:.0f} s)",
            flush=True,
        )
    return model


def ctc_outputs(model, waves, batch_size=64):
    """Per utterance, its (T', 11) log-probabilities."""
    model.eval()
    out = []
    with zn.no_grad():
        for i in range(0, len(waves), batch_size):
            x, frames = features(waves[i : i + batch_size])
            log_probs = model(zn.tensor(x), frames).numpy()  # (T', N, 11)
            for k, n in enumerate(model.output_lengths(frames)):
                out.append(log_probs[:n, k])
    return out


def digit_error_rate(model, waves, labels, beam_width=0):
    decode = greedy_decode if not beam_width else lambda lp: beam_search_decode(lp, beam_width)
    predictions = [[c - 1 for c in decode(lp)] for lp in ctc_outputs(model, waves)]
    return error_rate(predictions, [list(label) for label in labels])


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
        model = train_ctc(train, val, args)
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
