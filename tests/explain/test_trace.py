"""trace_step: the primer's formulas, recomputed, equal zennet's autograd."""

import numpy as np
import pytest

import zennet as zn
import zennet.functional as F
from zennet import explain, nn
from zennet.explain.trace import Trace, TraceStep


def primer_mlp():
    return nn.Sequential(
        nn.Flatten(), nn.Linear(12, 8), nn.ReLU(), nn.Linear(8, 6), nn.Sigmoid(), nn.Linear(6, 3)
    )


def twin(model, make):
    copy = make()
    copy.load_state_dict(model.state_dict())
    return copy


def values(trace, name):
    (found,) = [s.values[name] for s in trace.steps if name in s.values]
    return found


def test_numbers_equal_autograd_gradients(rng):
    model = primer_mlp()
    reference = twin(model, primer_mlp)
    x = rng.standard_normal((5, 3, 4)).astype(np.float32)
    y = np.array([0, 2, 1, 1, 0])
    F.cross_entropy(reference(zn.tensor(x)), y).backward()  # plain autograd, no hooks

    trace = explain.trace_step(model, x, y, lr=0.5)
    assert trace.verified and trace.m == 5
    linears = [m for m in reference if isinstance(m, nn.Linear)]
    for l, layer in enumerate(linears, start=1):
        np.testing.assert_allclose(values(trace, f"dW{l}"), layer.weight.grad.data, atol=1e-7)
        np.testing.assert_allclose(values(trace, f"db{l}"), layer.bias.grad.data, atol=1e-7)
    loss = F.cross_entropy(reference(zn.tensor(x)), y).item()
    assert trace.loss == pytest.approx(loss, rel=1e-6)
    z1 = x.reshape(5, 12) @ linears[0].weight.data.T + linears[0].bias.data
    np.testing.assert_allclose(values(trace, "Z1"), z1, rtol=1e-6)


def test_the_step_updates_the_weights(rng):
    model = primer_mlp()
    before = model.state_dict()
    x, y = rng.standard_normal((4, 12)).astype(np.float32), np.array([0, 1, 2, 0])
    trace = explain.trace_step(model, x, y, lr=0.1)
    after = model.state_dict()
    for key, grad in (("1.weight", values(trace, "dW1")), ("5.bias", values(trace, "db3"))):
        np.testing.assert_allclose(after[key], before[key] - 0.1 * grad, rtol=1e-6)
    np.testing.assert_array_equal(values(trace, "W1"), before["1.weight"])  # the forward's W1
    still = primer_mlp()
    still.load_state_dict(before)
    explain.trace_step(still, x, y, update=False)
    for key, value in still.state_dict().items():
        np.testing.assert_array_equal(value, before[key])


def test_format_shows_both_notations_shapes_and_numbers(rng):
    model = primer_mlp()
    x, y = rng.standard_normal((4, 12)).astype(np.float32), np.array([0, 1, 2, 0])
    text = explain.format_trace(explain.trace_step(model, x, y))
    for piece in [
        "zennet: Z1 = A0·W1ᵀ + b1",
        "primer: Z1 = W1·A0 + b1",
        "A0 (4, 12) · W1ᵀ (12, 8) + b1 (8,) → Z1 (4, 8)",
        "W1 (8, 12) · A0 (12, 4) + b1 (8, 1) → Z1 (8, 4)",
        "A1 = max(0, Z1)",
        "dZ3 = (softmax(Z3) − Y) / m",
        "dW2 = dZ2ᵀ·A1",
        "dW2 = (1/m)·dZ2·A1ᵀ",
        "dZ2 = dA2 ⊙ A2 ⊙ (1 − A2)",
        "dZ1 = dA1 ⊙ [Z1 > 0]",
        "check: dW1 equals layer 1's weight.grad",
        "W1 ← W1 − α·dW1",
        "all checks passed",
    ]:
        assert piece in text, piece


def test_printed_numbers_are_the_first_entries(rng):
    model = primer_mlp()
    w, b = model[1].weight.data.copy(), model[1].bias.data.copy()
    x, y = rng.standard_normal((4, 12)).astype(np.float32), np.array([0, 1, 2, 0])
    text = explain.format_trace(explain.trace_step(model, x, y))
    z1 = x @ w.T + b  # computed here, with the weights before the update
    shown = text.split("Z1[0, :3] = [")[1].split("]")[0].split(", ")
    assert shown[3] == "..." and len(shown) == 4
    np.testing.assert_allclose([float(v) for v in shown[:3]], z1[0, :3], rtol=1e-3)


