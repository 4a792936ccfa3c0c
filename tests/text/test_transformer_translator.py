import numpy as np
import pytest

import zennet as zn
import zennet.functional as F
from zennet.grad_mode import no_grad
from zennet.io import save_checkpoint
from zennet.models import build_model, load_model
from zennet.text.decode import greedy_batch, translate_ids
from zennet.text.transformer_seq2seq import Seq2SeqTransformer
from zennet.text.translation import train_translator

PAD, BOS, EOS = 0, 2, 3  # the tokenizers' special ids


def small(src_vocab=20, tgt_vocab=15, dropout=0.0):
    return Seq2SeqTransformer(
        src_vocab, tgt_vocab, dim=32, heads=4, layers=2, ff=64, dropout=dropout
    )


def test_changing_a_later_target_token_never_changes_earlier_outputs(rng):
    model = small().eval()
    src, lengths = rng.integers(4, 20, (2, 6)), np.array([6, 6])
    tgt = rng.integers(4, 15, (2, 8))
    base = model(src, lengths, tgt).numpy()  # (2, 8, 15)
    for t in (0, 3, 7):
        changed = tgt.copy()
        changed[:, t] = 4 + (changed[:, t] - 3) % 11  # another real token
        out = model(src, lengths, changed).numpy()
        np.testing.assert_array_equal(out[:, :t], base[:, :t])
        assert np.abs(out[:, t:] - base[:, t:]).max(axis=-1).min() > 0


def test_a_padded_source_translates_as_the_unpadded_one(rng):
    model = small().eval()
    src = rng.integers(4, 20, (2, 7))
    src[1, 4:] = PAD  # the second source has 4 tokens
    tgt = rng.integers(4, 15, (2, 5))
    batch = model(src, np.array([7, 4]), tgt).numpy()
    alone = model(src[1:, :4], np.array([4]), tgt[1:]).numpy()
    np.testing.assert_allclose(batch[1:], alone, rtol=1e-5, atol=1e-5)
    # what the pads hold never matters
    src[1, 4:] = rng.integers(4, 20, 3)
    np.testing.assert_allclose(model(src, np.array([7, 4]), tgt).numpy(), batch, atol=1e-5)
    weights = model.attention(src, np.array([7, 4]), tgt)  # (2, 5, 7)
    assert np.all(weights[1, :, 4:] == 0)
    np.testing.assert_allclose(weights.sum(axis=-1), 1, rtol=1e-5)


def test_a_padded_target_changes_no_real_position(rng):
    model = small().eval()
    src, lengths = rng.integers(4, 20, (1, 5)), np.array([5])
    tgt = np.array([[BOS, 5, 6, 7, PAD, PAD]])
    out = model(src, lengths, tgt).numpy()
    np.testing.assert_allclose(out[:, :4], model(src, lengths, tgt[:, :4]).numpy(), atol=1e-5)


def test_cached_steps_give_the_logits_of_the_whole_prefix(rng):
    model = small().eval()
    src, lengths = rng.integers(4, 20, (3, 7)), np.array([7, 5, 2])
    src[1, 5:], src[2, 2:] = PAD, PAD
    tgt = rng.integers(4, 15, (3, 9))
    with no_grad():
        full = F.log_softmax(model(src, lengths, tgt), dim=-1).numpy()  # uncached
        state, steps = model.start(src, lengths), []
        for t in range(tgt.shape[1]):
            log_probs, state = model.step(tgt[:, t], state)
            steps.append(log_probs)
        # beams: row k continues row parents[k] (rows 2, 0, 0)
        parents = np.array([2, 0, 0])
        log_probs, _ = model.step(np.array([5, 6, 7]), state, parents)
        regrown = np.concatenate([tgt[parents], [[5], [6], [7]]], axis=1)
        again = model(src[parents], lengths[parents], regrown).numpy()[:, -1]
    np.testing.assert_allclose(np.stack(steps, axis=1), full, atol=1e-5)
    np.testing.assert_allclose(log_probs, F.log_softmax(again, dim=-1).numpy(), atol=1e-5)


def test_greedy_is_beam_search_of_width_one(rng):
    model = small(dropout=0.1)  # decoding switches it to eval mode
    src = [[4, 5, 6, 7, 8], [9, 10, 11, 0, 0], [12, 13, 0, 0, 0]]
    lengths = np.array([5, 3, 2])
    batch = greedy_batch(model, np.array(src), lengths, BOS, EOS, max_len=8)
    for row, n, ids in zip(src, lengths, batch):
        tokens, weights = translate_ids(model, row[:n], BOS, EOS, 1, 8, return_attention=True)
        assert tokens == ids
        assert weights.shape == (len(tokens) + 1, n)
        np.testing.assert_allclose(weights.sum(axis=1), 1, rtol=1e-5)


