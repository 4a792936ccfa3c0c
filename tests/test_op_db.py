"""PyTorch's own operator database (``op_db``) run through zennet.

For every entry of ``torch.testing._internal.common_methods_invocations.op_db`` whose name
resolves in zennet (``zn.NAME``, ``zn.linalg.NAME`` for ``linalg.NAME``, a Tensor method, or
``zennet.functional.NAME`` for ``nn.functional.NAME``), every float64 CPU sample input (the
first ``MAX_SAMPLES`` of them) is run through both libraries, and the outputs and the
gradients of every input that requires one are compared.

- a value, dtype, shape or gradient that differs, or any exception other than
  ``NotImplementedError``, is a failure;
- ``NotImplementedError`` from zennet (an argument PyTorch has and zennet does not) is
  counted and listed, not a failure;
- the test prints the counts: entries resolved, samples passed, samples refused.

``MAX_SAMPLES`` is 6 by default (about 15 s of CPU time, under a minute of wall time on the
shared 2-core machine); ``ZENNET_OP_DB_SAMPLES=12`` (or 1000 for all) checks more. Run it
alone with ``python -m pytest tests/test_op_db.py -q -s`` to see the counts and the list
of refusals; ``ZENNET_OP_DB_ONLY=linalg.svd,scatter_reduce`` walks only those names.
"""

import collections
import os
import types

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("expecttest")  # op_db's module imports it

import zennet as zn  # noqa: E402
import zennet.functional as F  # noqa: E402

MAX_SAMPLES = int(os.environ.get("ZENNET_OP_DB_SAMPLES", 6))  # per entry (see the docstring)
ONLY = {n for n in os.environ.get("ZENNET_OP_DB_ONLY", "").split(",") if n}  # op_db names
RTOL, ATOL = 1e-6, 1e-8  # float64 on both sides; summation order is the only difference

# Entries with random or uninitialised outputs: only shape and dtype are compared.
RANDOM = {
    "bernoulli",
    "cauchy",
    "empty",
    "empty_like",
    "empty_permuted",
    "empty_strided",
    "exponential",
    "geometric",
    "log_normal",
    "multinomial",
    "new_empty",
    "new_empty_strided",
    "nn.functional.alpha_dropout",
    "nn.functional.dropout",
    "nn.functional.dropout2d",
    "nn.functional.dropout3d",
    "nn.functional.feature_alpha_dropout",
    "nn.functional.rrelu",
    "normal",
    "rand_like",
    "randint",
    "randint_like",
    "randn",
    "randn_like",
    "uniform",
}

# Decompositions whose factors are unique only up to signs (a column of U with the same
# column of V, an eigenvector): NumPy's LAPACK (OpenBLAS) and PyTorch's (MKL) may pick
# other signs, so their values are compared through the sample's own gauge-invariant
# projection (output_process_fn_grad: |U|, U·Vh, |eigenvectors|, ...), as gradients are.
GAUGE = {"linalg.eigh", "linalg.svd", "svd"}

# The number of op_db entries that resolved when this number was last raised; the test fails
# if fewer resolve (a name was lost). Raise it as the surface grows.
RESOLVED_AT_LEAST = 451


class _TorchAsZennet:
    """What an op_db lambda sees as ``torch``: zn, with ``torch.nn.functional`` as F."""

    nn = types.SimpleNamespace(functional=F)
    Tensor = zn.Tensor

    def __getattr__(self, name):
        return getattr(zn, name)


def through_zennet(lambda_):
    """An op_db entry's lambda (``lambda self, cond, other: torch.where(cond, self, other)``)
    re-bound so that ``torch`` in its body is zennet."""
    names = dict(lambda_.__globals__, torch=_TorchAsZennet())
    names["wrapper_set_seed"] = lambda fn, *args, **kwargs: fn(*args, **kwargs)
    return types.FunctionType(lambda_.__code__, names, None, None, lambda_.__closure__)


def resolve(name):
    """The zennet callable for an op_db name, or None."""
    if name.startswith("nn.functional."):
        return getattr(F, name[len("nn.functional.") :], None)
    obj = zn
    for part in name.split("."):
        obj = getattr(obj, part, None) if obj is not None else None
    if obj is not None and callable(obj) and not isinstance(obj, type):
        return obj
    if "." not in name and hasattr(zn.Tensor, name):
        attribute = getattr(zn.Tensor, name)
        if isinstance(attribute, property):
            return lambda x: getattr(x, name)
        return lambda x, *args, **kwargs: getattr(x, name)(*args, **kwargs)
    return None


