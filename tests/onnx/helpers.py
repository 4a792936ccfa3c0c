"""Export a model, check the file, and compare onnxruntime's outputs with zennet's."""

import numpy as np
import onnx
import onnxruntime

import zennet as zn

RTOL, ATOL = 1e-4, 1e-5


def flat(out):
    if isinstance(out, (tuple, list)):
        return [a for o in out for a in flat(o)]
    return [out.numpy()]


def run_zennet(model, x, run=None):
    model.eval()
    with zn.no_grad():
        return flat(run(model, zn.tensor(x)) if run else model(zn.tensor(x)))


def assert_exports(model, x, other, tmp_path, run=None, **kwargs):
    """Export with ``x``; onnxruntime on ``x`` and on ``other`` (another batch size) gives
    zennet's outputs. Returns the loaded ONNX model."""
    path = tmp_path / "model.onnx"
    zn.onnx.export(model, x, path, **kwargs)
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto, full_check=True)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (name,) = [i.name for i in session.get_inputs()]
    for batch in (x, other):
        got = session.run(None, {name: batch})
        expected = run_zennet(model, batch, run)
        assert len(got) == len(expected)
        for a, b in zip(got, expected):
            assert a.shape == b.shape and a.dtype == b.dtype
            np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL)
    return proto
