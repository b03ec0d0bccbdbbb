"""Converters: boxes, masks and SAM3 results to FiftyOne labels."""
