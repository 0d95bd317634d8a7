"""The clock is NTP-synchronised (segment times are flagged unsynchronised otherwise)."""

from __future__ import annotations

import pytest

from edge.clock import Clock


def test_clock_synchronised(hw, record_property) -> None:
    synced = Clock().synced()
    assert isinstance(synced, bool)
    record_property("ntp_synced", synced)
    if not synced and hw.mock:
        pytest.skip("mock mode: this host's clock is not NTP-synchronised (adjtimex); on the box this fails")
    assert synced, "clock not synchronised: check the uplink and NTP (timedatectl timesync-status)"
