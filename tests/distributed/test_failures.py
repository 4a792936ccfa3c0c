"""A rank that dies or hangs ends the whole job, fast, with a message (no silent hang)."""

from tests.distributed.mpi import needs_mpi, run_ranks

pytestmark = needs_mpi


def test_a_killed_rank_ends_the_job_within_30_s(tmp_path):
    done, seconds = run_ranks(2, ["tests.distributed.workers", "kill", tmp_path], timeout=60)
    assert done.returncode != 0
    assert seconds < 30
    # the launcher (MPICH's hydra) names the signal; the survivors are stopped by it
    assert "signal 9" in done.stdout + done.stderr


def test_a_hung_rank_is_named_by_the_others(tmp_path):
    env = {"ZENNET_DIST_TIMEOUT": "5"}
    done, seconds = run_ranks(3, ["tests.distributed.workers", "hang", tmp_path], env=env)
    assert done.returncode != 0
    assert seconds < 30
    lines = [line for line in done.stderr.splitlines() if line.startswith("zennet.distributed")]
    assert lines, done.stdout + done.stderr
    assert "waited 5 s in all_reduce of gradients" in lines[0]
    assert "rank(s) 1 never arrived (dead or hung); ending the job." in lines[0]
