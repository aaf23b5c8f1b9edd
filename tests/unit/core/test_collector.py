"""The server's collector settings apply while it runs and are all put back when it stops."""

from __future__ import annotations

import gc

from laotie.core.collector import server_collector


def test_collector_settings_are_put_back() -> None:
    before = gc.get_threshold()
    frozen_before = gc.get_freeze_count()
    with server_collector((12_345, 7, 9)):
        assert gc.get_threshold() == (12_345, 7, 9)
        assert gc.get_freeze_count() > frozen_before  # what exists at start-up is out of sight
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
