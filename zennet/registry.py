"""Registry: names for things, kept next to the things they name.

A layer registers what it adds (an optimizer, a loss, a data set, a model preset) in the file
that defines it; the layers above (the jobs, the CLI's choices and help) read the registry::

    OPTIMIZERS = Registry("optimizer")

    @OPTIMIZERS.register("adam", help="Adam: moments of the gradient and of its square")
    class Adam(Optimizer): ...

    OPTIMIZERS.register("sgd", SGD)          # or as a call
    OPTIMIZERS.get("adamm")                  # ValueError: ... did you mean 'adam'?

This module imports nothing from zennet, so any layer may use it.
"""

import difflib


class Registry:
    """An ordered map from names to objects, each with a one-line description."""

    def __init__(self, kind):
        self.kind = kind  # what the names name, for messages: "optimizer", "data set"
        self._entries = {}
        self._help = {}

    def register(self, name, obj=None, help=None):
        """Register ``obj`` under ``name`` and return it; without ``obj``, a decorator.

        ``help`` (default: the first line of ``obj``'s docstring) describes it in one line.
        """
        if not isinstance(name, str) or not name:
            raise TypeError(f"{self.kind} registry: a name must be a non-empty str, got {name!r}.")
        if obj is None:
            return lambda target: self.register(name, target, help)
        if name in self._entries and self._entries[name] is not obj:
            raise ValueError(
                f"{self.kind} registry: {name!r} is already registered (to "
                f"{self._entries[name]!r}); choose another name."
            )
        self._entries[name] = obj
        doc = (getattr(obj, "__doc__", None) or "").strip().splitlines()
        self._help[name] = help if help is not None else (doc[0] if doc else "")
        return obj

    def get(self, name):
        """The object registered as ``name``; a ValueError listing the names if there is none."""
        if name in self._entries:
            return self._entries[name]
        close = difflib.get_close_matches(str(name), self.names(), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(
            f"Unknown {self.kind} {name!r}; choose one of {', '.join(self.names())}.{hint}"
        )

    def help(self, name):
        """The one-line description of ``name``."""
        self.get(name)
        return self._help[name]

    def names(self):
        """The registered names, in the order they were registered."""
        return list(self._entries)

    def describe(self):
        """One line per name: ``name  description`` (for --help)."""
        width = max((len(n) for n in self._entries), default=0)
        return "\n".join(f"{n:<{width}}  {self._help[n]}".rstrip() for n in self._entries)

    def __contains__(self, name):
        return name in self._entries

    def __iter__(self):
        return iter(self._entries)

    def __len__(self):
        return len(self._entries)

    def __repr__(self):
        return f"Registry({self.kind!r}, {self.names()})"
