"""Embedding lookup: rows of a weight matrix picked by integer indices."""

from zennet.autograd import Function


class Embedding(Function):
    """y = W[indices]   |   dW[i] = Σ over the positions where indices == i of dy

    W (num_embeddings, dim), indices (*) of ints -> y (*, dim). The backward scatters
    each row of dy onto the row it came from with ``add.at`` (an index used twice gets
    both gradients). The ``padding_idx`` row gets no gradient, as in PyTorch.
    """

    def forward(self, weight, indices, padding_idx=None):
        self.indices, self.padding_idx, self.shape = indices, padding_idx, weight.shape
        return weight[indices]  # (*, dim)

    def backward(self, dy):
        xp = self.xp
        dw = xp.zeros(self.shape, dtype=dy.dtype)  # (num_embeddings, dim)
        xp.add.at(dw, self.indices.reshape(-1), dy.reshape(-1, self.shape[1]))
        if self.padding_idx is not None:
            dw[self.padding_idx] = 0
        return dw
