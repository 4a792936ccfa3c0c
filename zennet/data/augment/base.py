"""The augmentation contract and the transforms that combine others.

An augmentation is any callable ``aug(x, y, rng) -> (x, y)`` on a NumPy batch:

- ``x``: the inputs, batch first: images ``(N, C, H, W)`` or ``(N, H, W)``, sequences or
  audio ``(N, T)`` / ``(N, C, T)``, spectrograms ``(N, F, T)``; floating point (float32
  stays float32, float64 stays float64).
- ``y``: the labels, ``(N,)`` int64 class indices or ``(N, K)`` soft labels, or ``None``.
- ``rng``: a ``numpy.random.Generator``, the ONLY source of randomness a transform uses.
  Left out, a transform draws from ``zennet.random.get_rng()`` (seeded by
  ``zn.manual_seed``); a ``Compose(..., seed=s)`` draws from its own generator.

Transforms never write into the arrays they are given (a loader may hand over views of the
dataset) and are vectorized over the batch: per-sample random parameters are drawn as arrays.
"""

import numbers

import numpy as np

from zennet.random import get_rng


class Augmentation:
    """Base class: ``__call__`` validates the batch, picks the generator and calls ``apply``.

    Subclasses implement ``apply(self, x, y, rng) -> (x, y)`` on a floating ``x`` and return
    new arrays (never ``x`` modified in place).
    """

    def __call__(self, x, y=None, rng=None):
        x = check_batch(x, type(self).__name__)
        if y is not None:
            y = np.asarray(y)
            if y.ndim == 0 or y.shape[0] != x.shape[0]:
                raise ValueError(
                    f"{type(self).__name__}: labels of shape {y.shape} do not match a batch of "
                    f"{x.shape[0]} inputs; expected (N,) class indices or (N, K) soft labels."
                )
        return self.apply(x, y, get_rng() if rng is None else rng)

    def apply(self, x, y, rng):
        raise NotImplementedError

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({args})"


def check_batch(x, name, ndims=None):
    """``x`` as a floating ndarray with a batch axis, or a ValueError/TypeError naming ``name``."""
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(
            f"{name}: expected a floating-point batch, got dtype {x.dtype}. "
            "Convert it first, e.g. x.astype(np.float32) / 255."
        )
    if x.ndim < 2 or (ndims is not None and x.ndim not in ndims):
        expected = "a batch with ndim >= 2" if ndims is None else f"ndim in {tuple(ndims)}"
        raise ValueError(f"{name}: got input of shape {x.shape}; expected {expected}.")
    return x


class Compose(Augmentation):
    """Apply ``transforms`` in order: ``Compose([a, b])(x, y, rng) == b(*a(x, y, rng), rng)``.

    ``seed`` gives the Compose its own ``np.random.default_rng(seed)``, so ``aug(x, y)``
    alone is repeatable; a generator passed to the call still takes precedence.
    """

    def __init__(self, transforms, seed=None):
        self.transforms = list(transforms)
        for t in self.transforms:
            if not callable(t):
                raise TypeError(f"Compose: every transform must be callable, got {t!r}.")
        self.seed = seed
        self._rng = None if seed is None else np.random.default_rng(seed)

    def __call__(self, x, y=None, rng=None):
        return super().__call__(x, y, self._rng if rng is None else rng)

    def apply(self, x, y, rng):
        for t in self.transforms:
            x, y = t(x, y, rng)
        return x, y

    def __len__(self):
        return len(self.transforms)

    def __repr__(self):
        inner = "".join(f"\n    {t!r}," for t in self.transforms)
        seed = "" if self.seed is None else f", seed={self.seed}"
        return f"Compose([{inner}\n]{seed})" if inner else f"Compose([]{seed})"


class RandomChoice(Augmentation):
    """Each sample goes through ONE of ``transforms``, picked with probabilities ``p``.

    Samples are grouped by their pick and each transform runs once on its group, so the cost
    is one vectorized call per transform, not per sample. ``None`` in ``transforms`` is the
    identity. The transforms must keep the sample shape.
    """

    def __init__(self, transforms, p=None):
        self.transforms = list(transforms)
        if not self.transforms:
            raise ValueError("RandomChoice: expected at least one transform, got none.")
        if p is not None:
            p = np.asarray(p, dtype=np.float64)
            if p.shape != (len(self.transforms),) or (p < 0).any() or not np.isclose(p.sum(), 1):
                raise ValueError(
                    f"RandomChoice: p={p.tolist()} must be {len(self.transforms)} "
                    "non-negative probabilities that sum to 1."
                )
            p = p.tolist()
        self.p = self._probs = p

    def apply(self, x, y, rng):
        choice = rng.choice(len(self.transforms), size=x.shape[0], p=self._probs)  # (N,)
        groups = [(t, np.flatnonzero(choice == k)) for k, t in enumerate(self.transforms)]
        return scatter_groups(x, y, [(t, idx) for t, idx in groups if t is not None], rng)


