"""The results store: every evaluation, losslessly, in one database the leaderboard reads.

SQLAlchemy over SQLite by default (``results/flip.db``), any SQLAlchemy URL otherwise
(PostgreSQL for a shared host). Built from the raw lm-eval output under ``results/raw/`` by
``flip ingest``, which re-scores every raw output with flip_core; never tracked by git.
"""
