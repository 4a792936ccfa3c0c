"""Transfer learning: reuse a trained network on a new task with little data.

The primer's answer to data hunger: features learned on a large data set (edges, strokes,
textures) are kept, and only what is specific to the new task is learned again.

- ``freeze`` / ``unfreeze``: stop (or resume) learning in a whole module or in the
  parameters whose names match a glob pattern ("features.*", "0.*"). A frozen parameter
  has ``requires_grad=False``, so backward gives it no gradient and optimizers skip it.
  Batch norm layers in the frozen part are also put in eval mode for good (their
  ``frozen`` flag, which ``train()`` respects): they normalise with the running
  statistics of the original data and do not move them.
- ``replace_head``: a new, freshly initialised last Linear for ``num_classes`` outputs.
- ``param_groups``: optimizer parameter groups with one learning rate per pattern, for
  discriminative fine-tuning (small steps for early, general layers; larger ones for late,
  task-specific layers).
- ``shrink_weights``: make the pretrained weights that feed a batch norm small again
  without changing the outputs, so fine-tuning can move them (used by
  examples/transfer_digits.py and examples/faces.py; docs/transfer.md measured why).

>>> model = zn.pretrained.fashion_cnn()
>>> nn.replace_head(model, 10)
>>> nn.freeze(model, "features.[0-3].*")          # block 1 fixed
>>> groups = nn.param_groups(model, {"features.*": 1e-4}, default_lr=1e-3)
>>> optimizer = zn.optim.Adam(groups)
"""

import math
from fnmatch import fnmatchcase

import numpy as np

from zennet.nn.containers import Sequential
from zennet.nn.conv import Conv1d, Conv2d
from zennet.nn.linear import Linear
from zennet.nn.norm import BatchNorm1d, BatchNorm2d

BATCH_NORMS = (BatchNorm1d, BatchNorm2d)


def _patterns(pattern):
    return [pattern] if isinstance(pattern, str) else list(pattern)


def _matches(name, patterns):
    return any(fnmatchcase(name, p) for p in patterns)


def _set_frozen(module, pattern, frozen, who):
    """requires_grad = not frozen for the matched parameters; the matched batch norms'
    ``frozen`` flag follows. A batch norm is matched when the pattern matches one of its
    state-dict keys (parameters or running statistics), so "features.*" takes them all."""
    if pattern is None:
        params = list(module.parameters())
        norms = [m for m in module.modules() if isinstance(m, BATCH_NORMS)]
    else:
        patterns = _patterns(pattern)
        params = [p for n, p in module.named_parameters() if _matches(n, patterns)]
        norms = [
            m
            for prefix, m in module.named_modules()
            if isinstance(m, BATCH_NORMS)
            and any(_matches(f"{prefix}.{key}", patterns) for key in m.state_dict())
        ]
        if not params and not norms:
            names = [n for n, _ in module.named_parameters()]
            shown = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
            raise ValueError(
                f"{who}: pattern {pattern!r} matches no parameter of "
                f"{type(module).__name__}; its parameters are named {shown}. Patterns are "
                f"globs on these names, e.g. 'features.*' or '0.*'."
            )
    for p in params:
        p.requires_grad_(not frozen)
        if frozen:
            p.grad = None  # a stale gradient would still be applied by an optimizer
    for m in norms:
        m.frozen = frozen
    return module


def freeze(module, pattern=None):
    """Stop learning in ``module`` (all of it) or in its parameters matching ``pattern``.

    ``pattern`` is an fnmatch glob (or a list of them) on ``named_parameters()`` names:
    ``"features.*"``, ``"0.*"``, ``"*.bias"``. Matched parameters get
    ``requires_grad=False`` and lose their gradient; matched batch norm layers stay in
    eval mode, even under ``model.train()``. Returns ``module``.
    """
    return _set_frozen(module, pattern, True, "freeze")


def unfreeze(module, pattern=None):
    """Undo :func:`freeze` for ``module`` or the parameters matching ``pattern``: they
    learn again, and their batch norms follow ``train()``/``eval()`` again."""
    return _set_frozen(module, pattern, False, "unfreeze")


def replace_head(model, num_classes, bias=True):
    """Swap the last Linear of a Sequential model (searched depth first, also inside nested
    Sequentials) for a new ``Linear(in_features, num_classes)``; returns ``model``.

    The new layer is initialised from zennet's generator and is not frozen.
    """
    if not isinstance(num_classes, int) or num_classes <= 0:
        raise ValueError(f"replace_head: num_classes must be a positive int, got {num_classes!r}.")
    if not isinstance(model, Sequential):
        raise ValueError(
            f"replace_head works on Sequential models, got {type(model).__name__}; assign "
            f"the new layer yourself: model.fc = nn.Linear(model.fc.in_features, n)."
        )
    found = _last_linear(model)
    if found is None:
        raise ValueError(
            "replace_head: the model has no Linear layer to replace; append one with "
            "model.append(nn.Linear(features, num_classes))."
        )
    parent, key = found
    old = parent._modules[key]
    parent.add_module(key, Linear(old.in_features, num_classes, bias=bias))
    return model