class RandomApply(RandomChoice):
    """Apply ``transform`` to each sample with probability ``p`` (others pass unchanged)."""

    def __init__(self, transform, p=0.5):
        check_probability("RandomApply", "p", p)
        super().__init__([transform, None], p=[p, 1.0 - p])
        self.transform, self.p = transform, p

    def __repr__(self):
        return f"RandomApply({self.transform!r}, p={self.p})"


def scatter_groups(x, y, groups, rng):
    """Run each ``(transform, indices)`` on ``x[indices]`` and write the results back.

    Int labels become soft labels when a transform (mixup, cutmix) returns soft ones.
    """
    out_x = x.copy()
    out_y = None if y is None else y.copy()
    for t, idx in groups:
        if idx.size == 0:
            continue
        sub_x, sub_y = t(x[idx], None if y is None else y[idx], rng)
        if sub_x.shape[1:] != x.shape[1:]:
            raise ValueError(
                f"RandomApply/RandomChoice: {t!r} changed the sample shape from "
                f"{x.shape[1:]} to {sub_x.shape[1:]}; only shape-keeping transforms can be "
                "applied to part of a batch."
            )
        out_x[idx] = sub_x
        if sub_y is not None:
            if out_y.ndim == 1 and sub_y.ndim == 2:  # mixing made soft labels: all go soft
                out_y = one_hot(out_y, sub_y.shape[1], sub_y.dtype, type(t).__name__)
            elif out_y.ndim == 2 and sub_y.ndim == 1:
                sub_y = one_hot(sub_y, out_y.shape[1], out_y.dtype, type(t).__name__)
            out_y[idx] = sub_y
    return out_x, out_y


class AsImages(Augmentation):
    """Run image ``transform`` on flat samples: ``(N, D)`` -> ``(N, *shape)`` -> back to ``(N, D)``.

    For models that take flattened images, e.g. ``AsImages((1, 8, 8), RandomRotation(10))``
    on the ``(N, 64)`` digits.
    """

    def __init__(self, shape, transform):
        self.shape, self.transform = tuple(int(s) for s in shape), transform

    def apply(self, x, y, rng):
        if int(np.prod(x.shape[1:])) != int(np.prod(self.shape)):
            raise ValueError(
                f"AsImages{self.shape}: got input of shape {x.shape}, whose samples do not hold "
                f"{int(np.prod(self.shape))} values; pass the image shape of one sample."
            )
        images, y = self.transform(x.reshape((x.shape[0], *self.shape)), y, rng)
        return images.reshape(x.shape), y


def one_hot(y, num_classes, dtype, name):
    """Class indices ``(N,)`` -> one-hot rows ``(N, num_classes)`` of ``dtype``."""
    y = np.asarray(y)
    if not np.issubdtype(y.dtype, np.integer) or y.ndim != 1:
        raise ValueError(
            f"{name}: expected (N,) integer class indices or (N, K) soft labels, "
            f"got {y.dtype} labels of shape {y.shape}."
        )
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(
            f"{name}: labels must lie in [0, {num_classes}), got values in "
            f"[{y.min()}, {y.max()}]; check num_classes."
        )
    out = np.zeros((y.shape[0], num_classes), dtype=dtype)
    out[np.arange(y.shape[0]), y] = 1
    return out


def check_probability(name, arg, p):
    """Raise a ValueError unless ``0 <= p <= 1``."""
    if not isinstance(p, numbers.Real) or not 0.0 <= p <= 1.0:
        raise ValueError(f"{name}: {arg}={p!r} must be a probability in [0, 1].")


def check_non_negative(name, arg, value):
    """Raise a ValueError unless ``value`` is a real number >= 0."""
    if not isinstance(value, numbers.Real) or not value >= 0:
        raise ValueError(f"{name}: {arg}={value!r} must be a number >= 0.")


def as_range(name, arg, value, center=0.0):
    """A strength ``v`` -> ``(center - v, center + v)``; a pair ``(lo, hi)`` stays as is."""
    if isinstance(value, numbers.Real):
        check_non_negative(name, arg, value)
        return (center - float(value), center + float(value))
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        lo, hi = 1.0, 0.0  # falls through to the error below
    if not lo <= hi:
        raise ValueError(f"{name}: {arg}={value!r} must be a number >= 0 or a pair (lo, hi).")
    return (lo, hi)


def as_pair(name, arg, value):
    """An int ``v`` -> ``(v, v)``; a pair of non-negative ints stays as is."""
    pair = (value, value) if isinstance(value, numbers.Integral) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, numbers.Integral) and v >= 0 for v in pair):
        raise ValueError(f"{name}: {arg}={value!r} must be an int >= 0 or a pair of them.")
    return (int(pair[0]), int(pair[1]))
