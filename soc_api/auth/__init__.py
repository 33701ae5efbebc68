"""Authentication and the role matrix."""
