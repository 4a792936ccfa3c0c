"""Text: vocabularies (characters, words), a byte-level BPE tokenizer, padded batches and
language-model windows; the language models, translators and their decoding live beside
them (docs/text.md).

    from zennet.text import CharVocab, BPETokenizer, pad_batch, LanguageModelWindows
"""

from zennet.text.batch import LanguageModelWindows, batches_by_length, pad_batch
from zennet.text.bpe import BPETokenizer
from zennet.text.saved import load_vocab, vocab_from_json
from zennet.text.vocab import SPECIALS, CharVocab, Vocab, WordVocab
