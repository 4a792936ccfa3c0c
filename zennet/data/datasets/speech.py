"""Spoken digits, digit strings and languages, synthesized locally with espeak-ng.

No speech corpus can be downloaded here, so the audio is made on this machine by espeak-ng
(``apt-get install espeak-ng``): every English accent it has (8) times every voice variant
(about 100 timbres: male, female, whisper, croak, klatt, ...), each utterance at a random
speed and pitch (and word gap, for strings). The WAV files (16 kHz mono, 16-bit) are written
once under ``$ZENNET_DATA`` (default ``~/.cache/zennet/``) in a folder named after the
settings, with an ``index.tsv``; later calls read them from there.

**The split is by voice variant**: the variants are shuffled once (a fixed seed) and 70 %
go to training, 15 % to validation and 15 % to test, so a model is tested on timbres it
never heard, in any accent or language.

    train, val, test = spoken_digits()          # SpeechSet(audio, labels, voices, sample_rate)
    train.audio[0]                              # float32 waveform (T,), T varies
    train.labels[:5]                            # array([3, 0, 7, ...])
"""

import hashlib
import io
import os
import shutil
import subprocess
from collections import namedtuple
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from zennet.audio import models  # noqa: F401 (registers the speech model presets)
from zennet.audio.features import features
from zennet.audio.resample import resample
from zennet.audio.wav import decode_wav, load_wav, save_wav
from zennet.data.datasets.registry import DATASETS

SAMPLE_RATE = 16000
ENGLISH = (
    "en-us",
    "en-gb",
    "en-gb-scotland",
    "en-gb-x-rp",
    "en-gb-x-gbclan",
    "en-gb-x-gbcwmd",
    "en-029",
    "en-us-nyc",
)
SPLITS = ("train", "val", "test")
SPLIT_FRACTIONS = (0.70, 0.15, 0.15)

SpeechSet = namedtuple("SpeechSet", "audio labels voices sample_rate")
SpeechSet.__doc__ = """One split: ``audio`` a list of float32 waveforms (T_i,) at
``sample_rate``; ``labels`` an int64 array (N,) (digit or language index) or, for digit
strings, a list of int64 arrays (L_i,); ``voices`` the ``accent+variant`` of each utterance."""

# The languages of spoken_languages: espeak-ng voice, and short phrases every language has
# (greetings, thanks, a question); numbers, dates and times are added in each language.
LANGUAGES = {
    "english": ("en-us", ["good morning", "thank you very much", "where is the station"]),
    "german": ("de", ["guten Morgen", "vielen Dank", "wo ist der Bahnhof"]),
    "french": ("fr-fr", ["bonjour", "merci beaucoup", "où est la gare"]),
    "spanish": ("es", ["buenos días", "muchas gracias", "dónde está la estación"]),
    "italian": ("it", ["buongiorno", "grazie mille", "dov'è la stazione"]),
    "portuguese": ("pt", ["bom dia", "muito obrigado", "onde fica a estação"]),
    "dutch": ("nl", ["goedemorgen", "hartelijk bedankt", "waar is het station"]),
    "polish": ("pl", ["dzień dobry", "dziękuję bardzo", "gdzie jest dworzec"]),
    "swedish": ("sv", ["god morgon", "tack så mycket", "var är stationen"]),
    "finnish": ("fi", ["hyvää huomenta", "kiitos paljon", "missä on asema"]),
}


def data_home():
    """The cache directory: ``$ZENNET_DATA`` if set, else ``~/.cache/zennet``."""
    return Path(os.environ.get("ZENNET_DATA") or Path.home() / ".cache" / "zennet")


def espeak_path():
    """The espeak-ng executable, or a one-line FileNotFoundError saying how to install it."""
    found = shutil.which("espeak-ng")
    if found is None:
        raise FileNotFoundError(
            "speech data sets need espeak-ng, which is not installed: "
            "run `apt-get install espeak-ng` (Debian/Ubuntu) and try again."
        )
    return found


def voice_variants():
    """Every voice variant espeak-ng has (``--voices=variant``), sorted: ['Alex', 'Alicia', ...]."""
    out = subprocess.run(
        [espeak_path(), "--voices=variant"], capture_output=True, text=True, check=True
    ).stdout
    names = {line.split()[4].split("/")[-1] for line in out.splitlines()[1:] if line.strip()}
    return sorted(names)


def split_variants(variants, seed=0):
    """``{"train": [...], "val": [...], "test": [...]}``: the variants shuffled with ``seed``
    and cut 70/15/15 (at least one in each of val and test)."""
    order = [variants[i] for i in np.random.default_rng(seed).permutation(len(variants))]
    n_test = max(1, round(SPLIT_FRACTIONS[2] * len(order)))
    n_val = max(1, round(SPLIT_FRACTIONS[1] * len(order)))
    if len(order) < 3:
        raise ValueError(f"speech data: {len(order)} voice variants; need at least 3 to split.")
    n_train = len(order) - n_val - n_test
    return {
        "train": order[:n_train],
        "val": order[n_train : n_train + n_val],
        "test": order[n_train + n_val :],
    }


