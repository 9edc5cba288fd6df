"""The ``flip`` command line: the one composition root of the project.

It may import every package (flip_core, harness_tasks, the store, the leaderboard), but only
lazily inside the subcommand that needs it, so that ``flip score`` never pays for Gradio or
SQLAlchemy start-up.
"""
