"""等保 2.0 evidence over HTTP: the live control status (gap view) and the one-click evidence pack."""
