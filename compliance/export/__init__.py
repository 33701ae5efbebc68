"""Evidence-pack writers."""
