"""Archive the cabinet's browser tests look at, made the way an entrance box makes it: runs of segments PUT
over the ingest API, and the box's typed gaps POSTed to it."""

from datetime import datetime, timedelta

import httpx

from cloud_sync.segments import format_time, gaps_path, init_path, segment_path
from tests.portal_archive.media import Media


def upload_recording(portal, media: Media, camera: str, start: datetime, count: int | None = None) -> datetime:
    """One run from ``start``: its init segment, then ``count`` media segments (all by default). Returns its end."""
    run = f"{start:%Y%m%dT%H%M%SZ}-c0ffee"
    auth = {"Authorization": f"Bearer {portal.world.upload_token}"}
    with httpx.Client(base_url=portal.url, timeout=30) as client:
        put = client.put(init_path(camera, run), content=media.init, headers={**auth, "Content-Type": "video/mp4"})
        assert put.status_code in (200, 201), put.text
        t = start
        for seq, body in enumerate(media.segments[:count]):
            headers = {
                **auth,
                "Content-Type": "video/iso.segment",
                "X-Content-SHA256": media.sha(seq),
                "X-Segment-Start": format_time(t),
                "X-Segment-Duration": f"{media.durations[seq]:.3f}",
                "X-Clock-Synced": "1",
            }
            put = client.put(segment_path(camera, run, seq), content=body, headers=headers)
            assert put.status_code == 201, put.text
            t += timedelta(seconds=media.durations[seq])
    return t


def report_gap(portal, camera: str, start: datetime, end: datetime, reason: str) -> None:
    auth = {"Authorization": f"Bearer {portal.world.upload_token}"}
    gap = {"start": format_time(start), "end": format_time(end), "reason": reason}
    answer = httpx.post(f"{portal.url}{gaps_path(camera)}", json={"gaps": [gap]}, headers=auth, timeout=30)
    assert answer.status_code == 200, answer.text
