"""Sub-commands of ``soc``: each module has ``register(subparsers)`` setting ``func``."""
