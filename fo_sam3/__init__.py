"""fo_sam3."""
