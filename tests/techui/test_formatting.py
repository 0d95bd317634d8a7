"""The technician UI's time filter: the status's UTC instants shown in the box's local time, like unix_time."""

import os
import re
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from edge.techui.formatting import CHECK_TITLES, check_title, instant, unix_time


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


def test_every_hardware_check_has_a_russian_title() -> None:
    """A check added to hw-tests without a title here would show the technician its pytest name."""
    suite = Path(__file__).resolve().parents[2] / "hw-tests"
    names = {m for f in suite.glob("test_hw_*.py") for m in re.findall(r"^def (test_\w+)\(", f.read_text(), re.M)}
    assert len(names) >= 13
    assert names <= set(CHECK_TITLES), sorted(names - set(CHECK_TITLES))
    assert check_title("test_hw_cameras::test_camera_reachable_and_decodable[cam-1]") == (
        "Камера отвечает, её видео декодируется: cam-1"
    )
    assert check_title("test_hw_new::test_something_new") == "test_something_new"
