"""Smoke test of the benchmark runner: it runs every case end to end and writes every field.

Speed itself is never asserted here (see benchmarks/): only that the runner works and
that its JSON holds what README.md's table and docs/performance.md are built from.
"""

import json
import math
import os
import subprocess
import sys

import pytest

import zennet as zn
from benchmarks.cases import CASES, SHAPES, missing_layers

torch = pytest.importorskip("torch")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CASE_FIELDS = {
    "name",
    "batch_size",
    "zennet_samples_per_s",
    "torch_samples_per_s",
    "ratio",
    "zennet_best_samples_per_s",
    "torch_best_samples_per_s",
    "best_ratio",
    "target_ratio",
    "zennet_peak_mb",
    "torch_peak_mb",
    "share_of_sgemm_peak",
}
TOP_FIELDS = {
    "date",
    "kernels",
    "machine",
    "threads",
    "command",
    "sgemm_gflops",
    "quick",
    "rounds",
    "steps",
    "cases",
    "latency_batch1_us",
    "import_zennet",
    "import_torch",
    "load_average",
}


def _run(*args):
    # One thread: a smoke run need not measure well, and two spinning BLAS threads on a
    # machine busy with other tests can make each step many times slower.
    threads = {v: "1" for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        env={**os.environ, **threads},
        capture_output=True,
        text=True,
        timeout=900,
    )


def _positive(value):
    return isinstance(value, float) and math.isfinite(value) and value > 0


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    path = tmp_path_factory.mktemp("bench") / "results.json"
    done = _run("benchmarks", "--quick", "--cases", *CASES, "--json", str(path))
    assert done.returncode == 0, done.stderr[-3000:]
    with open(path) as f:
        return json.load(f), done.stdout


def test_runner_writes_every_field(quick_run):
    results, stdout = quick_run
    assert TOP_FIELDS <= set(results), TOP_FIELDS - set(results)
    assert results["quick"] is True and results["rounds"] == 1
    assert _positive(results["sgemm_gflops"])
    for framework in ("zennet", "torch"):
        assert _positive(results["latency_batch1_us"][framework])
        assert _positive(results[f"import_{framework}"]["seconds"])
        assert _positive(results[f"import_{framework}"]["resident_mb"])
    for key in ("best_ratio", "zennet_traced", "torch_traced", "traced_ratio", "traced_vs_traced"):
        assert _positive(results["latency_batch1_us"][key])
    assert "batch-1 MLP inference" in stdout


@pytest.mark.parametrize("key", list(CASES))
def test_every_case_measured_or_skipped_with_a_note(quick_run, key):
    record = quick_run[0]["cases"][key]
    missing = missing_layers(CASES[key][0])
    if missing:  # skipped cleanly, naming what is missing
        assert record["skipped"].endswith(f"has no {', '.join(missing)} yet")
        return
    assert CASE_FIELDS <= set(record), CASE_FIELDS - set(record)
    for field in ("zennet_samples_per_s", "torch_samples_per_s", "ratio", "best_ratio"):
        assert _positive(record[field]), (field, record[field])
    for field in ("zennet_peak_mb", "torch_peak_mb"):
        assert math.isfinite(record[field]), (field, record[field])


def test_import_memory_is_the_child_s_own(quick_run):
    # ru_maxrss would report the parent's size (torch loaded) for both: zennet is far smaller
    results = quick_run[0]
    assert results["import_zennet"]["resident_mb"] < results["import_torch"]["resident_mb"]


def test_scaling_quick_writes_both_tables(tmp_path):
    path = tmp_path / "scaling.json"
    done = _run("benchmarks.scaling", "--quick", "--json", str(path))
    assert done.returncode == 0, done.stderr[-3000:]
    with open(path) as f:
        results = json.load(f)
    for table, key in (("batch", "batch_size"), ("width", "width")):
        rows = results[table]
        assert rows
        for row in rows:
            assert {key, "zennet_samples_per_s", "torch_samples_per_s", "ratio"} <= set(row)
            assert {"zennet_peak_mb", "torch_peak_mb"} <= set(row)
            assert _positive(row["ratio"])


def test_shapes_quick_measures_every_shape(tmp_path):
    path = tmp_path / "shapes.json"
    done = _run("benchmarks.shapes", "--quick", "--json", str(path))
    assert done.returncode == 0, done.stderr[-3000:]
    rows = json.loads(path.read_text())["rows"]
    assert [(r["case"], r["batch_size"]) for r in rows] == [(k, b) for k, b, _ in SHAPES]
    for row in rows:
        assert _positive(row["zennet_samples_per_s"]) and _positive(row["ratio"]), row


