"""Embedding lookup: rows of a weight matrix picked by integer indices."""

from zennet.autograd import Function


class Embedding(Function):
    """y = W[indices]   |   dW[i] = Σ over the positions where indices == i of dy

    W (num_embeddings, dim), indices (*) of ints -> y (*, dim). The backward scatters
    each row of dy onto the row it came from with ``add.at`` (an index used twice gets
    both gradients). The ``padding_idx`` row gets no gradient, as in PyTorch. With
    ``scale_grad_by_freq``, dW[i] is divided by the number of times i occurs in indices.
    """

    def forward(self, weight, indices, padding_idx=None, scale_grad_by_freq=False):
        self.indices, self.padding_idx, self.shape = indices, padding_idx, weight.shape
        self.scale_grad_by_freq = scale_grad_by_freq
        return weight[indices]  # (*, dim)

    def backward(self, dy):
        xp = self.xp
        dw = xp.zeros(self.shape, dtype=dy.dtype)  # (num_embeddings, dim)
        flat = self.indices.reshape(-1)
        xp.add.at(dw, flat, dy.reshape(-1, self.shape[1]))
        if self.scale_grad_by_freq:
            counts = xp.bincount(flat, minlength=self.shape[0])  # (num_embeddings,)
            dw /= xp.maximum(counts, 1).astype(dw.dtype)[:, None]
        if self.padding_idx is not None:
            dw[self.padding_idx] = 0
        return dw
