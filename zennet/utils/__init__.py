"""PyTorch's ``torch.utils`` names: ``zennet.utils.data`` (see zennet/data for the code)."""
