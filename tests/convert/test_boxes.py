import numpy as np

from fo_sam3.convert import boxes as B


def test_rel_xywh_to_xyxy():
    rel = np.array([[0.1, 0.2, 0.3, 0.4], [0.0, 0.0, 1.0, 1.0]])
    xyxy = B.rel_xywh_to_xyxy(rel, 640, 480)
    np.testing.assert_allclose(xyxy, [[64, 96, 256, 288], [0, 0, 640, 480]])


def test_xyxy_to_norm_cxcywh():
    xyxy = np.array([[64, 96, 256, 288]], dtype=float)
    c = B.xyxy_to_norm_cxcywh(xyxy, 640, 480)
    np.testing.assert_allclose(c[0], [0.25, 0.4, 0.3, 0.4])