def synthesize(text, voice, speed=175, pitch=50, gap=0):
    """One utterance from espeak-ng: float32 (T,) at 16 kHz, silence at both ends trimmed
    (to 30 ms around the samples above 2 % of the peak)."""
    command = [espeak_path(), "-v", voice, "-s", str(speed), "-p", str(pitch), "-g", str(gap)]
    raw = subprocess.run(command + ["--stdout", text], capture_output=True, check=True).stdout
    audio, rate = decode_wav(io.BytesIO(raw))
    audio = resample(audio[0].astype(np.float64), rate, SAMPLE_RATE).astype(np.float32)
    loud = np.flatnonzero(np.abs(audio) > 0.02 * max(np.abs(audio).max(), 1e-9))
    if loud.size == 0:
        return audio
    margin = int(0.03 * SAMPLE_RATE)
    return audio[max(loud[0] - margin, 0) : loud[-1] + margin]


def _utterance_rng(*key):
    """A generator seeded by the utterance's key, so each one is the same in any subset."""
    digest = hashlib.sha256("/".join(map(str, key)).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def _generate(folder, rows, workers):
    """Write each row's WAV (rows: dicts with text, voice, speed, pitch, gap, file) and the
    index last, so an interrupted generation is redone rather than half-read."""
    folder.mkdir(parents=True, exist_ok=True)

    def one(row):
        path = folder / row["file"]
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            audio = synthesize(row["text"], row["voice"], row["speed"], row["pitch"], row["gap"])
            save_wav(path, audio, SAMPLE_RATE)

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, rows))
    columns = list(rows[0])
    lines = ["\t".join(columns)] + ["\t".join(str(r[c]) for c in columns) for r in rows]
    tmp = folder / "index.tsv.tmp"
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.replace(tmp, folder / "index.tsv")


def _read_index(folder):
    lines = (folder / "index.tsv").read_text(encoding="utf-8").splitlines()
    columns = lines[0].split("\t")
    return [dict(zip(columns, line.split("\t"))) for line in lines[1:]]


def _build(name, make_rows, variants, root, workers):
    """The rows of data set ``name`` (generated on first use), grouped into the three splits."""
    espeak_path()
    every = voice_variants()
    chosen = every if variants is None else every[: int(variants)]
    rows = make_rows(chosen)
    tag = hashlib.sha256(repr([(r["file"], r["text"]) for r in rows]).encode()).hexdigest()[:10]
    folder = Path(root or data_home()) / "speech" / f"{name}-{tag}"
    if not (folder / "index.tsv").exists():
        _generate(folder, rows, workers)
    rows = _read_index(folder)
    split_of = {v: s for s, vs in split_variants(chosen).items() for v in vs}
    return folder, {s: [r for r in rows if split_of[r["variant"]] == s] for s in SPLITS}


def _row(name, text, label, accent, variant, index, speeds, gap=(0, 0)):
    rng = _utterance_rng(name, accent, variant, index)
    return {
        "file": f"{variant}/{accent}-{index}.wav",
        "text": text,
        "label": label,
        "voice": f"{accent}+{variant}",
        "variant": variant,
        "speed": int(rng.integers(*speeds)),
        "pitch": int(rng.integers(20, 81)),
        "gap": int(rng.integers(gap[0], gap[1] + 1)),
    }


def _sets(folder, splits, parse_label):
    out = []
    for s in SPLITS:
        rows = splits[s]
        audio = [load_wav(folder / r["file"])[0][0] for r in rows]
        labels = [parse_label(r["label"]) for r in rows]
        if labels and np.ndim(labels[0]) == 0:
            labels = np.asarray(labels, dtype=np.int64)
        out.append(SpeechSet(audio, labels, [r["voice"] for r in rows], SAMPLE_RATE))
    return tuple(out)


def spoken_digits(variants=None, accents=ENGLISH, repeats=1, root=None, workers=2):
    """Single spoken digits 0-9: ``(train, val, test)`` SpeechSets split by voice variant.

    Every variant (or the first ``variants`` of the sorted list) speaks every digit in each
    of ``accents`` ``repeats`` times, at 120-220 words per minute and pitch 20-80. With the
    defaults: 8 accents x 100 variants x 10 digits = 8,000 utterances.
    """

    def rows(chosen):
        return [
            _row("digits", str(d), d, a, v, f"{d}-{k}", (120, 221))
            for v in chosen
            for a in accents
            for d in range(10)
            for k in range(repeats)
        ]

    folder, splits = _build("spoken_digits", rows, variants, root, workers)
    return _sets(folder, splits, int)


