import numpy as np

from fo_sam3.convert import boxes as B


def test_rel_xywh_xyxy_round_trip():
    rel = np.array([[0.1, 0.2, 0.3, 0.4], [0.0, 0.0, 1.0, 1.0]])
    xyxy = B.rel_xywh_to_xyxy(rel, 640, 480)
    np.testing.assert_allclose(xyxy[0], [64, 96, 256, 288])
    np.testing.assert_allclose(B.xyxy_to_rel_xywh(xyxy, 640, 480), rel)


def test_norm_cxcywh_round_trip_and_values():
    xyxy = np.array([[64, 96, 256, 288]], dtype=float)
    c = B.xyxy_to_norm_cxcywh(xyxy, 640, 480)
    np.testing.assert_allclose(c[0], [0.25, 0.4, 0.3, 0.4])
    np.testing.assert_allclose(B.norm_cxcywh_to_xyxy(c, 640, 480), xyxy)


def test_clip_and_validity():
    b = np.array([[-10, 5, 700, 20], [5, 5, 5, 9], [np.nan, 0, 1, 1], [1, 1, 3, 3]])
    np.testing.assert_allclose(B.clip_xyxy(b[:1], 640, 480)[0], [0, 5, 640, 20])
    assert B.valid_boxes(b).tolist() == [True, False, False, True]
    np.testing.assert_allclose(B.box_area(b[[0, 3]]), [710 * 15, 4])
