"""Motion events in the box's catalogue and their store-and-forward: nothing is marked sent without an ack."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cloud_sync.ingest_client import Outcome
from cloud_sync.motion import MotionReport
from edge.archive.catalogue import Catalogue
from edge.motion.events import MotionLog
from edge.motion.forward import MotionForwarder

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
JPEG = b"\xff\xd8\xff\xe0" + b"x" * 100


class Uplink:
    """The ingest as the box sees it: receipts only while `up`; records what the portal stored."""

    def __init__(self) -> None:
        self.up = False
        self.acked: list[tuple[str, MotionReport]] = []

    def put_motion(self, camera_id: str, motion_id: str, report: MotionReport) -> Outcome:
        if not self.up:
            return Outcome("retry", 0, "ConnectError: connection refused")
        self.acked.append((motion_id, report))
        return Outcome("stored", 201)


def test_events_wait_while_the_uplink_is_down_and_all_go_once_it_is_back(tmp_path: Path) -> None:
    catalogue = Catalogue(tmp_path / "catalogue.sqlite3")
    log = MotionLog(catalogue)
    uplink = Uplink()
    forwarder = MotionForwarder(log, uplink)  # type: ignore[arg-type]
    ids = []
    for i in range(3):
        eid = log.start("cam-1", T0 + timedelta(minutes=i), 3.5, JPEG)
        log.end(eid, T0 + timedelta(minutes=i, seconds=5), 7.0)
        ids.append(eid)
    open_id = log.start("cam-1", T0 + timedelta(minutes=9), 2.0, None)  # still going on

    assert forwarder.send_pending() is False
    assert uplink.acked == [] and len(log.unsent()) == 4

    uplink.up = True
    forwarder.send_pending()
    assert [motion_id for motion_id, _ in uplink.acked] == [*ids, open_id]
    first = uplink.acked[0][1]
    assert first.start == T0 and first.end == T0 + timedelta(seconds=5) and first.peak_area == 7.0
    assert base64.b64decode(first.thumbnail_jpeg_base64 or "") == JPEG
    assert uplink.acked[3][1].end is None
    assert log.unsent() == []  # the open event's end goes when it ends

    log.end(open_id, T0 + timedelta(minutes=9, seconds=3), 2.0)
    uplink.acked.clear()
    forwarder.send_pending()
    assert [(m, r.end) for m, r in uplink.acked] == [(open_id, T0 + timedelta(minutes=9, seconds=3))]
    assert uplink.acked[0][1].thumbnail_jpeg_base64 is None  # the thumbnail went with the start
    catalogue.close()


def test_reopened_catalogue_keeps_unsent_events_and_closes_open_ones(tmp_path: Path) -> None:
    catalogue = Catalogue(tmp_path / "catalogue.sqlite3")
    eid = MotionLog(catalogue).start("cam-1", T0, 1.0, None)
    catalogue.close()
    catalogue = Catalogue(tmp_path / "catalogue.sqlite3")  # the box restarted
    log = MotionLog(catalogue)
    assert log.close_open() == 1
    event = log.get(eid)
    assert event is not None and event.end == T0 and not event.sent_start
    assert [e.id for e in log.unsent()] == [eid]
    assert log.prune(T0 + timedelta(days=30)) == 0  # unsent: kept whatever its age
    log.mark_sent(eid, "start")
    log.mark_sent(eid, "end")
    assert log.prune(T0 + timedelta(days=30)) == 1
    catalogue.close()
