"""The --workers launcher's pure parts: its command line and its one line on failure."""

from zennet.distributed.launch import exit_codes, failure_line, without_workers


def test_workers_option_is_taken_out_of_the_ranks_command():
    argv = ["train", "--workers", "4", "--epochs", "2", "--workers=3", "--out", "d"]
    assert without_workers(argv) == ["train", "--epochs", "2", "--out", "d"]


def test_hydras_exit_codes_name_the_rank_that_failed():
    codes = exit_codes("[mpiexec@vm] Exit codes: [vm] 0,9,0\n")
    assert codes == [0, 9, 0]
    assert exit_codes("[mpiexec@a] Exit codes: [node-1] 0,0 [node-2] 2,0") == [0, 0, 2, 0]
    assert failure_line(9, codes, 3) == (
        "zennet train: rank 1 (exit code 9 = killed by signal 9) of 3 ended the job; mpiexec "
        "stopped the other ranks (exit code 9)."
    )


def test_without_exit_codes_the_line_gives_the_jobs():
    assert failure_line(1, None, 2) == "zennet train: the job of 2 ranks ended with exit code 1."
