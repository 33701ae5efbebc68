"""Enrichment stages: context added to parsed events before detection (asset register, zones)."""
