import json
import shutil

import numpy as np
import pytest

from zennet.cli import main
from zennet.data.datasets import debian
from zennet.explain import completeness_gap
from zennet.jobs.textcls import explain_text
from zennet.models import build_model
from zennet.random import manual_seed
from zennet.text.attribution import _FromEmbeddings, token_attributions
from zennet.text.classify import accuracy_and_macro_f1

WORDS = {  # section -> words its descriptions are made of
    "python": "python module bindings library pure",
    "perl": "perl module cpan interface",
    "net": "network server protocol client daemon",
    "utils": "command tool file utility convert",
}
DUMP = "\n\n".join(  # what apt-cache dumpavail prints, a few fields per record
    f"Package: pkg{i}\nSource: src{i // 2}\nVersion: 1.0\nDescription: "
    + " ".join(np.random.default_rng(i).choice(WORDS[s].split(), 4))
    + f" {i}\nTag: a::b,\n c::d\nSection: {'contrib/' if i % 7 == 0 else ''}{s}"
    for i, s in enumerate(list(WORDS) * 150)
)


@pytest.fixture
def fake_apt(tmp_path, monkeypatch):
    """apt-cache replaced by a script printing DUMP (plus a duplicate and a doc record)."""
    extra = "\n\nPackage: pkg0\nDescription: again\nSection: net"  # a second version
    extra += "\n\nPackage: twin\nDescription: " + DUMP.split("Description: ")[1].split("\n")[0]
    extra += "\nSection: net\n\nPackage: manual\nDescription: the manual\nSection: doc\n"
    (tmp_path / "dump.txt").write_text(DUMP + extra)
    script = tmp_path / "apt-cache"
    script.write_text(f"#!/bin/sh\ncat {tmp_path / 'dump.txt'}\n")
    script.chmod(0o755)
    monkeypatch.setattr(debian.shutil, "which", lambda name: str(script))
    monkeypatch.setenv("ZENNET_DATA", str(tmp_path / "cache"))
    monkeypatch.setattr(debian, "SECTIONS", tuple(WORDS))
    return tmp_path


def test_records_split_and_cache(fake_apt):
    splits = debian.debian_packages(sections=tuple(WORDS))
    assert splits.classes == list(WORDS)
    everything = splits.train + splits.val + splits.test
    texts = [t for t, _ in everything]
    assert len(texts) == len(set(texts))  # no description twice, so none in two splits
    assert "again" not in texts  # the first version of a package only
    first = DUMP.split("Description: ")[1].split("\n")[0]
    assert first not in texts  # claimed by python and net: dropped
    assert len(everything) == 600 - 1
    assert {y for _, y in everything} == set(range(4))
    for part, k in zip(splits[:3], range(3)):  # whole source packages per split
        assert all(debian.split_of(f"src{int(t.split()[-1]) // 2}") == k for t, _ in part)
    assert min(len(splits.val), len(splits.test)) > 20
    cached = fake_apt / "cache" / "debian-packages" / "records.tsv"
    assert cached.exists() and "contrib/" not in cached.read_text()
    (fake_apt / "dump.txt").write_text("")  # the cache answers now, not apt-cache
    assert debian.debian_packages(sections=tuple(WORDS)) == splits


def test_missing_apt_cache(monkeypatch, tmp_path):
    monkeypatch.setattr(debian.shutil, "which", lambda name: None)
    monkeypatch.setenv("ZENNET_DATA", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="apt-cache is not installed"):
        debian.debian_packages()


def test_macro_f1_matches_scikit_learn():
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    y, p = rng.integers(0, 5, 200), rng.integers(0, 4, 200)  # class 4 never predicted
    got = accuracy_and_macro_f1(p, y, 5)
    assert got["macro_f1"] == pytest.approx(metrics.f1_score(y, p, average="macro"))
    assert got["accuracy"] == pytest.approx(metrics.accuracy_score(y, p))


@pytest.mark.parametrize("name", ["text-bag", "text-fasttext", "text-transformer"])
def test_integrated_gradients_are_complete(name):
    manual_seed(0)
    model = build_model(name, (16,), 3, vocab_size=30).eval()
    model.head.weight.data[:] = np.random.default_rng(0).normal(size=model.head.weight.shape)
    ids = np.array([4, 9, 17, 2, 25])
    attributions, target, score, base = token_attributions(model, ids, steps=200)
    assert attributions.shape == (5,)
    assert attributions.sum() == pytest.approx(score - base, abs=2e-3 * max(1, abs(score)))
    embeddings = model.embed(ids[None]).numpy()
    ig = np.broadcast_to(attributions[None, :, None] / embeddings.shape[-1], embeddings.shape)
    gap = completeness_gap(_FromEmbeddings(model, ids[None] != 0), embeddings, target, ig)
    assert gap[0] < 1e-2


@pytest.mark.parametrize("name", ["text-bag", "text-fasttext"])
def test_train_and_explain_end_to_end(fake_apt, tmp_path, capsys, name):
    out = tmp_path / "run"
    args = ["train", "--data", "debian-packages", "--model", name, "--steps", "150"]
    assert main(args + ["--lr", "0.02", "--out", str(out), "--quiet"]) == 0
    results = json.loads((out / "results.json").read_text())
    assert results["test_accuracy"] > 0.6  # chance is 0.25
    assert 0 < results["test_macro_f1"] <= 1
    model = str(out / "model.safetensors")
    capsys.readouterr()
    assert main(["explain", model, "perl cpan module", "--out", str(tmp_path / "x.html")]) == 0
    printed = capsys.readouterr().out
    assert "name=perl" in printed and "perl[+" in printed  # not a tty: plain, with numbers
    page = (tmp_path / "x.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "cpan</span>" in page
    assert main(["explain", model, "perl", "--trace"]) == 2
    shutil.rmtree(out)


def test_explain_fasttext_shows_every_word_and_is_complete(fake_apt, tmp_path):
    out = tmp_path / "run"
    args = ["train", "--data", "debian-packages", "--model", "text-fasttext", "--steps", "150"]
    assert main(args + ["--lr", "0.02", "--out", str(out), "--quiet"]) == 0
    result = explain_text(out / "model.safetensors", "perlish cpan module, client")
    assert result["tokens"] == ["perlish", "cpan", "module", ",", "client"]  # no <unk>
    assert result["label"] == "perl"
    total = result["score"] - result["baseline_score"]
    assert sum(result["attributions"]) == pytest.approx(total, abs=2e-3 * max(1, abs(total)))
