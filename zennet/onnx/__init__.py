"""Export to ONNX (optional extra: ``pip install zennet[onnx]``): ``zn.onnx.export``.

Importing this package does not import onnx; only ``export`` does.
"""

from zennet.onnx.export import export
