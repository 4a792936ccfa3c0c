"""The translation jobs: ``zennet train --data numbers-fr --model seq2seq-gru`` trains a
translator on numbers written out (English -> French; numbers-de, numbers-es), and
``zennet translate MODEL "four hundred and twelve"`` uses it."""

import time

from zennet.data.datasets.registry import DATASETS
from zennet.io import save_checkpoint
from zennet.jobs import runs
from zennet.jobs.text import check_model_kind, load_with_vocabularies
from zennet.models import build_model
from zennet.random import manual_seed
from zennet.text.decode import translate_ids
from zennet.text.plot import save_attention
from zennet.text.translation import (
    encode_pairs,
    exact_match,
    sacrebleu_scores,
    tokenizers_for,
    train_translator,
    translate_all,
)

DEFAULT_STEPS = 1500
KEYS = ("source_tokens", "target_tokens")
BEAM_WIDTH, BEAM_SENTENCES = 4, 500  # beam search is tested on the first 500 test pairs


def is_translation_data(spec):
    return spec in DATASETS and getattr(DATASETS.get(spec), "translation", False)


def train_translator_job(data, model, steps, batch_size, lr, seed, out, verbose=1, log=print):
    """Train preset ``model`` on the sentence pairs ``data``; returns the test exact-match
    accuracy (greedy, and beam search on the first pairs), BLEU and chrF, and the files."""
    say = log if verbose else (lambda *args, **kwargs: None)
    check_model_kind(model, "translation", f"--data {data} is sentence pairs: train a translator")
    runs.check_new_run_dir(out)
    say(f"making the sentence pairs of {data} ...", flush=True)
    pairs = DATASETS.get(data)()
    src_tok, tgt_tok = tokenizers_for(pairs.train)
    manual_seed(seed)
    net = build_model(model, (1,), len(tgt_tok), src_vocab=len(src_tok))
    steps = steps or DEFAULT_STEPS
    say(
        f"training {model} ({sum(p.data.size for p in net.parameters()):,} parameters) on "
        f"{len(pairs.train):,} pairs, {steps} steps of {batch_size}"
    )
    start = time.perf_counter()
    history = train_translator(
        net,
        *encode_pairs(pairs.train, src_tok, tgt_tok),
        steps,
        batch_size,
        lr,
        seed,
        validation=(pairs.val, src_tok, tgt_tok),
        log=say,
    )
    seconds = time.perf_counter() - start
    out = runs.new_run_dir(out)
    path = out / runs.MODEL
    extra = {"recipe": net.recipe, "source": src_tok.to_json(), "target": tgt_tok.to_json()}
    save_checkpoint(path, net.state_dict(), extra=extra)
    greedy = translate_all(net, pairs.test, src_tok, tgt_tok)
    beam_pairs = pairs.test[:BEAM_SENTENCES]
    beam = translate_all(net, beam_pairs, src_tok, tgt_tok, beam_width=BEAM_WIDTH)
    scores = {f"test_{k}": v for k, v in sacrebleu_scores(greedy, pairs.test).items()}
    results = {
        "test_exact_match": exact_match(greedy, pairs.test),
        **scores,
        f"test{BEAM_SENTENCES}_exact_match_greedy": exact_match(greedy, beam_pairs),
        f"test{BEAM_SENTENCES}_exact_match_beam{BEAM_WIDTH}": exact_match(beam, beam_pairs),
        "train_seconds": seconds,
        "errors": [(s, t, h) for (s, t), h in zip(pairs.test, greedy) if h != t][:20],
    }
    settings = {
        "data": data,
        "model": model,
        "steps": steps,
        "batch_size": batch_size,
        "lr": lr,
        "seed": seed,
    }
    return runs.write_results(out, settings, results, history, path)


def load_translator(path):
    """(model, source tokenizer, target tokenizer) from a translator's model file."""
    return load_with_vocabularies(
        path,
        "translation",
        ["source", "target"],
        "translator; `zennet translate` takes models trained with --data numbers-fr (or -de, -es)",
    )


def translate_job(model_path, text, beam_width=BEAM_WIDTH, attention_png=None):
    """{"translation": the text, "attention": (target tokens + 1, source tokens) weights,
    "source_tokens", "target_tokens": the token strings}; with ``attention_png``, the
    attention map drawn there."""
    if beam_width < 1:
        raise ValueError(f"--beam must be >= 1, got {beam_width}.")
    net, src_tok, tgt_tok = load_translator(model_path)
    src = src_tok.encode(text.strip())
    if not src:
        raise ValueError("translate: the text to translate is empty.")
    bos, eos = tgt_tok.id_of("<bos>"), tgt_tok.id_of("<eos>")
    ids, attention = translate_ids(net, src, bos, eos, beam_width, return_attention=True)
    result = {
        "translation": tgt_tok.decode(ids),
        "attention": attention,
        "source_tokens": [src_tok.decode([i]) for i in src],
        "target_tokens": [tgt_tok.decode([i]) for i in ids] + ["<eos>"],
    }
    if attention_png:
        title = f"{text.strip()!r} -> {result['translation']!r}"
        save_attention(attention_png, attention, *[result[k] for k in KEYS], title=title)
    return result
