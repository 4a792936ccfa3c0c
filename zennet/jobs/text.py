"""The language-model jobs: ``zennet train --data fortunes|text:PATH --model gpt|char-lstm``
trains a character-level language model and measures it in bits per character against
``xz -9`` on the same test text; ``zennet generate MODEL --prompt ...`` samples from it.
"""

import lzma
import time

from zennet.data.datasets.text import load_text
from zennet.io import load_checkpoint, save_checkpoint
from zennet.jobs import runs
from zennet.models import MODELS, build_model, load_model
from zennet.random import manual_seed
from zennet.text import CharVocab, vocab_from_json
from zennet.text.generate import check_sampling, generate
from zennet.text.lm_training import bits_per_token, train_language_model

BLOCK_SIZE = {"gpt": 256, "char-lstm": 128}
DEFAULT_STEPS = 1000
START = "\n"  # the context of an empty prompt


def is_text_data(spec):
    """Whether ``--data spec`` names a text corpus ("fortunes" or "text:PATH")."""
    return spec == "fortunes" or (isinstance(spec, str) and spec.startswith("text:"))


def xz_bits_per_char(text):
    """8 · len(xz -9 of the UTF-8 text) / characters: what a general-purpose compressor
    needs, with no training data, for the same text."""
    return 8 * len(lzma.compress(text.encode("utf-8"), preset=9)) / len(text)


def train_language_model_job(data, model, steps, batch_size, lr, seed, out, verbose=1, log=print):
    """Train preset ``model`` on the text ``data`` ("fortunes" or "text:PATH"); returns the
    test bits per character, xz's, a sampled paragraph and the files written."""
    say = log if verbose else (lambda *args, **kwargs: None)
    if not getattr(MODELS.get(model), "language_model", False):
        names = [n for n in MODELS if getattr(MODELS.get(n), "language_model", False)]
        raise ValueError(
            f"--data {data} is text: train a language model on it (--model "
            f"{' or '.join(names)}), not {model!r}."
        )
    runs.check_new_run_dir(out)
    splits = load_text(data)
    vocab = CharVocab.build(splits.train)
    ids = [vocab.encode(s) for s in splits]
    manual_seed(seed)
    block = BLOCK_SIZE.get(model, 128)
    net = build_model(model, (block,), len(vocab))
    steps = steps or DEFAULT_STEPS
    say(
        f"training {model} ({sum(p.data.size for p in net.parameters()):,} parameters) on "
        f"{len(splits.train):,} characters of {data} ({len(vocab)} symbols), {steps} steps of "
        f"{batch_size} windows of {block}"
    )
    start = time.perf_counter()
    history = train_language_model(
        net, ids[0], block, steps, batch_size, lr, seed, validation=ids[1][:20000], log=say
    )
    seconds = time.perf_counter() - start
    out = runs.new_run_dir(out)
    path = out / runs.MODEL
    save_checkpoint(path, net.state_dict(), extra={"recipe": net.recipe, "vocab": vocab.to_json()})
    results = {
        "test_bits_per_char": bits_per_token(net, ids[2], block),
        "val_bits_per_char": bits_per_token(net, ids[1], block),
        "xz_test_bits_per_char": xz_bits_per_char(splits.test),
        "test_chars": len(splits.test),
        "test_chars_unknown": sum(i == vocab.unk_id for i in ids[2]),
        "train_seconds": seconds,
        "sample": generate_job(path, "", 400, 0.8, seed=seed),
    }
    settings = {
        "data": data,
        "model": model,
        "steps": steps,
        "batch_size": batch_size,
        "lr": lr,
        "seed": seed,
        "block_size": block,
    }
    runs.write_json(out / runs.CONFIG, settings)
    runs.write_json(out / runs.RESULTS, {**results, "history": history})
    return {**results, "stopped": None, "files": [str(path), str(out / runs.RESULTS)]}


def load_text_model(path):
    """(model in eval mode, its vocabulary) from a model file of a text job."""
    net, _ = load_model(path)
    extra = load_checkpoint(path)["extra"]
    if not isinstance(extra, dict) or "vocab" not in extra:
        raise ValueError(
            f"{path}: this model file holds no vocabulary; it was not written by "
            f"`zennet train` on text."
        )
    return net, vocab_from_json(extra["vocab"])


def generate_job(
    model_path, prompt="", length=200, temperature=1.0, top_k=None, top_p=None, seed=None
):
    """The text a language model writes after ``prompt`` (``length`` characters)."""
    check_sampling(temperature, top_k, top_p, length)
    net, vocab = load_text_model(model_path)
    if not hasattr(net, "step"):
        raise ValueError(
            f"{model_path} is not a language model; `zennet generate` samples "
            f"from models trained with --model gpt or char-lstm."
        )
    unknown = sorted({c for c in prompt if c not in vocab})
    if unknown:
        raise ValueError(
            f"the prompt holds characters the model never saw: {unknown}; leave them out."
        )
    context = vocab.encode(prompt or START)
    banned = [vocab.id_of(s) for s in vocab.specials]
    ids = generate(net, context, length, temperature, top_k, top_p, seed, banned=banned)
    return prompt + vocab.decode(ids)
