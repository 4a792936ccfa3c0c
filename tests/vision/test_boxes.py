import numpy as np
import pytest

from zennet.vision import box_iou, match, nms, precision_recall


def test_iou_by_hand():
    a = [[0, 0, 10, 10]]
    b = [[0, 0, 10, 10], [5, 0, 15, 10], [5, 5, 15, 15], [20, 20, 30, 30], [3, 3, 3, 8]]
    # overlaps 100/100, 50/150, 25/175, none, and a box of no area
    np.testing.assert_allclose(box_iou(a, b), [[1, 1 / 3, 25 / 175, 0, 0]])
    assert box_iou(np.zeros((0, 4)), b).shape == (0, 5)


def test_nms_hand_made_case():
    boxes = np.array(
        [
            [10, 10, 50, 50],  # 0: face A, best
            [12, 12, 52, 52],  # 1: A shifted by 2: IoU 0.82 with 0 -> dropped
            [30, 30, 70, 70],  # 2: IoU 0.14 with 0 -> kept
            [100, 100, 140, 140],  # 3: face B
            [104, 100, 144, 140],  # 4: IoU 0.82 with 3, scores higher -> 3 dropped
            [0, 0, 5, 5],  # 5: alone, low score
        ]
    )
    scores = np.array([0.99, 0.95, 0.6, 0.7, 0.8, 0.1])
    assert nms(boxes, scores, iou_threshold=0.3).tolist() == [0, 4, 2, 5]
    assert nms(boxes, scores, iou_threshold=0.9).tolist() == [0, 1, 4, 3, 2, 5]
    assert nms(boxes, scores, iou_threshold=0.1).tolist() == [0, 4, 5]  # 2 touches 0: 0.14
    assert nms(np.zeros((0, 4)), np.zeros(0)).tolist() == []


def test_nms_ties_keep_the_earlier_box():
    boxes = np.array([[0, 0, 10, 10], [1, 0, 11, 10]])
    assert nms(boxes, np.array([0.5, 0.5])).tolist() == [0]


def test_nms_errors():
    with pytest.raises(ValueError, match="nms: 2 boxes but 1 scores"):
        nms(np.zeros((2, 4)), np.zeros(1))


def test_match_and_precision_recall():
    truth = np.array([[0, 0, 10, 10], [20, 0, 30, 10], [40, 0, 50, 10]])
    detections = np.array(
        [
            [0, 0, 10, 10],  # hit truth 0
            [1, 0, 11, 10],  # overlaps truth 0 (0.82), already taken -> false positive
            [22, 0, 32, 10],  # IoU 8/12 = 0.67 with truth 1 -> hit
            [45, 0, 55, 10],  # IoU 5/15 = 0.33 with truth 2 -> false positive
        ]
    )
    scores = np.array([0.9, 0.8, 0.7, 0.6])
    assert match(detections, scores, truth, iou_threshold=0.5) == (2, 2, 1)
    assert match(detections, scores, truth, iou_threshold=0.3) == (3, 1, 0)
    assert match(np.zeros((0, 4)), np.zeros(0), truth) == (0, 0, 3)
    assert match(detections, scores, np.zeros((0, 4))) == (0, 4, 0)
    assert precision_recall(2, 2, 1) == (0.5, 2 / 3)
    assert precision_recall(0, 0, 0) == (0.0, 0.0)
