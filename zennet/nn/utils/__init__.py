"""Training utilities: ``nn.utils.clip_grad_norm_`` and ``nn.utils.clip_grad_value_``."""

from zennet.nn.utils.clip_grad import clip_grad_norm_, clip_grad_value_, get_total_norm
from zennet.nn.utils import rnn
from zennet.nn.utils.convert_parameters import parameters_to_vector, vector_to_parameters
