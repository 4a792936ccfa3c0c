"""zennet.training.TensorBoard: the event files it writes, read back with tensorboard's own
EventAccumulator (scalars, histograms of weights and gradients, the model graph)."""

import numpy as np
import pytest

import zennet as zn
from zennet import nn
from zennet.training import TensorBoard

pytest.importorskip("tensorboard", reason="the TensorBoard callback needs tensorboard")
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402


def _fit(tmp_path, epochs=3, **kwargs):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    zn.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    trainer = zn.Trainer(model, "sgd", "cross_entropy", ["accuracy"])
    board = TensorBoard(tmp_path / "tb", **kwargs)
    history = trainer.fit(x, y, epochs=epochs, batch_size=16, validation_data=(x, y),
                          callbacks=[board], verbose=0)  # fmt: skip
    events = EventAccumulator(str(tmp_path / "tb"), size_guidance={"histograms": 0})
    events.Reload()
    return model, history, events


def test_scalars_are_the_historys_numbers(tmp_path):
    _, history, events = _fit(tmp_path)
    tags = events.Tags()["scalars"]
    assert {"loss", "accuracy", "val_loss", "val_accuracy", "lr"} <= set(tags)
    for key in ("loss", "val_accuracy"):
        logged = events.Scalars(key)
        assert [e.step for e in logged] == [0, 1, 2]
        np.testing.assert_allclose([e.value for e in logged], history[key], rtol=1e-6)


def test_histograms_of_the_final_weights_and_gradients(tmp_path):
    model, _, events = _fit(tmp_path, epochs=2)
    tags = set(events.Tags()["histograms"])
    assert {"0.weight", "0.bias", "2.weight", "0.weight/grad", "2.bias/grad"} <= tags
    last = events.Histograms("0.weight")[-1]
    values = model[0].weight.numpy().astype(np.float64)
    h = last.histogram_value
    assert last.step == 1 and h.num == values.size
    np.testing.assert_allclose([h.min, h.max, h.sum], [values.min(), values.max(), values.sum()],
                               rtol=1e-6)  # fmt: skip
    np.testing.assert_allclose(h.sum_squares, (values**2).sum(), rtol=1e-6)
    assert sum(h.bucket) == values.size
    grad = events.Histograms("2.weight/grad")[-1].histogram_value
    np.testing.assert_allclose(grad.sum, model[2].weight.grad.numpy().sum(), rtol=1e-5, atol=1e-7)


def test_the_graph_follows_the_model(tmp_path):
    _, _, events = _fit(tmp_path, epochs=1)
    graph = events.Graph()
    nodes = {n.name: n for n in graph.node}
    assert nodes["0"].op == "Linear" and list(nodes["0"].input) == ["input", "0/weight", "0/bias"]
    assert nodes["1"].op == "ReLU" and list(nodes["1"].input) == ["0"]
    assert list(nodes["2"].input)[0] == "1"
    assert nodes["2"].attr["shape"].s.decode() == "(16, 2)"
    assert nodes["0/weight"].attr["shape"].s.decode() == "(8, 4)"


def test_batch_losses_and_bad_arguments(tmp_path):
    _, _, events = _fit(tmp_path, epochs=2, update_freq=2, histogram_freq=0, write_graph=False)
    assert [e.step for e in events.Scalars("batch_loss")] == [2, 4, 6, 8]
    assert events.Tags()["histograms"] == [] and not events.Tags()["graph"]
    with pytest.raises(ValueError, match="update_freq must be 'epoch' or a number of batches"):
        TensorBoard(tmp_path, update_freq="batch")
    with pytest.raises(ValueError, match="histogram_freq must be a whole number"):
        TensorBoard(tmp_path, histogram_freq=-1)
