"""The archive calls public clients make beyond the 1.3.2 list: GetDownloadURL, GetRecords and
GetCameraLastRecordTime (shapes in docs/forpost.md; SmartYard-Server reads ``LastRecordTime``)."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from portal.archive.progressive import MAX_FILE_SECONDS
from portal.archive.timeline import timeline
from portal.billing.gate import visible_depth_days, visible_since
from portal.forpost import downloads, errors
from portal.forpost.context import CallContext
from portal.forpost.ownership import camera_param
from portal.models import ArchiveSegment, utcnow

RECORDS_DEFAULT = timedelta(hours=24)
RECORDS_MAX = timedelta(days=31)
MIN_GAP = 2.0  # seconds: ranges closer than this are one record (segment boundaries)


def get_download_url(ctx: CallContext) -> dict[str, object]:
    camera = camera_param(ctx)
    container = ctx.params.optional_text("Container", "mp4", max_len=16).lower()
    if container != "mp4":
        raise errors.ForpostError(errors.BAD_VALUE, f"Контейнер {container} не поддерживается; доступен: mp4")
    now = utcnow()
    ts = ctx.params.integer("TS", lo=1, hi=int(now.timestamp()))
    ctx.params.integer("TZ", 0, lo=-14 * 3600, hi=14 * 3600)  # checked; the clip's times are UTC anyway
    depth = visible_depth_days(ctx.db, ctx.contract_id, camera)
    # One progressive MP4 holds at most a day (the depth, at least a day, bounds TS below): past it ErrorCode 3.
    minutes = ctx.params.integer("Duration", lo=1, hi=MAX_FILE_SECONDS // 60)
    start = datetime.fromtimestamp(ts, UTC)
    if start < visible_since(ctx.db, ctx.contract_id, camera):
        raise errors.unknown(f"Архив старше {depth} дн. недоступен по вашему тарифу")
    url = downloads.issue(
        ctx.db,
        ctx.services,
        contract_id=ctx.contract_id,
        session_id=ctx.who.session_id,
        camera=camera,
        start=start,
        minutes=minutes,
    )
    return {"URL": url}


def get_records(ctx: CallContext) -> list[dict[str, object]]:
    """Recorded ranges between LowerDate and UpperDate (subscriber's zone; default the last 24 h), oldest
    first, as unix seconds: [{"Start", "End", "Duration"}]."""
    camera = camera_param(ctx)
    zone = ctx.zone
    now = utcnow()
    upper = ctx.params.local_datetime("UpperDate", zone) or now
    lower = ctx.params.local_datetime("LowerDate", zone) or upper - RECORDS_DEFAULT
    if upper <= lower or upper - lower > RECORDS_MAX:
        raise errors.bad_value("LowerDate")
    depth = visible_depth_days(ctx.db, ctx.contract_id, camera)
    result = timeline(ctx.db, camera.id, lower, upper, resolution=MIN_GAP, now=now, depth_days=depth)
    return [
        {"Start": int(lo.timestamp()), "End": int(hi.timestamp()), "Duration": int((hi - lo).total_seconds())}
        for lo, hi in result.ranges
    ]


def get_camera_last_record_time(ctx: CallContext) -> dict[str, object]:
    """The end of the camera's newest recorded segment (unix seconds); 0 when nothing is recorded."""
    camera = camera_param(ctx)
    end = ctx.db.scalar(select(func.max(ArchiveSegment.end)).where(ArchiveSegment.camera_id == camera.id))
    return {"LastRecordTime": int(end.timestamp()) if end else 0}
