"""Speed of zennet against PyTorch on one machine, in one run: ``python -m benchmarks``."""
