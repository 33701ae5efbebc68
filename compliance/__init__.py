"""等保 2.0 compliance evidence."""
