"""Ingest and platform figures."""
