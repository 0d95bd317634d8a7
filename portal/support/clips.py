"""«Attach a clip from my archive»: the archive's clip builder cuts camera + time range into an MP4 attachment."""

from datetime import datetime

from fastapi import Request
from sqlalchemy.orm import Session

from portal.access import can_view
from portal.archive.clip import open_clip
from portal.archive.downloads import ClipRefused, Fetching, plan_clip
from portal.auth.sessions import Principal
from portal.models import Contract, utcnow
from portal.support.errors import SupportError
from portal.support.files import MAX_FILES, Upload

MAX_CLIP_SECONDS = 600


def _instant(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise SupportError("clip_start", "время начала в формате ISO 8601, например 2026-12-01T10:00:00Z") from None
    if moment.tzinfo is None:
        raise SupportError("clip_start", "укажите часовой пояс (Z для UTC)")
    return moment


def clip_upload(
    request: Request, db: Session, who: Principal, camera_id: str, start: str, duration: int, already: int
) -> Upload:
    if already >= MAX_FILES:
        raise SupportError("files", f"не больше {MAX_FILES} файлов вместе с клипом")
    camera = can_view(db, who, camera_id)
    if camera is None:
        raise SupportError("clip_camera", f"камеры {camera_id!r} нет среди ваших камер")
    if not 1 <= duration <= MAX_CLIP_SECONDS:
        raise SupportError("clip_duration", f"от 1 до {MAX_CLIP_SECONDS} секунд")
    services = request.app.state.services
    contract = db.get(Contract, who.contract_id) if who.contract_id else None
    tz = contract.tz if contract and contract.tz else services.settings.display_tz
    try:
        plan = plan_clip(db, services.db.session, services.commands, camera, _instant(start), duration, utcnow(), tz)
    except ClipRefused as exc:
        raise SupportError("clip_start", exc.detail) from None
    except Fetching:
        raise SupportError("clip_start", "запись догружается с видеорегистратора — отправьте через минуту") from None
    limit = services.settings.support_max_file_bytes
    data = bytearray()
    for chunk in open_clip(services.storage, plan.segments, plan.start, plan.end):
        data += chunk
        if len(data) > limit:
            raise SupportError("clip_duration", f"клип больше {limit // (1024 * 1024)} МБ — выберите отрезок короче")
    return Upload(plan.filename, "video/mp4", bytes(data))