def _np_dtype(dtype):
    return torch.empty(0, dtype=dtype).numpy().dtype


def to_zennet(value):
    """A sample's torch objects as zennet ones: tensors, dtypes and devices, nested."""
    if isinstance(value, torch.Tensor):
        array = value.detach().numpy().copy()
        return zn.tensor(array, requires_grad=value.requires_grad)
    if isinstance(value, torch.dtype):
        return _np_dtype(value)
    if isinstance(value, torch.device):
        return str(value)
    if isinstance(value, (torch.memory_format, torch.layout)):
        return str(value).removeprefix("torch.")
    if isinstance(value, torch.Size):
        return tuple(value)
    if isinstance(value, (list, tuple)) and not hasattr(value, "_fields"):
        return type(value)(to_zennet(v) for v in value)
    if isinstance(value, dict):
        return {k: to_zennet(v) for k, v in value.items()}
    return value


def leaves(out):
    """The tensors and numbers of an op's output, in order (tuples and lists flattened)."""
    if isinstance(out, (tuple, list)):
        return [leaf for item in out for leaf in leaves(item)]
    return [out]


def _check_leaf(ours, theirs, where):
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, zn.Tensor), f"{where}: got {type(ours).__name__}, not a Tensor"
        expected = theirs.detach().numpy()
        got = np.asarray(ours)
        assert got.shape == expected.shape, f"{where}: shape {got.shape} != {expected.shape}"
        assert got.dtype == expected.dtype, f"{where}: dtype {got.dtype} != {expected.dtype}"
        return got, expected
    return ours, theirs


def compare_values(ours, theirs, random):
    ours_l, theirs_l = leaves(ours), leaves(theirs)
    assert len(ours_l) == len(theirs_l), f"{len(ours_l)} outputs, PyTorch gives {len(theirs_l)}"
    for k, (o, t) in enumerate(zip(ours_l, theirs_l)):
        got, expected = _check_leaf(o, t, f"output {k}")
        if random:
            continue
        if isinstance(expected, np.ndarray) and expected.dtype.kind not in "fc":
            np.testing.assert_array_equal(got, expected, err_msg=f"output {k}")
        else:
            np.testing.assert_allclose(
                np.asarray(got, dtype=float) if not isinstance(got, np.ndarray) else got,
                expected,
                rtol=RTOL,
                atol=ATOL,
                equal_nan=True,
                err_msg=f"output {k}",
            )


def _processed(sample, out, library):
    try:
        return sample.output_process_fn_grad(out)
    except Exception:  # noqa: BLE001 (the processing function was written for torch only)
        if library == "torch":
            raise
        return out


def differentiable(leaf):
    return isinstance(leaf, (torch.Tensor, zn.Tensor)) and leaf.dtype in (
        torch.float64,
        np.float64,
    )


def compare_gradients(sample, ours, theirs, our_inputs, their_inputs):
    """Back-propagate the same weights through both outputs and compare input gradients."""
    wanted = [(o, t) for o, t in zip(our_inputs, their_inputs) if t.requires_grad]
    their_all = leaves(_processed(sample, theirs, "torch"))
    our_all = leaves(_processed(sample, ours, "zennet"))
    assert len(our_all) == len(their_all), "different number of outputs to differentiate"
    pairs = [(o, t) for o, t in zip(our_all, their_all) if differentiable(t) and t.requires_grad]
    if not wanted or not pairs:
        return False
    loss_t, loss_z = 0, 0
    for k, (o, t) in enumerate(pairs):
        assert differentiable(o), f"output {k}: {type(o).__name__} is not a float64 tensor"
        weights = np.asarray(np.cos(np.arange(t.numel()) + k) + 1.5).reshape(t.shape)
        loss_t = loss_t + (t * torch.from_numpy(weights)).sum()
        if o.requires_grad:
            loss_z = loss_z + (o * zn.tensor(weights)).sum()
    grads = torch.autograd.grad(loss_t, [t for _, t in wanted], allow_unused=True)
    if isinstance(loss_z, zn.Tensor):
        loss_z.backward()
    for k, ((o, t), g) in enumerate(zip(wanted, grads)):
        expected = np.zeros(t.shape) if g is None or g._is_zerotensor() else g.numpy()
        got = np.zeros(t.shape) if o.grad is None else np.asarray(o.grad)
        np.testing.assert_allclose(
            got, expected, rtol=RTOL, atol=ATOL, equal_nan=True, err_msg=f"gradient of input {k}"
        )
    return True