def spoken_digit_strings(variants=None, accents=ENGLISH, per_voice=4, root=None, workers=2):
    """Strings of 3-7 spoken digits (for CTC): ``(train, val, test)``; ``labels`` is a list
    of int64 arrays, one digit sequence per utterance. Speeds 130-210 wpm, word gaps 0-80 ms.
    With the defaults: 8 accents x 100 variants x 4 strings = 3,200 utterances."""

    def rows(chosen):
        out = []
        for v in chosen:
            for a in accents:
                for k in range(per_voice):
                    rng = _utterance_rng("strings-text", a, v, k)
                    digits = rng.integers(0, 10, int(rng.integers(3, 8)))
                    label = "".join(map(str, digits))
                    out.append(_row("strings", " ".join(label), label, a, v, k, (130, 211), (0, 8)))
        return out

    folder, splits = _build("spoken_digit_strings", rows, variants, root, workers)
    return _sets(folder, splits, lambda s: np.array([int(c) for c in s], dtype=np.int64))


def language_sentences(language, rng, count):
    """``count`` sentences in ``language``: its phrases, and numbers, dates and times that
    espeak-ng reads in that language (the same kinds of sentence in every language)."""
    phrases = LANGUAGES[language][1]
    out = []
    for kind in rng.permutation(np.arange(max(count, 4)) % 4)[:count]:
        if kind == 0:
            out.append(str(int(rng.integers(10, 10000))))
        elif kind == 1:
            out.append(f"{rng.integers(1, 29)}.{rng.integers(1, 13)}.{rng.integers(1950, 2030)}")
        elif kind == 2:
            out.append(f"{rng.integers(1, 24)}:{rng.integers(10, 60)}, {rng.integers(2, 100)}")
        else:
            out.append(phrases[int(rng.integers(len(phrases)))])
    return out


def spoken_languages(variants=None, languages=None, per_voice=6, root=None, workers=2):
    """Spoken-language identification: ``(train, val, test)``; ``labels`` index
    ``languages`` (default: the 10 of ``LANGUAGES``, in its order). Every variant speaks
    ``per_voice`` sentences in every language (numbers, dates, times, short phrases) at
    130-210 wpm. With the defaults: 10 languages x 100 variants x 6 = 6,000 utterances."""
    languages = list(LANGUAGES) if languages is None else list(languages)
    for lang in languages:
        if lang not in LANGUAGES:
            raise ValueError(
                f"spoken_languages: unknown language {lang!r}; choose from {list(LANGUAGES)}."
            )

    def rows(chosen):
        out = []
        for v in chosen:
            for i, lang in enumerate(languages):
                rng = _utterance_rng("languages-text", lang, v)
                for k, text in enumerate(language_sentences(lang, rng, per_voice)):
                    out.append(_row("languages", text, i, LANGUAGES[lang][0], v, k, (130, 211)))
        return out

    folder, splits = _build("spoken_languages", rows, variants, root, workers)
    return _sets(folder, splits, int)


def describe(sets):
    """A data card line per split of ``(train, val, test)``: utterances, voices (accent +
    variant), variants, hours of audio."""
    lines = []
    for name, s in zip(SPLITS, sets):
        hours = sum(len(a) for a in s.audio) / s.sample_rate / 3600
        variants = {v.split("+")[1] for v in s.voices}
        lines.append(
            f"{name}: {len(s.audio)} utterances, {len(set(s.voices))} voices "
            f"({len(variants)} variants), {hours:.2f} h"
        )
    return "\n".join(lines)


def _as_log_mels(name, frames, class_names=None):
    """A ``zennet train --data`` loader: the training and test voices of the data set
    ``name`` (a function of this module) as log-mel batches ``(N, 1, 40, frames)`` and their
    labels (validation voices unused)."""

    def loader(flat=False):
        train, _, test = globals()[name]()
        return tuple((features(s.audio, frames)[0], s.labels) for s in (train, test))

    loader.default_model = "speech-cnn"
    loader.class_names = class_names and tuple(class_names)  # kept with a model trained on it
    return loader


DATASETS.register(
    "spoken-digits",
    _as_log_mels("spoken_digits", 100),
    "8,000 spoken digits 0-9 by espeak-ng voices, made on first use; test voices unheard",
)
DATASETS.register(
    "spoken-languages",
    _as_log_mels("spoken_languages", 300, LANGUAGES),
    "6,060 utterances in 10 languages by espeak-ng voices, made on first use; split by voice",
)


def _waveforms(flat=False):
    train, _, test = spoken_digit_strings()
    return (train.audio, train.labels), (test.audio, test.labels)


_waveforms.default_model = "crnn"
DATASETS.register(
    "spoken-digit-strings",
    _waveforms,
    "3,200 strings of 3-7 spoken digits (CTC; waveforms and digit sequences); split by voice",
)
