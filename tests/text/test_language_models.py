import numpy as np
import pytest

from zennet.text import CharVocab
from zennet.text.generate import generate, next_token_distribution
from zennet.text.lm_training import bits_per_token, train_language_model
from zennet.text.models import GPT, CharLSTM

TEXT = "the cat sat on the mat. the dog sat on the log. " * 40


def small_gpt(vocab_size=30, block_size=16):
    return GPT(vocab_size, block_size, dim=32, layers=2, heads=4, dropout=0.0)


def test_gpt_is_causal(rng):
    """Changing token t changes the logits at t and after, never before."""
    model = small_gpt().eval()
    ids = rng.integers(0, 30, (2, 12))
    base = model(ids).numpy()
    for t in (0, 5, 11):
        changed = ids.copy()
        changed[:, t] = (changed[:, t] + 1) % 30
        out = model(changed).numpy()
        np.testing.assert_array_equal(out[:, :t], base[:, :t])
        assert np.abs(out[:, t:] - base[:, t:]).max(axis=-1).min() > 0


def test_gpt_ties_the_output_layer_to_the_embedding():
    model = small_gpt()
    names = [n for n, _ in model.named_parameters()]
    assert "wte.weight" in names and not any("head" in n for n in names)
    assert model(np.zeros((1, 3), dtype=np.int64)).shape == (1, 3, 30)


@pytest.mark.parametrize("make", [small_gpt, lambda: CharLSTM(30, 8, 16, 2)])
def test_stepping_with_the_cache_gives_the_full_forward(make, rng):
    model = make().eval()
    ids = rng.integers(0, 30, (3, 10))
    full = model(ids).numpy()
    logits, state = model.step(ids[:, :4])
    pieces = [logits.numpy()]
    for t in range(4, 10):
        logits, state = model.step(ids[:, t : t + 1], state)
        pieces.append(logits.numpy())
    np.testing.assert_allclose(np.concatenate(pieces, axis=1), full, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("make", [small_gpt, lambda: CharLSTM(30, 8, 16, 2)])
@pytest.mark.parametrize("temperature", [0.0, 1.0])
def test_cached_generation_equals_uncached(make, temperature):
    model = make()
    # 30 tokens after 4: the GPT's 16-token context fills and slides
    kwargs = dict(length=30, temperature=temperature, top_k=10, seed=3)
    cached = generate(model, [1, 2, 3, 4], use_cache=True, **kwargs)
    uncached = generate(model, [1, 2, 3, 4], use_cache=False, **kwargs)
    assert cached == uncached and len(cached) == 30


def test_gpt_refuses_positions_past_its_block():
    with pytest.raises(ValueError, match="block_size=16"):
        small_gpt().step(np.zeros((1, 17), dtype=np.int64))
    with pytest.raises(ValueError, match="integer dtype"):
        small_gpt()(np.zeros((1, 3)))
    with pytest.raises(ValueError, match=r"in \[0, 30\)"):
        small_gpt()(np.full((1, 3), 30))


def test_sampling_distribution_top_k_top_p_and_greedy():
    logits = np.log([0.5, 0.3, 0.15, 0.05])
    np.testing.assert_allclose(next_token_distribution(logits), [0.5, 0.3, 0.15, 0.05])
    np.testing.assert_allclose(next_token_distribution(logits, top_k=2), [0.625, 0.375, 0, 0])
    # top_p=0.75: 0.5 + 0.3 reach it, so the two others go
    np.testing.assert_allclose(next_token_distribution(logits, top_p=0.75), [0.625, 0.375, 0, 0])
    np.testing.assert_allclose(next_token_distribution(logits, top_p=0.85)[2], 0.15 / 0.95)
    assert next_token_distribution(logits, temperature=0).tolist() == [1, 0, 0, 0]
    cold = next_token_distribution(logits, temperature=0.5)
    assert cold[0] > 0.5 and abs(cold.sum() - 1) < 1e-12
    with pytest.raises(ValueError, match="top-p"):
        generate(small_gpt(), [1], 3, top_p=0)


@pytest.mark.parametrize(
    "make", [lambda v: GPT(v, 32, 32, 2, 4, 0.0), lambda v: CharLSTM(v, 16, 64, 1)]
)
def test_a_short_training_run_beats_chance(make):
    vocab = CharVocab.build(TEXT)
    ids = vocab.encode(TEXT)
    model = make(len(vocab))
    chance = np.log2(len(vocab))
    before = bits_per_token(model, ids[-300:], 32)
    history = train_language_model(
        model,
        ids[:-300],
        32,
        steps=60,
        batch_size=8,
        lr=1e-2,
        validation=ids[-300:],
        eval_every=30,
        log=lambda line: None,
    )
    after = bits_per_token(model, ids[-300:], 32)
    assert abs(before - chance) < 1.0 and after < 0.6 * chance
    assert history[-1]["step"] == 60 and history[-1]["val_bits"] == pytest.approx(after)
