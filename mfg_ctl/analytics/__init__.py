"""Yield analytics over recorded runs of units (and, as they land, SPC trends)."""
