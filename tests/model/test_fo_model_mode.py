"""``SAM3Model`` refuses an unknown mode instead of silently running concept mode."""

import pytest

import fo_sam3


def test_unknown_mode_is_an_error_listing_the_modes(tiny_model):
    with pytest.raises(ValueError, match="mode must be one of 'concept', 'instance'; got 'instanse'"):
        fo_sam3.load_model(mode="instanse", model=tiny_model)
    assert fo_sam3.load_model(mode="concept", model=tiny_model).mode == "concept"
