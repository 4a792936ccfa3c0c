"""zennet's version, in a module of its own so that any layer can read it without importing
the whole package (``zennet/__init__.py`` re-exports it as ``zennet.__version__``)."""

__version__ = "0.1.0"
