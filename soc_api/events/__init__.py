"""Event search."""