@pytest.mark.parametrize(
    "key, options",
    [(key, {}) for key in CASES]
    + [(key, options) for key, _, options in SHAPES]
    + [("lstm", {"cell": "GRU"})],  # benchmarks/kernel_ab.py's GRU
)
def test_a_case_builds_the_same_model_in_both(key, options):
    """Same weights, same batch: the two frameworks' first losses agree, so the ratios
    compare the same computation."""
    case = CASES[key][0](2, **options)
    zn_loss = zn.functional.cross_entropy(case.zn_model(case.zn_x), case.zn_y).item()
    torch_loss = torch.nn.functional.cross_entropy(case.torch_model(case.torch_x), case.torch_y)
    assert abs(zn_loss - torch_loss.item()) < 1e-4 * max(1.0, abs(zn_loss)), (zn_loss, torch_loss)


def test_kernels_quick_compares_both_paths(tmp_path):
    pytest.importorskip("numba")
    path = tmp_path / "kernels.json"
    done = _run("benchmarks.kernels", "--quick", "--json", str(path))
    assert done.returncode == 0, done.stderr[-3000:]
    rows = json.loads(path.read_text())["rows"]
    assert rows
    for row in rows:
        for path_name in ("compiled", "numpy", "torch"):
            assert _positive(row[path_name]["median"]), row
        assert _positive(row["speedup"])


def test_kernel_ab_times_both_paths():
    pytest.importorskip("numba")
    done = _run(
        "benchmarks.kernel_ab", "lstm", "lstm_cell_backward", "--rounds", "2", "--steps", "1"
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    assert [line.split(":")[1].split()[0] for line in lines] == ["NumPy", "kernel"], lines
    assert all("median" in line and "best" in line for line in lines)


def test_zeros_ab_times_both_and_restores_zeros_written(capsys):
    import zennet.ops.conv as conv
    from benchmarks import zeros_ab
    from zennet.backend import zeros_written

    zeros_ab.main("cnn", rounds=2, steps=1)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and "np.zeros" in lines[0] and "zeros_written" in lines[1]
    assert conv.zeros_written is zeros_written


def test_time_to_accuracy_runs_both_frameworks_to_the_target(tmp_path):
    """The time-to-accuracy case end to end, on a target that one step reaches."""
    pytest.importorskip("torch")
    from benchmarks import time_to_accuracy

    if not os.path.isdir("/usr/share/datasets/fashion-mnist"):
        pytest.skip("needs apt-get install dataset-fashion-mnist (CI installs it)")
    out = tmp_path / "tta.json"
    args = ["--target", "0.0", "--check-every", "2", "--json", str(out)]
    assert time_to_accuracy.main(args) == 0
    result = json.loads(out.read_text())
    for name in ("zennet", "PyTorch"):
        steps, seconds = result[name]["reached"]
        assert steps == 2 and seconds > 0
        assert result[name]["curve"][0][0] == 2 and 0 <= result[name]["curve"][0][2] <= 1


def test_mlp_floor_steps_by_hand_as_zennet_does():
    """benchmarks.mlp_floor's hand-written step makes zennet's own calls: after three steps
    from the same weights, both hold the same weights to rounding."""
    pytest.importorskip("numba")
    import numpy as np

    from benchmarks.mlp_floor import HandStep
    from zennet import kernels

    previous = kernels.use_compiled_kernels(True)
    try:
        case = CASES["mlp"][0](16)
        by_hand = HandStep(case)
        for _ in range(3):
            by_hand()
            case.zennet_step()
    finally:
        kernels.use_compiled_kernels(previous)
    linears = [m for m in case.zn_model if hasattr(m, "weight")]
    for (w, b), linear in zip(by_hand.layers, linears):
        np.testing.assert_allclose(w, linear.weight.data, rtol=0, atol=1e-6)
        np.testing.assert_allclose(b, linear.bias.data, rtol=0, atol=1e-6)
    assert not np.allclose(by_hand.layers[0][0], CASES["mlp"][0](16).zn_model[0].weight.data)


def test_mlp_step_ab_switches_each_change_and_leaves_it_on(monkeypatch):
    pytest.importorskip("numba")
    monkeypatch.delenv("ZENNET_KERNELS", raising=False)  # the suite's NumPy path: not here
    done = _run("benchmarks.mlp_step_ab", "--rounds", "1", "--steps", "1")
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    assert [line.split()[0] for line in lines] == ["adam", "column_sums", "holds"], lines
    from benchmarks.cases import CASES
    from benchmarks.mlp_step_ab import SWITCHES
    from zennet import kernels
    from zennet.ops.activation import ReLU
    from zennet.ops.linalg import Linear

    case = CASES["mlp"][0](4, width=8)
    for on in (False, True):  # each change off, then on again (as the run leaves it)
        for switch in SWITCHES.values():
            switch(case, on)
        assert ("_step_at_once" in vars(case.zn_opt)) is not on
        assert kernels.PART_ROWS["column_sums"] == (512 if on else 1)
        assert Linear.reaches_blas is ReLU.reaches_blas is (not on)
