"""Text corpora for language models: Debian's fortunes, or any UTF-8 text file.

``fortunes()`` reads the fortune cookies of Debian's ``fortunes`` package (``apt-get
install fortunes``; BSD licence; about 15,000 quotations, jokes and poems, 2.6 MB). **The
split is by fortune**: each distinct fortune goes to train, validation or test by a hash of
its text (90 / 5 / 5 %), so the same fortune (several appear in two files) is never on
both sides, and the split is the same on every machine and in every order of reading.

``text_file(path)`` splits any text by **contiguous blocks**: the first 90 % of its
characters for training, the next 5 % for validation, the last 5 % for test (each cut moved
to the next line break).

    train, val, test = fortunes()          # three strings, fortunes ended by "%\\n" as in the files
"""

import hashlib
from collections import namedtuple
from pathlib import Path

from zennet.data.datasets.registry import DATASETS
from zennet.text import models, seq2seq, transformer_seq2seq  # noqa: F401 (register the language-model presets)

FORTUNES = Path("/usr/share/games/fortunes")
SPLIT_PERCENT = (90, 5, 5)

TextSplits = namedtuple("TextSplits", "train val test")
TextSplits.__doc__ = "The train, validation and test text of a corpus (three strings)."


def fortune_files(root=None):
    """The fortune files under ``root`` (default: Debian's), sorted: every file that has a
    ``.dat`` index beside it (the files ``fortune`` itself reads)."""
    root = Path(root or FORTUNES)
    files = sorted(p.with_suffix("") for p in root.glob("*.dat") if p.with_suffix("").is_file())
    if not files:
        raise FileNotFoundError(
            f"fortunes: no fortune files in {root}; install Debian's fortunes package "
            f"(`apt-get install fortunes`) or give the folder that holds them."
        )
    return files


def read_fortunes(root=None):
    """Every distinct fortune (its text, ending in a newline), in file order."""
    seen, out = set(), []
    for path in fortune_files(root):
        text = path.read_text(encoding="utf-8", errors="replace")
        for fortune in text.split("\n%\n"):
            fortune = fortune.strip("\n%") + "\n"
            if fortune.strip() and fortune not in seen:
                seen.add(fortune)
                out.append(fortune)
    return out


def split_of(text):
    """0, 1 or 2 (train, validation, test) for a fortune, by the MD5 of its text."""
    bucket = int(hashlib.md5(text.encode("utf-8")).hexdigest(), 16) % 100
    return 0 if bucket < SPLIT_PERCENT[0] else 1 if bucket < sum(SPLIT_PERCENT[:2]) else 2


def fortunes(root=None):
    """TextSplits of Debian's fortunes: each split the concatenation of its fortunes, each
    followed by ``%\\n`` (the files' separator, so a model learns where a fortune ends)."""
    parts = ([], [], [])
    for fortune in read_fortunes(root):
        parts[split_of(fortune)].append(fortune + "%\n")
    return TextSplits(*("".join(p) for p in parts))


def text_file(path):
    """TextSplits of a UTF-8 text file, in contiguous blocks (90 / 5 / 5 % of its characters)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"text_file: {path}: no such file (give a UTF-8 text file).")
    text = path.read_text(encoding="utf-8", errors="replace")
    if len(text) < 1000:
        raise ValueError(
            f"text_file: {path} holds {len(text)} characters; a language model "
            f"needs at least 1,000 to train and test on."
        )
    cuts = [_line_end(text, len(text) * sum(SPLIT_PERCENT[:k]) // 100) for k in (1, 2)]
    return TextSplits(text[: cuts[0]], text[cuts[0] : cuts[1]], text[cuts[1] :])


def _line_end(text, i):
    """The index just after the first line break at or after ``i`` (or ``i`` if none)."""
    j = text.find("\n", i)
    return i if j < 0 or j - i > 1000 else j + 1


def load_text(spec):
    """TextSplits for ``"fortunes"`` or ``"text:PATH"``."""
    if spec == "fortunes":
        return fortunes()
    if isinstance(spec, str) and spec.startswith("text:"):
        return text_file(spec[len("text:") :])
    raise ValueError(f"load_text: {spec!r} is no text corpus; give 'fortunes' or 'text:PATH'.")


DATASETS.register(
    "fortunes",
    fortunes,
    "Debian's fortune cookies (apt-get install fortunes), 2.6 MB of text, split by fortune",
)
fortunes.text = True  # trained by zennet.jobs.text, not as (x, y) arrays
fortunes.default_model = "gpt"
