"""The layers of DESIGN.md, enforced: imports point down the layers and never form a cycle.

Every ``import`` in the package is read with ``ast`` (those inside functions too: a lazy
import is still a dependency), resolved to the zennet module it names, and checked
against the layer table below. A new module must be given its layer here.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "zennet"

# Low to high; a module may import from its own layer or a lower one. The longest prefix
# of a module's name decides its layer.
LAYERS = [
    [  # the engine: arrays, devices, switches, the Tensor and its backward pass
        "zennet.allocator",
        "zennet.startup",
        "zennet.backend",
        "zennet.cuda",
        "zennet.grad_mode",
        "zennet.dtypes",
        "zennet.random",
        "zennet.registry",
        "zennet.trace",
        "zennet.version",
        "zennet.parallel",
        "zennet.kernels",
        "zennet.tensor",
        "zennet.autograd",
    ],
    ["zennet.ops", "zennet.creation"],  # primitives: forward and backward on arrays
    ["zennet.functional"],  # composites and the user-facing functions
    ["zennet.nn", "zennet.optim", "zennet.gradcheck"],
    [  # libraries built on models: data, files, exchange, interpretability
        "zennet.data",
        "zennet.datasets",
        "zennet.io",
        "zennet.checkpoint",
        "zennet.interop",
        "zennet.onnx",
        "zennet.jit",
        "zennet.models",
        "zennet.pretrained",
        "zennet.explain",
        "zennet.vision",
        "zennet.audio",
        "zennet.text",
        "zennet.utils",  # PyTorch's paths (zennet.utils.data) for the data package
    ],
    ["zennet.training", "zennet.distributed"],
    ["zennet.jobs"],
    ["zennet.cli", "zennet.__main__"],
]


def module_name(path):
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def layer(name):
    """The layer index of a module: the longest matching prefix in LAYERS wins."""
    best, found = -1, None
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (name == prefix or name.startswith(prefix + ".")) and len(prefix) > best:
                best, found = len(prefix), index
    return found


def imports(name):
    """The zennet modules that module ``name`` imports (resolved to real modules)."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("zennet"))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            if not base.startswith("zennet"):
                continue
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in MODULES else base)
    return {m for m in found if m != name}


GRAPH = {name: imports(name) for name in MODULES}


def test_every_module_has_a_layer():
    missing = sorted(n for n in MODULES if n != "zennet" and layer(n) is None)
    assert not missing, f"give these modules a layer in tests/test_architecture.py: {missing}"


def test_no_import_points_up_the_layers():
    upward = [
        f"{name} (layer {layer(name)}) imports {target} (layer {layer(target)})"
        for name, targets in GRAPH.items()
        if name != "zennet"  # the public facade re-exports every layer
        for target in targets
        if target == "zennet" or (layer(target) or 0) > (layer(name) or 0)
    ]
    assert not upward, "imports that point up:\n" + "\n".join(sorted(upward))


def find_cycle(graph):
    """One import cycle as a list of modules, or None (iterative depth-first search)."""
    state = {}  # name -> 1 on the current path, 2 done
    for root in graph:
        if root in state:
            continue
        path, stack = [], [(root, iter(sorted(graph[root])))]
        state[root] = 1
        path.append(root)
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                path.pop()
                state[node] = 2
            elif state.get(child) == 1:
                return path[path.index(child) :] + [child]
            elif child not in state and child in graph:
                state[child] = 1
                path.append(child)
                stack.append((child, iter(sorted(graph[child]))))
    return None


def test_there_are_no_import_cycles():
    graph = {n: t for n, t in GRAPH.items() if n != "zennet"}
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


@pytest.mark.parametrize(
    "graph, has_cycle",
    [({"a": {"b"}, "b": {"c"}, "c": set()}, False), ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, True)],
)
def test_the_cycle_finder_finds_cycles(graph, has_cycle):
    assert (find_cycle(graph) is not None) == has_cycle


def test_the_resolver_sees_lazy_and_package_imports():
    assert "zennet.functional" in GRAPH["zennet.nn.linear"]  # from zennet import functional
    assert layer("zennet.nn.linear") == 3 and layer("zennet.ops.conv") == 1
