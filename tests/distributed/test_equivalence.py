"""Two processes at batch 32 each train exactly like one process at batch 64."""

import numpy as np
import pytest

import zennet as zn
from tests.distributed import workers
from tests.distributed.mpi import needs_mpi, run_workers

pytestmark = needs_mpi


def assert_same_weights(ranks, reference):
    for rank, state in enumerate(ranks):
        assert state.keys() == reference.keys()
        for key, expected in reference.items():
            np.testing.assert_allclose(
                state[key], expected, rtol=0, atol=1e-10, err_msg=f"rank {rank}: {key}"
            )


@pytest.mark.parametrize("scenario", ["sgd", "adam", "accumulate", "syncbn"])
def test_two_ranks_at_batch_32_equal_one_at_batch_64(scenario, tmp_path):
    ranks = run_workers(scenario, tmp_path)
    reference = workers.train(scenario, distributed=False)
    assert_same_weights(ranks, reference)
    first = next(iter(reference))
    assert not np.allclose(reference[first], workers.model().state_dict()[first])  # it trained


def test_local_batch_norm_differs_from_one_process(tmp_path):
    """The check above can fail: batch norm on each rank's own 32 samples (PyTorch's default
    under DDP) is not the 64-sample batch norm of one process."""
    ranks = run_workers("localbn", tmp_path)
    reference = workers.train("syncbn", distributed=False)
    assert not np.allclose(ranks[0]["0.weight"], reference["0.weight"], rtol=0, atol=1e-10)
    # The ranks still agree on the weights (their running statistics differ after the last
    # step, as in PyTorch: rank 0's are broadcast before each forward, not after).
    weights = {k: v for k, v in ranks[0].items() if "running" not in k and "batches" not in k}
    assert_same_weights([{k: s[k] for k in weights} for s in ranks[1:]], weights)


def test_trainer_reduces_loss_and_metrics_over_the_ranks(tmp_path):
    ranks = run_workers("trainer", tmp_path)
    for key in ranks[0]:  # weights, history and evaluation: the same on both ranks
        np.testing.assert_array_equal(ranks[1][key], ranks[0][key], err_msg=key)
    net = workers.model()
    net.load_state_dict({k: v for k, v in ranks[0].items() if k in net.state_dict()})
    x, y = workers.data()
    alone = zn.Trainer(net, optimizer=None, metrics=["accuracy"]).evaluate(x[:101], y[:101])
    np.testing.assert_allclose(ranks[0]["eval_loss"], alone["loss"], rtol=1e-12)
    assert ranks[0]["eval_accuracy"] == alone["accuracy"]
    assert len(ranks[0]["loss"]) == 2 and ranks[0]["loss"][1] < ranks[0]["loss"][0]


def test_collectives(tmp_path):
    ranks = run_workers("collectives", tmp_path)
    for state in ranks:
        np.testing.assert_array_equal(state["sum"], 2 * np.arange(4.0) + 1)
        np.testing.assert_array_equal(state["mean"], np.arange(4.0) * 1.5)
        np.testing.assert_array_equal(state["max"], [1, 0])
        np.testing.assert_array_equal(state["broadcast"], [1.0, 1.0, 1.0])
        np.testing.assert_array_equal(state["gathered"], [[0, 0], [1, 10]])
    assert [int(s["local_rank"]) for s in ranks] == [0, 1]
