"""The web console: static files served by the API process (no CDN, works offline)."""
