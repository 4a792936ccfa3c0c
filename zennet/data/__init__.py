"""Datasets and mini-batch loading: ``zn.data.TensorDataset``, ``zn.data.DataLoader``."""

from zennet.data.dataset import Dataset, Subset, TensorDataset, random_split
from zennet.data.loader import DataLoader, default_collate
