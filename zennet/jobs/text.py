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
SAMPLE_CHARS = 400  # the sample a training run writes into its results


def is_text_data(spec):
    """Whether ``--data spec`` names a text corpus ("fortunes" or "text:PATH")."""
    return spec == "fortunes" or (isinstance(spec, str) and spec.startswith("text:"))


def xz_bits_per_char(text):
    """8 · len(xz -9 of the UTF-8 text) / characters: what a general-purpose compressor
    needs, with no training data, for the same text."""
    return 8 * len(lzma.compress(text.encode("utf-8"), preset=9)) / len(text)


def check_model_kind(model, kind, what):
    """Refuse a preset that is not of ``kind`` ("language_model", "translation")."""
    if not getattr(MODELS.get(model), kind, False):
        names = [n for n in MODELS if getattr(MODELS.get(n), kind, False)]
        raise ValueError(f"{what} on it (--model {' or '.join(names)}), not {model!r}.")


def train_language_model_job(data, model, steps, batch_size, lr, seed, out, verbose=1, log=print):
    """Train preset ``model`` on the text ``data`` ("fortunes" or "text:PATH"); returns the
    test bits per character, xz's, a sampled paragraph and the files written."""
    say = log if verbose else (lambda *args, **kwargs: None)
    check_model_kind(model, "language_model", f"--data {data} is text: train a language model")
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
        "sample": generate_job(path, "", SAMPLE_CHARS, 0.8, seed=seed),
    }
    settings = {
        "data": data,
        "model": model,
        "steps": steps,
        "batch_size": batch_size,
        "lr": lr,
        "seed": seed,
    }
    settings["block_size"] = block
    return runs.write_results(out, settings, results, history, path)


def load_with_vocabularies(path, kind, keys, refusal):
    """(model in eval mode, the vocabularies stored under ``keys``) from a model file of a
    text job; ``refusal`` is the error's text when the model is no ``kind`` preset."""
    net, recipe = load_model(path)
    extra = load_checkpoint(path)["extra"]
    if not getattr(MODELS.get(recipe["name"]), kind, False) or not all(k in extra for k in keys):
        raise ValueError(f"{path} is not a {refusal}.")
    return net, *[vocab_from_json(extra[k]) for k in keys]


def load_text_model(path):
    """(language model in eval mode, its vocabulary) from a model file of the text job."""
    return load_with_vocabularies(
        path,
        "language_model",
        ["vocab"],
        "language model; "
        "`zennet generate` samples from models trained with --model "
        "gpt or char-lstm on text",
    )


def generate_job(
    model_path, prompt="", length=200, temperature=1.0, top_k=None, top_p=None, seed=None
):
    """The text a language model writes after ``prompt`` (``length`` characters)."""
    check_sampling(temperature, top_k, top_p, length)
    net, vocab = load_text_model(model_path)
    unknown = sorted({c for c in prompt if c not in vocab})
    if unknown:
        raise ValueError(
            f"the prompt holds characters the model never saw: {unknown}; leave them out."
        )
    context = vocab.encode(prompt or START)
    banned = [vocab.id_of(s) for s in vocab.specials]
    ids = generate(net, context, length, temperature, top_k, top_p, seed, banned=banned)
    return prompt + vocab.decode(ids)
