"""Boxes (x0, y0, x1, y1) in pixels: overlap, non-maximum suppression, precision and recall."""

import numpy as np


def box_iou(a, b):
    """(len(a), len(b)) intersection over union of boxes a (N, 4) and b (M, 4):
    IoU = area(a ∩ b) / (area(a) + area(b) − area(a ∩ b)); 0 for boxes of no area."""
    a, b = np.asarray(a, dtype=np.float64).reshape(-1, 4), np.asarray(b, np.float64).reshape(-1, 4)
    top_left = np.maximum(a[:, None, :2], b[None, :, :2])  # (N, M, 2)
    bottom_right = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(bottom_right - top_left, 0, None), axis=2)  # (N, M)
    area_a = np.prod(a[:, 2:] - a[:, :2], axis=1)
    area_b = np.prod(b[:, 2:] - b[:, :2], axis=1)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def nms(boxes, scores, iou_threshold=0.3):
    """Greedy non-maximum suppression: indices of the kept boxes, highest score first.

    Take the best remaining box, drop every remaining box whose IoU with it exceeds
    ``iou_threshold``, repeat (as torchvision.ops.nms; ties keep the earlier box).
    """
    boxes, scores = np.asarray(boxes).reshape(-1, 4), np.asarray(scores).reshape(-1)
    if len(boxes) != len(scores):
        raise ValueError(f"nms: {len(boxes)} boxes but {len(scores)} scores; give one each.")
    order = np.argsort(-scores, kind="stable")
    keep = []
    while len(order):
        best, order = order[0], order[1:]
        keep.append(best)
        order = order[box_iou(boxes[best], boxes[order])[0] <= iou_threshold]
    return np.array(keep, dtype=np.int64)


def match(boxes, scores, truth, iou_threshold=0.5):
    """(true positives, false positives, missed) of detections against ground-truth boxes.

    Detections are taken best score first; each one matches the unmatched true box it
    overlaps most if that IoU is >= ``iou_threshold`` (a true positive), else it is a
    false positive; true boxes left unmatched are missed.
    """
    truth = np.asarray(truth, dtype=np.float64).reshape(-1, 4)
    free = np.ones(len(truth), dtype=bool)
    tp = fp = 0
    for i in np.argsort(-np.asarray(scores), kind="stable"):
        overlap = np.where(free, box_iou(boxes[i], truth)[0], -1.0) if len(truth) else []
        if len(truth) and overlap.max() >= iou_threshold:
            free[overlap.argmax()] = False
            tp += 1
        else:
            fp += 1
    return tp, fp, int(free.sum())


def precision_recall(tp, fp, missed):
    """precision = tp / (tp + fp), recall = tp / (tp + missed); 0 where undefined."""
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + missed) if tp + missed else 0.0
    return precision, recall
