"""The leaderboard's figures: plain-JSON plotly specs (:mod:`.plot_spec`), shared styling
(:mod:`.style`) and one module per figure family (accuracy, cost, length, robustness,
reranking; :mod:`.charts` lists the Charts tab's)."""
