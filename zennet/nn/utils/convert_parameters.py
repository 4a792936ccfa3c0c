"""parameters_to_vector and vector_to_parameters, as torch.nn.utils."""

from zennet.functional._util import as_tensor
from zennet.functional.shape import cat, reshape


def parameters_to_vector(parameters):
    """Every parameter flattened and concatenated into one 1-D tensor (differentiable)."""
    return cat([reshape(p, (-1,)) for p in parameters], 0)


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of the 1-D ``vec`` into ``parameters`` (in place)."""
    vec = as_tensor(vec)
    if vec.ndim != 1:
        raise TypeError(f"vector_to_parameters: expected a 1-D vector, got shape {vec.shape}.")
    parameters = list(parameters)
    total = sum(p.numel() for p in parameters)
    if total != vec.shape[0]:
        raise ValueError(
            f"vector_to_parameters: the vector has {vec.shape[0]} elements, the parameters {total}."
        )
    offset = 0
    for p in parameters:
        n = p.numel()
        p.data[...] = vec.data[offset : offset + n].reshape(p.shape)
        offset += n
