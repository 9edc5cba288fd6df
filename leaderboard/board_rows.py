"""The rows of one benchmark's board over the shown domains: the store's model rows, each
FLIP-family row with its gain over the best judge of its model (paired on the store's items),
and the reference rows (chance, the length rules, reported numbers).

One assembly for the app's table and charts (:class:`leaderboard.views.LeaderboardViews`) and
for ``flip report leaderboard``, so the printed table and the served one cannot disagree. No
Gradio here: the report imports it from the command line.
"""

from __future__ import annotations

from collections.abc import Sequence

from flip_core.catalog.variants import CLEAN
from leaderboard.board import BoardRow, model_row, reference_row
from leaderboard.gains import with_gains
from leaderboard.store_reader import StoreReader


def board_rows(
    reader: StoreReader,
    benchmark: str,
    domains: Sequence[str],
    include_limited: bool = False,
    variant: str = CLEAN,
) -> list[BoardRow]:
    """Model rows (with their FLIP gains) and reference rows over ``domains``. Reference rows
    are properties of the items, the same under every variant, so sampled runs get them too."""
    shown = tuple(domains)
    models = reader.leaderboard(benchmark, include_limited, variant)
    rows = with_gains([model_row(r, shown) for r in models], reader.discordant_counts)
    return rows + [reference_row(r, shown) for r in reader.references(benchmark)]
