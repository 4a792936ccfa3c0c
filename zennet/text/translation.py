"""Training a translator on sentence pairs, and measuring it.

Sentences become ids with one byte-level BPE tokenizer per language (learned on the
training sentences); targets get ``<bos>`` before and ``<eos>`` after. Each step takes a
batch of pairs of similar source length, and minimises the cross-entropy of every target
token given the ones before (teacher forcing; padding ignored), with Adam and the loop of
``zennet.text.steps`` (warm-up, cosine decay, gradient norm clipped at 1).
"""

import numpy as np

import zennet.functional as F
from zennet import optim
from zennet.text.batch import batches_by_length, pad_batch
from zennet.text.bpe import BPETokenizer
from zennet.text.decode import greedy_batch, translate_ids
from zennet.text.steps import train_steps


def tokenizers_for(pairs, vocab_size=500):
    """(source tokenizer, target tokenizer) learned from the training pairs."""
    return tuple(BPETokenizer.train([p[i] for p in pairs], vocab_size) for i in (0, 1))


def encode_pairs(pairs, src_tok, tgt_tok):
    """(source id lists, target id lists with <bos> and <eos>)."""
    src = [src_tok.encode(s) for s, _ in pairs]
    tgt = [tgt_tok.encode(t, bos=True, eos=True) for _, t in pairs]
    return src, tgt


def train_translator(
    model,
    src,
    tgt,
    steps,
    batch_size=64,
    lr=2e-3,
    seed=0,
    validation=None,
    eval_every=200,
    log=print,
    warmup=100,
):
    """Train ``model`` (a Seq2SeqGRU or Seq2SeqTransformer) for ``steps`` steps on id lists
    ``src``, ``tgt``; every ``eval_every`` steps log the mean loss and, with
    ``validation=(pairs, src_tok, tgt_tok)``, the greedy exact-match accuracy. Returns the
    history (a list of dicts)."""
    rng = np.random.default_rng(seed)
    optimizer = optim.Adam(model.parameters(), lr=lr)
    batches = []

    def batch_loss(step):
        if not batches:  # a new pass over the pairs
            batches.extend(batches_by_length([len(s) for s in src], batch_size, rng))
        rows = batches.pop()
        x, lengths, _ = pad_batch([src[i] for i in rows], model.pad_id)
        y, _, _ = pad_batch([tgt[i] for i in rows], model.pad_id)
        logits = model(x, lengths, y[:, :-1])  # (N, T, V)
        return F.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), y[:, 1:].reshape(-1), ignore_index=model.pad_id
        )

    def evaluate():
        return {"val_exact_match": exact_match(translate_all(model, *validation), validation[0])}

    evaluate = evaluate if validation is not None else None
    return train_steps(model, optimizer, batch_loss, steps, lr, warmup, evaluate, eval_every, log)


def translate_all(model, pairs, src_tok, tgt_tok, beam_width=1, batch_size=256):
    """The translations of the pairs' sources: greedy in batches, or beam search one by one."""
    bos, eos = tgt_tok.id_of("<bos>"), tgt_tok.id_of("<eos>")
    src = [src_tok.encode(s) for s, _ in pairs]
    if beam_width > 1:
        return [tgt_tok.decode(translate_ids(model, s, bos, eos, beam_width)) for s in src]
    out = []
    for i in range(0, len(src), batch_size):
        x, lengths, _ = pad_batch(src[i : i + batch_size], model.pad_id)
        out += [tgt_tok.decode(ids) for ids in greedy_batch(model, x, lengths, bos, eos)]
    return out


def exact_match(hypotheses, pairs):
    """The fraction of translations equal to their reference, character for character."""
    return float(np.mean([h == t for h, (_, t) in zip(hypotheses, pairs)]))


def sacrebleu_scores(hypotheses, pairs):
    """{"bleu": ..., "chrf": ...} from sacrebleu (corpus level), or {} without it."""
    try:
        import sacrebleu
    except ImportError:
        return {}
    references = [[t for _, t in pairs]]
    return {
        "bleu": sacrebleu.corpus_bleu(hypotheses, references).score,
        "chrf": sacrebleu.corpus_chrf(hypotheses, references).score,
    }
