"""Training utilities: ``nn.utils.clip_grad_norm_`` and ``nn.utils.clip_grad_value_``."""

from zennet.nn.utils.clip_grad import clip_grad_norm_, clip_grad_value_, get_total_norm
