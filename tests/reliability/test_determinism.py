"""Same seed, same run: bit for bit, whatever NumPy's global random state is.

All randomness (initialization, dropout, shuffling, augmentation, random tensors) comes
from zennet's generator (``zn.manual_seed``) or a generator seeded for the purpose; no
file of zennet/ draws from NumPy's global state or Python's ``random``.
"""

import ast
import random
import subprocess
from pathlib import Path

import numpy as np

import zennet as zn
import zennet.functional as F
from tests.reliability.cli import command, environment
from zennet import nn
from zennet.data import DataLoader, TensorDataset
from zennet.data.augment import Compose, GaussianNoise, RandomTranslate
from zennet.training import Trainer

PACKAGE = Path(zn.__file__).parent


def test_two_runs_of_zennet_train_with_one_seed_are_bit_identical(tmp_path):
    runs = [tmp_path / "a", tmp_path / "b"]
    procs = [  # side by side, as two users would
        subprocess.Popen(
            command("train", "--epochs", "3", "--seed", "7", "--quiet", "--out", out),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=environment(),
        )
        for out in runs
    ]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err for _, err in outputs]
    a, b = runs
    assert outputs[0][0].splitlines()[-1] == outputs[1][0].splitlines()[-1]  # test metrics
    assert (a / "history.csv").read_bytes() == (b / "history.csv").read_bytes()
    wa, wb = zn.load(a / "model.safetensors"), zn.load(b / "model.safetensors")
    assert wa.keys() == wb.keys()
    assert all(np.array_equal(wa[k], wb[k]) for k in wa)


def everything_random(seed):
    """One of each kind of draw zennet makes, after zn.manual_seed(seed)."""
    zn.manual_seed(seed)
    draws = {}
    layers = [nn.Linear(5, 4), nn.Embedding(7, 3), nn.LSTM(3, 4), nn.MultiheadAttention(4, 2)]
    for i, layer in enumerate(layers):
        draws.update({f"{i}.{k}": v for k, v in layer.state_dict().items()})
    w = nn.Parameter(np.empty((4, 6), np.float32))
    for init in (nn.init.xavier_uniform_, nn.init.kaiming_normal_, nn.init.orthogonal_):
        draws[init.__name__] = init(w).data.copy()
    x = zn.ones(64, 8)
    draws["Dropout"] = nn.Dropout(0.5)(x).numpy()
    draws["dropout"] = F.dropout(x, 0.3).numpy()
    draws["randn"], draws["rand"] = zn.randn(3, 3).numpy(), zn.rand(3).numpy()
    data = TensorDataset(np.arange(20, dtype=np.float32)[:, None], np.arange(20))
    draws["shuffle"] = np.concatenate([y.numpy() for _, y in DataLoader(data, 6, shuffle=True)])
    images = np.zeros((4, 1, 6, 6), np.float32)
    augment = Compose([RandomTranslate(1), GaussianNoise(0.1)])
    draws["augment"] = augment(images)[0]
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Dropout(0.5), nn.Linear(16, 3))
    xs, ys = np.random.default_rng(1).standard_normal((40, 8)), np.arange(40) % 3
    Trainer(model, "adam").fit(xs, ys, epochs=2, batch_size=8, verbose=0)
    draws.update({f"fit.{k}": v for k, v in model.state_dict().items()})
    return draws


def test_zennet_draws_only_from_its_own_generator():
    np.random.seed(1)
    random.seed(1)
    global_state, python_state = np.random.get_state(), random.getstate()
    first = everything_random(0)
    assert np.array_equal(np.random.get_state()[1], global_state[1])  # never touched
    assert random.getstate() == python_state
    np.random.seed(2)  # a different global state changes nothing
    second = everything_random(0)
    assert first.keys() == second.keys()
    for key in first:
        assert np.array_equal(first[key], second[key]), key
    third = everything_random(1)  # ... while a different zennet seed changes everything
    constant = {"3.in_proj_bias", "3.out_proj.bias"}  # attention biases start at zero
    assert all(not np.array_equal(first[k], third[k]) for k in first.keys() - constant)


ALLOWED = {"default_rng", "Generator", "PCG64", "SeedSequence", "BitGenerator"}


def global_random_uses(tree):
    """(line, text) of every use of NumPy's global random state or Python's random module."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr not in ALLOWED:
            inner = node.value
            if isinstance(inner, ast.Attribute) and inner.attr == "random":
                if isinstance(inner.value, ast.Name) and inner.value.id in ("np", "numpy", "xp"):
                    found.append((node.lineno, f"{inner.value.id}.random.{node.attr}"))
        elif isinstance(node, ast.ImportFrom) and node.module in ("numpy.random", "random"):
            bad = [a.name for a in node.names if a.name not in ALLOWED or node.module == "random"]
            found += [(node.lineno, f"from {node.module} import {n}") for n in bad]
        elif isinstance(node, ast.Import):
            found += [(node.lineno, f"import {a.name}") for a in node.names if a.name == "random"]
    return sorted(found)


def test_no_file_of_zennet_uses_global_random_state():
    offenders = [
        f"{path.relative_to(PACKAGE.parent)}:{line}: {text}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for line, text in global_random_uses(ast.parse(path.read_text()))
    ]
    assert offenders == [], "use zennet.random.get_rng() or a seeded Generator:\n" + "\n".join(
        offenders
    )


def test_the_scan_finds_what_it_forbids():
    code = "import random\nnp.random.seed(0)\nx = numpy.random.rand(3)\n"
    code += "from numpy.random import randn\n"
    assert [t for _, t in global_random_uses(ast.parse(code))] == [
        "import random",
        "np.random.seed",
        "numpy.random.rand",
        "from numpy.random import randn",
    ]
    assert global_random_uses(ast.parse("g = np.random.default_rng(0)")) == []
