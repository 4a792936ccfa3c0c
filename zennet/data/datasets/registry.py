"""The data-set names of ``zennet train --data NAME``: each loader's file registers itself here
(``DATASETS.register("digits", load_digits, "...")``) with a one-line description for --help.

A registered loader takes ``flat`` (True: inputs (N, D); False: images (N, C, H, W)) and
returns ``((x_train, y_train), (x_test, y_test))``.
"""

from zennet.registry import Registry

DATASETS = Registry("data set")
