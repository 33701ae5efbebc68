"""HTTP API, web console and the ``soc`` command."""