def test_mse_tanh_and_a_generic_activation(rng):
    def make():
        return nn.Sequential(nn.Linear(4, 5), nn.GELU(), nn.Linear(5, 3), nn.Tanh())

    model = make()
    reference = twin(model, make)
    x = rng.standard_normal((6, 4)).astype(np.float32)
    y = rng.standard_normal((6, 3)).astype(np.float32)
    F.mse_loss(reference(zn.tensor(x)), y).backward()
    trace = explain.trace_step(model, x, y, loss="mse", update=False)
    assert trace.verified
    np.testing.assert_allclose(values(trace, "dW1"), reference[0].weight.grad.data, atol=1e-7)
    text = str(trace)
    assert "dA2 = 2·(A2 − Y) / (m·k)" in text and "dZ2 = dA2 ⊙ (1 − A2²)" in text
    assert "dZ1 = dA1 ⊙ g′(Z1)" in text  # GELU: the value is autograd's


def test_standardized_inputs(rng):
    """The mlp preset's first layers: Flatten, then Standardize with the data's statistics."""
    x = rng.random((6, 3, 4), dtype=np.float32)

    def make():
        return nn.Sequential(
            nn.Flatten(), nn.Standardize(12), nn.Linear(12, 5), nn.ReLU(), nn.Linear(5, 2)
        )

    model = make()
    model[1].adapt(x)
    reference = twin(model, make)
    y = np.array([0, 1, 1, 0, 1, 0])
    F.cross_entropy(reference(zn.tensor(x)), y).backward()
    trace = explain.trace_step(model, x, y)
    assert trace.verified
    np.testing.assert_allclose(values(trace, "dW1"), reference[2].weight.grad.data, atol=1e-7)
    text = str(trace)
    assert "A0 = (X − μ) / (σ + ε)" in text and "Z1 = A0·W1ᵀ + b1" in text


def test_mode_restored_and_dropout_off(rng):
    model = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Dropout(0.5), nn.Linear(6, 2))
    model.train()
    x, y = rng.standard_normal((3, 4)).astype(np.float32), np.array([0, 1, 1])
    first = explain.trace_step(model, x, y, update=False)
    second = explain.trace_step(model, x, y, update=False)
    np.testing.assert_array_equal(values(first, "dW1"), values(second, "dW1"))
    assert all(m.training for m in model.modules())


def test_a_failed_check_is_reported():
    step = TraceStep("backward", "layer 1", "dW1 = dZ1ᵀ·A0", "dW1 = (1/m)·dZ1·A0ᵀ")
    step.checks = {"dW1 equals layer 1's weight.grad": (0.5, False)}
    trace = Trace([step], loss=1.0, loss_name="mse", lr=0.1, m=2, updated=False)
    assert not trace.verified
    text = explain.format_trace(trace)
    assert "(max |diff| 5.0e-01) MISMATCH" in text and "SOME CHECKS FAILED" in text


def test_printing(capsys, rng):
    trace = explain.trace_step(nn.Sequential(nn.Linear(3, 2)), np.ones((2, 3)), [0, 1])
    text = explain.format_trace(trace, print)
    assert capsys.readouterr().out == text + "\n"


def test_only_mlps(rng):
    x, y = np.ones((2, 4), dtype=np.float32), np.array([0, 1])
    with pytest.raises(ValueError, match="layer 1 is BatchNorm1d. Trace an MLP instead"):
        explain.trace_step(nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4)), x, y)
    with pytest.raises(ValueError, match=r"expected an nn.Sequential MLP .*got Linear"):
        explain.trace_step(nn.Linear(4, 2), x, y)
    with pytest.raises(ValueError, match="no Linear layer"):
        explain.trace_step(nn.Sequential(nn.ReLU()), x, y)
    with pytest.raises(ValueError, match="loss must be one of"):
        explain.trace_step(nn.Sequential(nn.Linear(4, 2)), x, y, loss="hinge")
