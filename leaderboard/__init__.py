"""The Gradio leaderboard: small LMs as FLIP scorers versus judges, and per-example inspection.

It reads the results store only (never the harness), and escapes all model text it shows.
"""
