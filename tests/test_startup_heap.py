"""freeze_startup_heap: what is alive at start leaves the collector; later garbage does not."""

from __future__ import annotations

import gc
import weakref

from leaderboard.startup_heap import freeze_startup_heap


class Node:
    """A reference cycle: only the cyclic collector can free it."""

    def __init__(self) -> None:
        self.itself = self


def test_startup_objects_are_frozen_and_later_cycles_are_still_collected():
    try:
        frozen = freeze_startup_heap()
        assert frozen == gc.get_freeze_count() > 1000  # the imported libraries at least
        later = Node()
        gone = weakref.ref(later)
        del later
        gc.collect()
        assert gone() is None
    finally:
        gc.unfreeze()  # the rest of the test session collects as usual