def _last_linear(seq):
    """(parent Sequential, key) of the last Linear inside ``seq``, or None."""
    for key in reversed(list(seq._modules)):
        child = seq._modules[key]
        if isinstance(child, Linear):
            return seq, key
        if isinstance(child, Sequential):
            found = _last_linear(child)
            if found is not None:
                return found
    return None


def param_groups(model, lrs, default_lr=None, trainable_only=False):
    """Optimizer parameter groups with a learning rate per name pattern.

    ``lrs`` maps fnmatch globs on ``named_parameters()`` names to learning rates, e.g.
    ``{"features.[0-3].*": 1e-4, "features.*": 3e-4}``; each parameter joins the group of
    the FIRST pattern it matches (dict order), the rest join a last group with
    ``default_lr`` (left out when ``default_lr`` is None). Empty groups are dropped; each
    group carries its ``"pattern"`` for reading back. With ``trainable_only`` frozen
    parameters are left out (otherwise they stay in, so unfreezing them later works).

    >>> optimizer = zn.optim.SGD(nn.param_groups(model, {"0.*": 0.01}, 0.1), lr=0.1)
    """
    if not isinstance(lrs, dict):
        raise ValueError(
            f"param_groups: lrs must be a dict {{pattern: lr}}, got {type(lrs).__name__}."
        )
    buckets = {pattern: [] for pattern in lrs}
    rest = []
    for name, p in model.named_parameters():
        if trainable_only and not p.requires_grad:
            continue
        pattern = next((q for q in lrs if fnmatchcase(name, q)), None)
        (rest if pattern is None else buckets[pattern]).append(p)
    groups = [
        {"params": params, "lr": lrs[pattern], "pattern": pattern}
        for pattern, params in buckets.items()
        if params
    ]
    if default_lr is not None and rest:
        groups.append({"params": rest, "lr": default_lr, "pattern": "*"})
    if not groups:
        raise ValueError(
            f"param_groups: no parameter of {type(model).__name__} matches {list(lrs)} and "
            f"default_lr is None; give default_lr or patterns that match its parameter names."
        )
    return groups


def shrink_weights(model, ratio=0.1):
    """Scale every Conv or Linear that feeds a batch norm down to ``ratio`` times the size
    of a fresh layer, leaving the model's outputs unchanged; returns ``model``.

    Why: a batch norm undoes any scale of its input, so the layer before it computes the
    same whatever the size of its weights, but Adam moves each weight by about lr per step
    whatever its size. Training grows weights (the shipped Fashion-MNIST CNN's are 1.2-2.9
    times their initial size), and large weights turn slowly: fine-tuned at the rate that
    trains a fresh network, they barely adapt. Shrinking them keeps what was learned and
    makes it movable again (the "shrink" of Ash & Adams' shrink-and-perturb, 2020, made
    exact here by the batch norm). docs/transfer.md has the measurements.

    For each pair (Conv or Linear, then a batch norm) found next to each other in a
    Sequential, with c = ``ratio`` · r0 / rms(weight), where r0 = 1/√(3·fan_in) is the
    root mean square of the layer's default initialisation: weight and bias are multiplied
    by c, the batch norm's running mean by c, its running variance and its eps by c². The
    outputs stay the same, in training and in eval mode. Call it before building the
    optimizer.

    eps is not in the state dict (as in PyTorch): a fine-tuned state dict loaded into a
    fresh model runs with the default eps. After fine-tuning the weights have grown back
    and the difference is small (20 epochs on 50 digits per class: the test split's
    logits moved by at most 0.07, no prediction changed), but not zero.
    """
    if not ratio > 0:
        raise ValueError(f"shrink_weights: ratio must be positive, got {ratio!r}.")
    pairs = [
        (layer, norm)
        for seq in model.modules()
        if isinstance(seq, Sequential)
        for layer, norm in zip(list(seq), list(seq)[1:])
        if isinstance(layer, (Conv1d, Conv2d, Linear))
        and isinstance(norm, (BatchNorm1d, BatchNorm2d))
    ]
    if not pairs:
        raise ValueError(
            f"shrink_weights: {type(model).__name__} has no Conv or Linear followed by a "
            f"batch norm in a Sequential; elsewhere a smaller weight would change the "
            f"model's outputs, so nothing is shrunk."
        )
    for layer, norm in pairs:
        w = layer.weight.data
        fan_in = w[0].size  # in_features · kernel size of a (out, in, *kernel) weight
        rms = float(np.sqrt(np.mean(np.square(w, dtype=np.float64))))
        if rms == 0:  # all zeros: nothing to shrink
            continue
        c = ratio / math.sqrt(3 * fan_in) / rms
        w *= c
        if layer.bias is not None:
            layer.bias.data *= c
        if norm.track_running_stats:
            norm.running_mean.data *= c
            norm.running_var.data *= c * c
        norm.eps *= c * c
    return model
