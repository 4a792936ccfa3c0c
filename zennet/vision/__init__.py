"""Vision: a face classifier slid over images as a fully convolutional network.

- ``face_cnn``: the small CNN for 25×25 face/non-face crops (zn.datasets.lfw_faces).
- ``fully_convolutional``: a window classifier as an FCN, one forward pass per image.
- ``image_pyramid`` / ``pyramid_scales`` / ``resize``: multi-scale search.
- ``nms``, ``box_iou``, ``match``, ``precision_recall``: boxes and their scoring.
- ``detect``: all of it: boxes and scores; ``draw_boxes`` writes them over the image.
"""

from zennet.vision.boxes import box_iou, match, nms, precision_recall
from zennet.vision.detect import detect, score_map
from zennet.vision.draw import draw_boxes
from zennet.vision.fcn import fully_convolutional, sliding_window_outputs
from zennet.vision.models import WINDOW, face_cnn, load_face_model, save_face_model
from zennet.vision.pyramid import image_pyramid, pyramid_scales, resize
