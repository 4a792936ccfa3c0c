"""Reading a saved vocabulary or tokenizer back, whatever its kind (``to_json``'s "type")."""

import json

from zennet.text.bpe import BPETokenizer
from zennet.text.vocab import CharVocab, WordVocab

KINDS = {"chars": CharVocab, "words": WordVocab, "byte-level-bpe": BPETokenizer}


def vocab_from_json(value):
    """A CharVocab, WordVocab or BPETokenizer from the dict its ``to_json`` made."""
    kind = value.get("type") if isinstance(value, dict) else None
    if kind not in KINDS:
        raise ValueError(
            f"vocab_from_json: unknown vocabulary type {kind!r}; expected one of {list(KINDS)}."
        )
    if kind == "byte-level-bpe":
        return BPETokenizer.from_json(value)
    try:
        return KINDS[kind](value["tokens"], value["specials"])
    except (KeyError, TypeError) as err:
        raise ValueError(f"vocab_from_json: a damaged vocabulary ({err!r}).") from err


def load_vocab(path):
    """The vocabulary or tokenizer saved in ``path`` by its ``save``."""
    with open(path, encoding="utf-8") as f:
        return vocab_from_json(json.load(f))
