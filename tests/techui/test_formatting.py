"""The technician UI's time filter: the status's UTC instants shown in the box's local time, like unix_time."""

import os
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from edge.techui.formatting import instant, unix_time


@pytest.fixture
def novokuznetsk(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TZ", "Asia/Novokuznetsk")
    time.tzset()
    yield
    monkeypatch.delenv("TZ")
    time.tzset()


def test_instant_shows_utc_strings_and_datetimes_in_the_boxs_zone(novokuznetsk) -> None:
    assert os.environ["TZ"] == "Asia/Novokuznetsk"  # UTC+7
    assert instant("2026-12-04T18:29:28.629Z") == "05.12.2026 01:29:28"
    assert instant("2026-12-04T18:29:28.966159+00:00") == "05.12.2026 01:29:28"
    assert instant(datetime(2026, 12, 4, 18, 29, 28, tzinfo=UTC)) == "05.12.2026 01:29:28"
    assert instant(datetime(2026, 12, 4, 20, 29, 28, tzinfo=timezone(timedelta(hours=2)))) == "05.12.2026 01:29:28"
    assert instant(datetime(2026, 12, 4, 18, 29, 28)) == "05.12.2026 01:29:28"  # naive = UTC, as the box stores
    assert instant("2026-12-04T18:29:28Z") == unix_time(datetime(2026, 12, 4, 18, 29, 28, tzinfo=UTC).timestamp())


def test_instant_leaves_what_is_not_a_time() -> None:
    assert instant(None) == "—"
    assert instant("") == "—"
    assert instant("вчера") == "вчера"
    assert instant(12) == "—"
