"""The seam a tracer listens at (zn.onnx.export and zn.jit.trace record one forward pass
through it).

While a recorder is active, three places report to it:

- ``Function.apply`` (zennet/autograd.py): every primitive op, after it ran;
- ``Module.__call__`` (zennet/nn/module.py): every module call, so a layer with a
  converter of its own can be recorded whole;
- functions decorated with :func:`traced`: ops computed outside the graph (comparisons,
  sorting, argmax, ...) and index ops whose index tensors the primitives only see as
  arrays (gather, x[mask], ...), recorded as one op.

The first two are the hottest calls of the framework, so they carry no check: their
layers register a reporting version (:func:`report_while_recording`), which
:func:`recording` puts in their place for the length of the recording and then takes out
again. A traced function costs one attribute look-up when nothing records. Recording is
for the thread that started it only (the recorder ignores the calls of other threads).
"""

import contextlib
import functools
import threading


class _State:
    recorder = None  # the active recorder, or None


state = _State()


_REPORTING = []  # (class, attribute, its reporting version), installed while recording


def report_while_recording(owner, name, reporting):
    """While a recording runs, ``owner.name`` is ``reporting`` (a version of it that also
    tells ``state.recorder``); the rest of the time it is the plain one, at no cost."""
    _REPORTING.append((owner, name, reporting))


@contextlib.contextmanager
def recording(recorder):
    """Report every op of this thread to ``recorder`` inside the block."""
    if state.recorder is not None:
        raise RuntimeError("trace: a recording is already active; recordings do not nest.")
    recorder.thread = threading.get_ident()
    plain = [(owner, name, owner.__dict__[name]) for owner, name, _ in _REPORTING]
    state.recorder = recorder
    try:
        for owner, name, reporting in _REPORTING:
            setattr(owner, name, reporting)
        yield recorder
    finally:
        for owner, name, original in plain:
            setattr(owner, name, original)
        state.recorder = None


def traced(name):
    """Decorate a function computed outside the graph so a recorder sees it as one op
    called ``name`` (with its arguments and result)."""

    def decorate(fn):
        @functools.wraps(fn)
        def reported(*args, **kwargs):
            recorder = state.recorder
            if recorder is None:
                return fn(*args, **kwargs)
            return recorder.function(name, fn, args, kwargs)

        return reported

    return decorate


def rebound(tensor, result):
    """Tell the recorder that ``tensor`` now holds ``result`` (an in-place change)."""
    recorder = state.recorder
    if recorder is not None:
        recorder.rebind(tensor, result)
