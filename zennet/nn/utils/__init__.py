"""Training utilities: ``nn.utils.clip_grad_norm_`` / ``clip_grad_value_``, parameter
vectors, packed sequences (``nn.utils.rnn``), ``weight_norm`` and ``spectral_norm``."""

from zennet.nn.utils.clip_grad import clip_grad_norm_, clip_grad_value_, get_total_norm
from zennet.nn.utils import rnn
from zennet.nn.utils.convert_parameters import parameters_to_vector, vector_to_parameters
from zennet.nn.utils.spectral_norm import remove_spectral_norm, spectral_norm
from zennet.nn.utils.weight_norm import remove_weight_norm, weight_norm
from zennet.nn.utils import parametrize, parametrizations