def test_save_and_load_give_the_same_translator(tmp_path, rng):
    model = build_model("seq2seq-transformer", (1,), 15, src_vocab=20, dim=32, layers=1, ff=64)
    path = tmp_path / "model.safetensors"
    save_checkpoint(path, model.state_dict(), extra={"recipe": model.recipe})
    loaded, recipe = load_model(path)
    assert recipe["name"] == "seq2seq-transformer" and not loaded.training
    src, tgt = rng.integers(4, 20, (2, 6)), rng.integers(4, 15, (2, 4))
    lengths = np.array([6, 3])
    np.testing.assert_array_equal(
        loaded(src, lengths, tgt).numpy(), model.eval()(src, lengths, tgt).numpy()
    )
    assert not any("pe" in k for k in model.state_dict())  # the sinusoid table is rebuilt


def reversal_pairs(rng, n, symbols=8):
    """Sources of 2-5 symbols (ids 4..), targets the same symbols reversed."""
    src = [list(rng.integers(4, 4 + symbols, rng.integers(2, 6))) for _ in range(n)]
    return src, [[BOS, *s[::-1], EOS] for s in src]


def test_a_short_training_run_learns_to_reverse(rng):
    src, tgt = reversal_pairs(rng, 3000)
    model = Seq2SeqTransformer(12, 12, dim=32, heads=4, layers=2, ff=64, dropout=0.0)
    history = train_translator(model, src, tgt, steps=200, batch_size=32, lr=3e-3,
                               eval_every=50, warmup=10, log=lambda line: None)  # fmt: skip
    assert history[-1]["loss"] < 0.2 * np.log(12)  # chance: log(vocabulary)
    test_src, _ = reversal_pairs(np.random.default_rng(1), 100)
    test_src = [s for s in test_src if s not in src]  # sequences never seen
    lengths = np.array([len(s) for s in test_src])
    x = np.array([s + [PAD] * (5 - len(s)) for s in test_src])
    out = greedy_batch(model, x, lengths, BOS, EOS, max_len=8)
    exact = np.mean([o == s[::-1] for o, s in zip(out, test_src)])
    # 200 steps reach about half (0.5 here); guessing gets 1 in 8**length, copying the
    # source the palindromes only
    assert len(test_src) >= 40 and exact >= 0.3


def test_bad_sizes_and_lengths_are_refused(rng):
    with pytest.raises(ValueError, match="embed_dim=30 is not divisible by num_heads=4"):
        Seq2SeqTransformer(10, 10, dim=30, heads=4)
    model = small().eval()
    with pytest.raises(ValueError, match="max_len=512"):
        model(np.full((1, 513), 5), np.array([513]), np.array([[BOS]]))
    memory, seen = model.start(np.array([[5, 6]]), np.array([2]))
    seen = [zn.zeros((1, 512, 32)) for _ in seen]  # as if 512 tokens were written
    with pytest.raises(ValueError, match="position 512 is past the 512 positions"):
        model.step(np.array([5]), (memory, seen))


@pytest.mark.filterwarnings("ignore:enable_nested_tensor")
def test_logits_and_gradients_match_pytorch(rng):
    """The same weights in torch.nn.Transformer (pre-norm, GELU, batch first) with the same
    embeddings, sinusoids and masks give the same logits and weight gradients."""
    torch = pytest.importorskip("torch")
    model = small()
    src, lengths = rng.integers(4, 20, (2, 6)), np.array([6, 3])
    src[1, 3:] = PAD
    tgt = np.array([[BOS, 5, 6, 7, 8], [BOS, 9, 10, PAD, PAD]])
    weights = rng.standard_normal((2, 5, 15)).astype(np.float32)  # d loss / d logits
    (model(src, lengths, tgt) * weights).sum().backward()

    state = {k: torch.tensor(v, requires_grad=True) for k, v in model.state_dict().items()}
    reference = torch.nn.Transformer(32, 4, 2, 2, 64, 0.0, "gelu", batch_first=True,
                                      norm_first=True)  # fmt: skip
    prefix = "transformer."
    reference.load_state_dict({k[len(prefix) :]: v for k, v in state.items() if prefix in k})
    pe, scale = torch.tensor(model.positions.pe.data), model.scale
    x = state["src_embed.weight"][torch.tensor(src)] * scale + pe[:6]
    y = state["tgt_embed.weight"][torch.tensor(tgt)] * scale + pe[:5]
    causal = torch.triu(torch.ones(5, 5, dtype=torch.bool), diagonal=1)
    padding = torch.tensor(src == PAD)
    h = reference(x, y, tgt_mask=causal, src_key_padding_mask=padding,
                  tgt_key_padding_mask=torch.tensor(tgt == PAD),
                  memory_key_padding_mask=padding, tgt_is_causal=True)  # fmt: skip
    logits = h @ state["tgt_embed.weight"].T
    (logits * torch.tensor(weights)).sum().backward()
    ours = model(src, lengths, tgt).numpy()
    np.testing.assert_allclose(ours, logits.detach().numpy(), rtol=1e-4, atol=1e-5)
    grads = dict(reference.named_parameters())
    for name, p in model.named_parameters():
        # load_state_dict copies the transformer's weights: their gradients sit on its own
        expected = (grads[name[len(prefix) :]] if prefix in name else state[name]).grad
        np.testing.assert_allclose(p.grad.numpy(), expected.numpy(), rtol=1e-3, atol=1e-5)
