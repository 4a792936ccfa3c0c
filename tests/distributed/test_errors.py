"""Mistakes get a message that says what to do."""

import numpy as np
import pytest

import zennet.distributed as dist
from tests.distributed.mpi import needs_mpi, run_workers
from zennet import nn


@needs_mpi
def test_forgetting_sync_gradients_is_caught_at_the_next_forward(tmp_path):
    ranks = run_workers("forgotten_sync", tmp_path)
    for state in ranks:
        assert "Call ddp.sync_gradients() after loss.backward()" in str(state["error"])


def test_using_the_group_before_init():
    if dist.is_initialized():
        pytest.skip("another test initialized MPI in this process")
    with pytest.raises(RuntimeError, match=r"call zennet.distributed.init\(\) first"):
        dist.get_rank()
    assert dist.is_main_process()


def test_arguments_pytorch_has_and_zennet_does_not():
    with pytest.raises(NotImplementedError, match="process_group is not supported"):
        dist.DistributedDataParallel(nn.Linear(2, 2), process_group=object())
    with pytest.raises(NotImplementedError, match="device_ids/output_device are for GPUs"):
        dist.DistributedDataParallel(nn.Linear(2, 2), device_ids=[0])
    with pytest.raises(TypeError, match="expected a zennet.nn.Module, got function"):
        dist.DistributedDataParallel(lambda x: x)


def test_bad_collective_arguments_are_refused_before_any_communication():
    with pytest.raises(ValueError, match="op must be one of"):
        dist.all_reduce(np.zeros(2), op="median")
    with pytest.raises(ValueError, match="needs a floating-point tensor"):
        dist.all_reduce(np.zeros(2, np.int64), op="mean")
    with pytest.raises(ValueError, match="not a writable C-contiguous buffer"):
        dist.all_reduce(np.zeros((4, 4))[:, 0])
    with pytest.raises(TypeError, match="expected a zennet Tensor or a NumPy array, got list"):
        dist.broadcast([1.0, 2.0])
