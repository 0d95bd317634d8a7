"""The demo's past archive (dozor/demo_history.py): uploaded through the ingest API as a box does, it gives the
timeline recorded ranges, a camera outage on one camera and a box outage on both; seeded once only."""

from datetime import UTC, datetime, timedelta

import pytest

from dozor.demo_history import seed_history
from portal.archive.timeline import timeline
from tests.cabinet.conftest import start_portal

UNIT = timedelta(minutes=1)  # the demo uses an hour; the shape is the same


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    running, server, thread = start_portal(tmp_path_factory.mktemp("portal"))
    w = running.world
    work = tmp_path_factory.mktemp("history")
    stored = seed_history(running.url, w.upload_token, [w.shared_a, w.private_a], "ffmpeg", work, UNIT, 6, say=print)
    yield running, stored, work
    server.should_exit = True
    thread.join(timeout=15)


def reasons(portal, camera: str):
    now = datetime.now(UTC)
    with portal.db.session() as session:
        result = timeline(session, camera, now - 4 * UNIT, now)
    return result.ranges, [(g.reason, (g.end - g.start) / UNIT) for g in result.gaps]


def test_the_past_shows_ranges_and_both_outages(seeded) -> None:
    portal, stored, _work = seeded
    w = portal.world
    assert stored >= 40  # about 5 units of 6 s segments over both cameras
    ranges, gaps = reasons(portal, w.shared_a)
    assert len(ranges) == 3
    # The outages of the plan (each a quarter unit, or a little more where a run ended on its last whole
    # segment), then the box off until the live edge; no seam left untyped ("lost") anywhere.
    assert [reason for reason, _ in gaps] == ["camera_unreachable", "box_down", "box_down"], gaps
    assert all(0.25 <= length < 0.4 for _, length in gaps[:2]), gaps
    assert ranges[0][0] <= datetime.now(UTC) - 2.9 * UNIT
    ranges, gaps = reasons(portal, w.private_a)
    assert len(ranges) == 2  # its two first runs are back to back: one range
    assert [reason for reason, _ in gaps] == ["box_down", "box_down"], gaps


def test_seeded_once_per_demo_directory(seeded) -> None:
    portal, _stored, work = seeded
    assert seed_history(portal.url, portal.world.upload_token, [portal.world.shared_a], "ffmpeg", work, UNIT) == 0
