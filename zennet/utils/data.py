"""``import zennet.utils.data`` in place of ``torch.utils.data``: a re-export of zennet.data
(Dataset, TensorDataset, Subset, random_split, DataLoader, default_collate). The code
lives in zennet/data; this module only gives it PyTorch's path."""

from zennet.data import DataLoader, Dataset, Subset, TensorDataset, default_collate, random_split

__all__ = ["DataLoader", "Dataset", "Subset", "TensorDataset", "default_collate", "random_split"]
