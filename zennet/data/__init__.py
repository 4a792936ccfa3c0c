"""Datasets and mini-batch loading: ``zn.data.TensorDataset``, ``zn.data.DataLoader``,
samplers and data-set combinators (also at PyTorch's path, ``zennet.utils.data``)."""

from zennet.data.dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    Subset,
    TensorDataset,
    random_split,
)
from zennet.data.loader import DataLoader, default_collate, default_convert
from zennet.data.sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)
