"""One module per ``flip`` subcommand; each exposes ``register(subparsers)``."""
