"""The text-classification benchmarks end to end on a tiny corpus (the Debian one takes
minutes): the sweep caches and selects on validation, the ensemble scores test once."""

import numpy as np
import pytest

from benchmarks import text_ensemble, text_sweep
from zennet.data.datasets.debian import TextClasses


def tiny_splits():
    rng = np.random.default_rng(0)
    words = [["python", "module", "django"], ["perl", "cpan", "module"], ["rust", "crate"]]

    def part(n):
        labels = rng.integers(0, 3, n)
        return [(" ".join(rng.choice(words[y], 3)) + " tool", int(y)) for y in labels]

    return TextClasses(part(60), part(20), part(20), ["python", "perl", "rust"])


MEMBERS = ['{"model": "text-bag", "steps": 40, "lr": 0.02}',
           '{"steps": 40, "buckets": 256, "dim": 8, "min_freq": 1}']  # fmt: skip


@pytest.fixture
def tiny(monkeypatch):
    monkeypatch.setattr(text_ensemble, "debian_packages", tiny_splits)
    monkeypatch.setattr(text_sweep, "debian_packages", tiny_splits)


def test_sweep_caches_and_selects_on_validation(tiny, tmp_path, capsys):
    text_sweep.main([*MEMBERS, "--cache", str(tmp_path), "--select"])
    first = capsys.readouterr().out
    assert first.count("CPU") == 2 and "ensemble [" in first and "TEST" not in first
    assert len(list(tmp_path.glob("*.npz"))) == 2
    text_sweep.main([*MEMBERS, "--cache", str(tmp_path)])
    again = capsys.readouterr().out
    assert again.count("(cached)") == 2
    assert [line.split(")")[-1] for line in again.splitlines()] == [
        line.split(")")[-1] for line in first.splitlines()[:2]
    ]  # the same validation scores, read back


def test_ensemble_scores_test_once(tiny, capsys):
    text_ensemble.main([*MEMBERS, MEMBERS[1]])  # the second member counts twice
    out = capsys.readouterr().out
    assert out.count("trained in") == 2 and out.count("TEST") == 1
    assert out.count("validation accuracy") == 4  # 3 members as listed, the ensemble
    text_ensemble.main([*MEMBERS, "--train-val"])
    out = capsys.readouterr().out
    assert "train + val" in out and out.count("TEST") == 1 and "validation" not in out
