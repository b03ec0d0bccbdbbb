"""``convert.upsampling``: the bilinear geometry ``crop_masks`` relies on, against PyTorch."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from fo_sam3.convert.upsampling import axis, blend_tables, source_index

SIZES = [(1920, 288), (1080, 288), (1281, 288), (640, 288), (200, 288), (37, 64), (500, 64), (3, 7)]


@pytest.mark.parametrize("out_size,in_size", SIZES)
def test_source_index_blends_like_interpolate(out_size, in_size):
    """Blending each output's two taps with its weight gives ``F.interpolate`` (bilinear,
    ``align_corners=False``) along one axis, up to float rounding."""
    line = torch.randn(in_size, generator=torch.Generator().manual_seed(out_size))
    i0, i1, w = source_index(out_size, in_size, "cpu")
    ours = line[i0] * (1 - w) + line[i1] * w
    ref = F.interpolate(line[None, None, :, None], size=(out_size, 1), mode="bilinear", align_corners=False)
    torch.testing.assert_close(ours, ref[0, 0, :, 0], rtol=1e-4, atol=1e-4)  # PyTorch rounds its weights apart


@pytest.mark.parametrize("out_size,in_size", SIZES)
def test_blend_tables_list_every_output_of_a_line(out_size, in_size):
    """Column L of the full tables holds exactly the outputs whose first tap is line L, with
    their weights; the main tables hold them too, except on lines flagged wide (more outputs
    than most lines, at the map's edge)."""
    ax = axis(out_size, in_size)
    tables = blend_tables(ax, torch.device("cpu"))
    full_index, full_w, full_w1 = (t.numpy() for t in tables.full)
    main_index = tables.main[0].numpy()
    wide = np.zeros(in_size, bool) if tables.wide is None else tables.wide.numpy()
    for line in range(in_size):
        outputs = set(np.flatnonzero(ax.i0 == line).tolist())
        if outputs:
            assert set(full_index[:, line].tolist()) == outputs, line
            assert (set(main_index[:, line].tolist()) == outputs) != bool(wide[line]), line
        np.testing.assert_array_equal(full_w[:, line], ax.weight[full_index[:, line]])
        np.testing.assert_array_equal(full_w1[:, line], (1 - torch.as_tensor(full_w[:, line])).numpy())
    assert wide.sum() <= 1  # only the first line gathers the clamped outputs


@pytest.mark.parametrize("out_size,in_size", SIZES)
def test_windows_cover_every_tap_of_their_extents(out_size, in_size):
    """A window holds both taps of every output of its extent; a window line is marked used
    exactly when some output of the extent has it as first tap."""
    ax = axis(out_size, in_size)
    rng = np.random.default_rng(out_size + in_size)
    start = rng.integers(0, out_size, 6)
    count = np.maximum(1, (rng.integers(1, out_size + 1, 6) - start).clip(1, None))
    count = np.minimum(count, out_size - start)
    win = ax.windows(start, count)
    for k in range(len(start)):
        outs = np.arange(start[k], start[k] + count[k])
        first_taps = ax.i0[outs]
        lines = win.at[k] + win.index[k, : count[k]]
        np.testing.assert_array_equal(lines, first_taps)
        assert 0 <= win.at[k] and win.at[k] + win.size <= in_size
        assert (np.minimum(first_taps + 1, in_size - 1) < win.at[k] + win.size + (win.at[k] + win.size == in_size)).all()
        used = np.isin(win.at[k] + np.arange(win.size), first_taps)
        np.testing.assert_array_equal(win.used[k], used)
        assert (win.index[k, count[k] :] == win.size).all()  # past the extent: the zero line