def tensors_of(sample):
    """Every tensor a sample passes (input, args, kwargs), flattened in order."""
    found = []

    def walk(value):
        if isinstance(value, (torch.Tensor, zn.Tensor)):
            found.append(value)
        elif isinstance(value, (list, tuple)):
            for v in value:
                walk(v)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)

    return walk, found


def run_sample(op, fn, sample):
    """'passed' or 'refused: ...'; raises AssertionError (or any error) on a wrong sample."""
    their_args = (sample.input, *sample.args)
    walk_t, their_tensors = tensors_of(sample)
    walk_t((their_args, sample.kwargs))
    try:
        theirs = op(sample.input, *sample.args, **sample.kwargs)
    except Exception:  # noqa: BLE001 (PyTorch refuses this sample itself)
        return "skipped"
    ours_args = to_zennet(their_args)
    ours_kwargs = to_zennet(sample.kwargs)
    walk_z, our_tensors = tensors_of(None)
    walk_z((ours_args, ours_kwargs))
    try:
        ours = fn(*ours_args, **ours_kwargs)
    except NotImplementedError as error:
        return f"refused: {error}"
    # random outputs (a random op, or attention with dropout): shape and dtype only
    random = op.name in RANDOM or sample.kwargs.get("dropout_p", 0) > 0
    if op.name in GAUGE:
        compare_values(
            _processed(sample, ours, "zennet"), _processed(sample, theirs, "torch"), random
        )
    else:
        compare_values(ours, theirs, random)
    if op.supports_autograd and not random:
        try:
            compare_gradients(sample, ours, theirs, our_tensors, their_tensors)
        except NotImplementedError as error:
            return f"refused (backward): {error}"
    return "passed"


def walk_op_db():
    from torch.testing._internal.common_methods_invocations import op_db

    counts = collections.Counter()
    failures, refusals, resolved = [], collections.defaultdict(list), []
    for op in op_db:
        fn = resolve(op.name)
        if ONLY and op.name not in ONLY:
            continue
        if fn is None or not op.supports_dtype(torch.float64, "cpu"):
            continue
        if getattr(op.op, "__name__", "") == "<lambda>":
            fn = through_zennet(op.op)
        entry = op.name + (f".{op.variant_test_name}" if op.variant_test_name else "")
        resolved.append(entry)
        samples = op.sample_inputs("cpu", torch.float64, requires_grad=op.supports_autograd)
        for i, sample in enumerate(samples):
            if i == MAX_SAMPLES:
                break
            try:
                outcome = run_sample(op, fn, sample)
            except Exception as error:  # noqa: BLE001 (a crash is a failure, listed by entry)
                counts["failed"] += 1
                failures.append(f"{entry} sample {i}: {type(error).__name__}: {error}"[:600])
                continue
            counts[outcome.split(":")[0]] += 1
            if outcome.startswith("refused"):
                refusals[entry].append(outcome)
    return resolved, counts, failures, refusals


@pytest.fixture(scope="module")
def walked():
    return walk_op_db()


def test_op_db_samples_match_pytorch(walked):
    resolved, counts, failures, refusals = walked
    print(
        f"\nop_db: {len(resolved)} entries resolve ({len({e.split('.')[0] for e in resolved})} "
        f"names); samples passed {counts['passed']}, refused {sum(map(len, refusals.values()))}"
        f", failed {counts['failed']}, skipped (PyTorch refuses) {counts['skipped']}"
    )
    for entry, reasons in sorted(refusals.items()):
        print(f"  refused {entry} ({len(reasons)}): {reasons[0][:160]}")
    assert not failures, f"{len(failures)} op_db samples differ from PyTorch:\n" + "\n".join(
        failures
    )


def test_op_db_resolves_at_least(walked):
    if ONLY:
        pytest.skip("ZENNET_OP_DB_ONLY checks some entries only")
    resolved = walked[0]
    assert len(resolved) >= RESOLVED_AT_LEAST, (len(resolved), RESOLVED_AT_LEAST)
