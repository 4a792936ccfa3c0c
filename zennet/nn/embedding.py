"""Embedding: a lookup table of learned vectors, one row per token id."""

import numpy as np

from zennet.creation import empty
from zennet.functional.nn import lookup, padding_index
from zennet.nn import init
from zennet.nn.module import Module, Parameter
from zennet.tensor import Tensor


class Embedding(Module):
    """Integer ids (*) -> vectors (*, embedding_dim): y = weight[ids].

    weight (num_embeddings, embedding_dim) ~ N(0, 1), as in PyTorch. With ``padding_idx``
    that row starts at zero and gets no gradient, so padding tokens stay the zero vector.
    Looking up a row is the same as multiplying a one-hot vector by weight, without
    building the one-hot matrix. ``max_norm`` rescales looked-up rows in place,
    ``scale_grad_by_freq`` divides a row's gradient by its count in the batch (see
    F.embedding); with ``sparse=True`` the gradient is still dense (zero in the rows not
    looked up): optim.SparseAdam then updates only the looked-up rows, as PyTorch's does.
    """

    def __init__(
        self,
        num_embeddings,
        embedding_dim,
        padding_idx=None,
        max_norm=None,
        norm_type=2.0,
        scale_grad_by_freq=False,
        sparse=False,
        _weight=None,
        _freeze=False,
        device=None,
        dtype=None,
    ):
        super().__init__()
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        for name, n in (("num_embeddings", num_embeddings), ("embedding_dim", embedding_dim)):
            if not isinstance(n, (int, np.integer)) or n <= 0:
                raise ValueError(f"Embedding: {name} must be a positive int, got {n!r}.")
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)
        if padding_idx is not None:
            padding_idx = padding_index("Embedding", padding_idx, self.num_embeddings)
        self.padding_idx = padding_idx
        shape = (self.num_embeddings, self.embedding_dim)
        if _weight is None:
            self.weight = Parameter(empty(shape, device=device, dtype=dtype))
            self.reset_parameters()
        else:
            self.weight = Parameter(_weight, requires_grad=not _freeze)
            if self.weight.shape != shape:
                raise ValueError(
                    f"Embedding: _weight has shape {self.weight.shape}; expected {shape}."
                )

    @classmethod
    def from_pretrained(
        cls,
        embeddings,
        freeze=True,
        padding_idx=None,
        max_norm=None,
        norm_type=2.0,
        scale_grad_by_freq=False,
        sparse=False,
    ):
        """An Embedding holding ``embeddings`` (num_embeddings, dim); frozen by default."""
        data = embeddings.data if isinstance(embeddings, Tensor) else np.asarray(embeddings)
        if data.ndim != 2:
            raise ValueError(
                f"Embedding.from_pretrained: embeddings must be 2-D (num_embeddings, dim), "
                f"got shape {data.shape}."
            )
        options = dict(max_norm=max_norm, norm_type=norm_type, sparse=sparse)
        module = cls(
            *data.shape,
            padding_idx=padding_idx,
            scale_grad_by_freq=scale_grad_by_freq,
            _weight=data.copy(),
            **options,
        )
        module.weight.requires_grad_(not freeze)
        return module

    def reset_parameters(self):
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight.data[self.padding_idx] = 0

    def forward(self, indices):
        name = (
            f"Embedding(num_embeddings={self.num_embeddings}, embedding_dim={self.embedding_dim})"
        )
        options = (self.max_norm, self.norm_type, self.scale_grad_by_freq)
        return lookup(name, indices, self.weight, self.padding_idx, *options)

    def extra_repr(self):
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            text += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            text += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq:
            text += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        if self.sparse:
            text += ", sparse=True"
        return text
