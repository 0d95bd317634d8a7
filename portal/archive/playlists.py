"""HLS playlists (fMP4, EXT-X-MAP) of a camera: live (the newest segments) and archive (any range).

Segment and init URLs carry a signed media token so hls.js and mobile apps can fetch them directly.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from math import ceil
from typing import Protocol

from sqlalchemy.orm import Session

from cloud_sync.segments import format_time
from portal.archive.segments import LIVE_WINDOW, SegmentRef, newest_segments, segments_in_range

__all__ = ["LIVE_WINDOW", "MediaUrls", "SegmentUrls", "archive_playlist", "live_playlist", "newest_segments"]

MAX_ARCHIVE_PLAYLIST = timedelta(hours=24)


class SegmentUrls(Protocol):
    """What a playlist needs to name its objects: MediaUrls (signed API URLs) or another domain's own URLs
    (Forpost translations use paths relative to the translation)."""

    def init(self, run_pk: int) -> str: ...

    def segment(self, segment_id: int) -> str: ...


@dataclass(frozen=True)
class MediaUrls:
    """Builds the per-request authorised URLs of one camera's media."""

    camera_id: str
    token: str
    prefix: str = "/api/v1/cameras"

    def init(self, run_pk: int) -> str:
        return f"{self.prefix}/{self.camera_id}/init/{run_pk}.mp4?token={self.token}"

    def segment(self, segment_id: int) -> str:
        return f"{self.prefix}/{self.camera_id}/segments/{segment_id}.m4s?token={self.token}"

    def live(self) -> str:
        return f"{self.prefix}/{self.camera_id}/live.m3u8?token={self.token}"

    def archive(self, start: datetime, end: datetime) -> str:
        return (
            f"{self.prefix}/{self.camera_id}/archive.m3u8?start={format_time(start)}&end={format_time(end)}"
            f"&token={self.token}"
        )


def _run_epoch(run_id: str) -> int:
    return int(datetime.strptime(run_id[:16], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp())


def live_playlist(db: Session, camera_id: str, urls: SegmentUrls, count: int = LIVE_WINDOW) -> str | None:
    """A sliding-window live playlist, or None when the camera has no playable video yet.

    Media sequence = run start (epoch seconds) + seq: it only grows, also across runs (segments are
    longer than a second). No EXT-X-DISCONTINUITY-SEQUENCE: hls.js hangs the page on one as large as an epoch,
    and the window holds one run; when a new run starts the player reloads (the cabinet retries on errors).
    """
    segments = newest_segments(db, camera_id, count)
    if not segments:
        return None
    epoch = _run_epoch(segments[0].run_id)
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:7",
        f"#EXT-X-TARGETDURATION:{ceil(max(s.duration for s in segments))}",
        f"#EXT-X-MEDIA-SEQUENCE:{epoch + segments[0].seq}",
        # Start at the newest segment: latency of about one segment plus its upload.
        f"#EXT-X-START:TIME-OFFSET=-{segments[-1].duration:.3f}",
        f'#EXT-X-MAP:URI="{urls.init(segments[0].run_pk)}"',
        f"#EXT-X-PROGRAM-DATE-TIME:{format_time(segments[0].start)}",
    ]
    for segment in segments:
        lines += [f"#EXTINF:{segment.duration:.3f},", urls.segment(segment.id)]
    return "\n".join(lines) + "\n"


def archive_playlist(db: Session, camera_id: str, start: datetime, end: datetime, urls: SegmentUrls) -> str | None:
    """A VOD playlist of [start, end): a new EXT-X-MAP and a discontinuity at each run change or hole.

    EXT-X-PROGRAM-DATE-TIME at every discontinuity maps playback position to wall-clock time (the
    timeline seeks by date); EXT-X-START points at ``start`` inside the first segment.
    """
    if end - start > MAX_ARCHIVE_PLAYLIST:
        raise ValueError(f"end: a playlist covers at most {MAX_ARCHIVE_PLAYLIST.total_seconds() / 3600:g} hours")
    segments = segments_in_range(db, camera_id, start, end)
    if not segments:
        return None
    offset = max((start - segments[0].start).total_seconds(), 0.0)
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:7",
        f"#EXT-X-TARGETDURATION:{ceil(max(s.duration for s in segments))}",
        "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-PLAYLIST-TYPE:VOD",
        "#EXT-X-INDEPENDENT-SEGMENTS",
        f"#EXT-X-START:TIME-OFFSET={offset:.3f},PRECISE=YES",
    ]
    previous: SegmentRef | None = None
    for segment in segments:
        if previous is None or segment.run_pk != previous.run_pk or segment.seq != previous.seq + 1:
            if previous is not None:
                lines.append("#EXT-X-DISCONTINUITY")
            lines.append(f'#EXT-X-MAP:URI="{urls.init(segment.run_pk)}"')
            lines.append(f"#EXT-X-PROGRAM-DATE-TIME:{format_time(segment.start)}")
        lines += [f"#EXTINF:{segment.duration:.3f},", urls.segment(segment.id)]
        previous = segment
    lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"
