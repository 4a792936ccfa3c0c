"""zn.gradcheck: compare autograd's gradients with central differences in float64."""

import numpy as np

from zennet.tensor import Tensor


def _numeric_grad(fn, inputs, k, eps):
    """d(Σ fn(inputs) · seed)/d inputs[k] by central differences, one element at a time."""
    x = inputs[k].data
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        original = x[i]
        x[i] = original + eps
        plus = _scalar_output(fn(*inputs))
        x[i] = original - eps
        minus = _scalar_output(fn(*inputs))
        x[i] = original
        grad[i] = (plus - minus) / (2 * eps)
    return grad


def _scalar_output(out):
    """Reduce fn's output to one number with fixed weights, so every output element counts."""
    data = out.data if isinstance(out, Tensor) else np.asarray(out)
    return float((data * _output_weights(data)).sum())


def _output_weights(data):
    """Fixed, unequal weights (0.5 ... 2.5) so that no output's gradient can cancel another's."""
    return np.cos(np.arange(data.size, dtype=np.float64)).reshape(data.shape) + 1.5


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3):
    """Check ``fn``'s autograd gradients against central differences.

    ``inputs`` are tensors (or arrays); those that require grad are checked, in
    float64. Returns True, or raises AssertionError naming the input, the element
    and both values of the worst mismatch.
    """
    inputs = [
        Tensor(
            np.array(x.data if isinstance(x, Tensor) else x, dtype=np.float64),
            requires_grad=getattr(x, "requires_grad", False),
        )
        if np.issubdtype(np.asarray(getattr(x, "data", x)).dtype, np.floating)
        else x
        for x in inputs
    ]
    checked = [k for k, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad; nothing to check.")
    out = fn(*inputs)
    out.backward(_output_weights(out.data))
    for k in checked:
        analytic = np.zeros_like(inputs[k].data) if inputs[k].grad is None else inputs[k].grad.data
        numeric = _numeric_grad(fn, inputs, k, eps)
        error = np.abs(analytic - numeric) - (atol + rtol * np.abs(numeric))
        if error.size and error.max() > 0:
            worst = np.unravel_index(np.argmax(error), error.shape)
            raise AssertionError(
                f"gradcheck: input {k} (shape {inputs[k].shape}) element {tuple(map(int, worst))}: "
                f"autograd gives {analytic[worst]:.8g}, central differences give "
                f"{numeric[worst]:.8g} (atol={atol}, rtol={rtol})."
            )
    return True
