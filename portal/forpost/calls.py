"""Every Forpost call by name (matched case-insensitively): parameters in, JSON-able answer out."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from portal.billing.gate import visible_depth_days, visible_since
from portal.forpost import archive_calls, cameras, devices, embed, errors, events, sessions, translations
from portal.forpost.context import CallContext
from portal.forpost.errors import ForpostError
from portal.forpost.ownership import camera_param, is_private
from portal.forpost.params import TIME_FORMAT
from portal.forpost.push import store_push_token
from portal.forpost.remember import remember
from portal.models import Camera, Contract, utcnow

Answer = dict[str, object] | list[dict[str, object]]
Call = Callable[[CallContext], Answer]
NOT_SUPPORTED = "Не поддерживается"
MAX_TZ_OFFSET = 14 * 3600  # seconds: the widest UTC offsets in use are -12:00 and +14:00


def login(ctx: CallContext) -> Answer:
    check_id = ctx.params.get("LoginSessionID")
    if check_id:
        result = sessions.check(ctx.db, check_id, ctx.client_ip)
        if result.row is None:
            return {"ErrorCode": errors.SESSION, "Error": result.problem}
        return {"Login": sessions.login_of(ctx.db, result.row)}
    settings = ctx.services.settings
    token = sessions.login(
        ctx.db,
        settings,
        ctx.params.text("Login", 32),
        ctx.params.text("Password", 200),
        ip=ctx.client_ip,
        user_agent=ctx.params.optional_text("UserAgent", max_len=300),
        lifetime=timedelta(days=settings.forpost_session_days),
        bind_ip=settings.forpost_bind_ip,
    )
    return {"SessionID": token}


def logout(ctx: CallContext) -> Answer:
    return {"Result": int(sessions.logout(ctx.db, ctx.params.get("SessionID") or "", ctx.client_ip))}


def remember_call(ctx: CallContext) -> Answer:
    email = ctx.params.text("Email", 254)
    if "@" not in email:
        raise errors.bad_value("Email")
    return {"Result": int(remember(ctx.db, email, ctx.services.settings.public_url))}


def get_cameras(ctx: CallContext) -> Answer:
    parent_groups = ctx.params.flag("IncludeParentGroups", False)
    state = ctx.params.flag("IncludeState", False)
    views = cameras.camera_views(ctx.db, ctx.who, active_only=ctx.params.flag("ActiveOnly", True))
    return [
        cameras.camera_json(ctx.db, v, parent_groups=parent_groups, state=state, contract_id=ctx.contract_id)
        for v in views
    ]


def get_camera_categories(ctx: CallContext) -> Answer:
    return dict(cameras.categories(cameras.camera_views(ctx.db, ctx.who)))


def get_translation_url(ctx: CallContext) -> Answer:
    camera = camera_param(ctx)
    fmt = ctx.params.optional_text("Format", translations.DEFAULT_FORMAT, max_len=16).upper()
    if fmt not in translations.FILES:
        offered = ", ".join(sorted(translations.FILES))
        raise errors.ForpostError(errors.BAD_VALUE, f"Формат {fmt[:16]} не поддерживается; доступны: {offered}")
    start_at = archive_start(ctx, camera)
    url = translations.open_translation(
        ctx.db,
        ctx.services.settings,
        contract_id=ctx.contract_id,
        session_id=ctx.who.session_id,
        camera=camera,
        fmt=fmt,
        start_at=start_at,
        tz_offset=tz_param(ctx),
        light=ctx.params.flag("LightStream", True),  # the spec's default: the light (secondary) stream
    )
    return {"URL": url}


def archive_start(ctx: CallContext, camera: Camera) -> datetime | None:
    """``TS`` as the archive moment (None = live), refused past the viewer's tariff depth."""
    # Not in the future: beyond now the value is refused before it becomes a datetime (year 10000 would overflow).
    ts = ctx.params.integer("TS", 0, lo=0, hi=int(utcnow().timestamp()))
    start_at = datetime.fromtimestamp(ts, UTC) if ts else None
    kept_since = utcnow() - timedelta(days=camera.retention_days)
    if start_at is not None and kept_since <= start_at < visible_since(ctx.db, ctx.contract_id, camera):
        # Kept for a neighbour's deeper tariff, but past this subscriber's: say so (older video is simply gone).
        depth = visible_depth_days(ctx.db, ctx.contract_id, camera)
        raise errors.unknown(f"Архив старше {depth} дн. недоступен по вашему тарифу")
    return start_at


def tz_param(ctx: CallContext) -> int:
    return ctx.params.integer("TZ", 0, lo=-MAX_TZ_OFFSET, hi=MAX_TZ_OFFSET)


def stop_translation(ctx: CallContext) -> Answer:
    token = translations.token_from_url(ctx.params.text("URL", 1000))
    if token is None:
        raise errors.bad_value("URL")
    return {"Result": int(translations.stop(ctx.db, token, contract_id=ctx.contract_id))}


def get_events(ctx: CallContext) -> Answer:
    camera = camera_param(ctx)
    zone = ctx.zone
    count = ctx.params.integer("Count", 100, lo=1)
    lower = ctx.params.local_datetime("LowerDate", zone)
    upper = ctx.params.local_datetime("UpperDate", zone)
    return events.camera_events(ctx.db, camera, lower, upper, count)


def get_current_time(ctx: CallContext) -> Answer:
    zone = ZoneInfo(ctx.services.settings.display_tz)
    now = utcnow().astimezone(zone)
    offset = now.utcoffset() or timedelta(0)
    return {"ServerTime": now.strftime(TIME_FORMAT), "TimeOffset": int(offset.total_seconds())}


def toggle_fav_camera(ctx: CallContext) -> Answer:
    camera = camera_param(ctx)
    return {"Result": int(cameras.toggle_favourite(ctx.db, ctx.contract_id, camera.id))}


def call_controlled_device(ctx: CallContext) -> Answer:
    camera = camera_param(ctx)
    device_id = ctx.params.integer("ControlledDeviceID", lo=1)
    return devices.call_device(ctx.db, ctx.services, camera, device_id, ctx.contract_id)


def enable_home_mode(ctx: CallContext) -> Answer:
    camera = camera_param(ctx)
    enable = ctx.params.flag("Enable")
    if not is_private(camera, ctx.contract_id):
        raise errors.forbidden("«Я дома» доступен только для своих камер")
    devices.set_home_mode(ctx.db, ctx.services, camera, ctx.contract_id, enable)
    return {"Result": 1}


def get_embed_client(ctx: CallContext) -> Answer:
    contract = ctx.db.get(Contract, ctx.contract_id)
    if contract is None or ctx.params.text("CustomerLogin", 32) != contract.number:
        raise errors.forbidden("Нет прав на этого абонента")
    camera_id = camera_param(ctx).id if ctx.params.get("CameraID") else ""
    settings = ctx.services.settings
    grant = embed.EmbedGrant(
        contract_id=contract.id,
        session_id=ctx.who.session_id,
        camera_id=camera_id,
        user_ip=ctx.params.optional_text("UserIP", max_len=64),
        timeline=ctx.params.flag("IsTimeline", False),
        expires=int(utcnow().timestamp()) + settings.forpost_embed_ttl,
    )
    return {"Url": embed.embed_url(settings.public_url, settings.secret_key, grant)}


def set_ios_token(ctx: CallContext) -> Answer:
    store_push_token(ctx.db, ctx.contract_id, ctx.who.session_id, ctx.params)
    return {"Result": 1}


def not_supported(ctx: CallContext) -> Answer:
    raise ForpostError(errors.UNKNOWN, NOT_SUPPORTED)


CALLS: dict[str, Call] = {
    "login": login,
    "logout": logout,
    "remember": remember_call,
    "getcameras": get_cameras,
    "getcameracategories": get_camera_categories,
    "gettranslationurl": get_translation_url,
    "stoptranslation": stop_translation,
    "getevents": get_events,
    "getcurrenttime": get_current_time,
    "togglefavcamera": toggle_fav_camera,
    "callcontrolleddevice": call_controlled_device,
    "enablehomemode": enable_home_mode,
    "getembedclient": get_embed_client,
    "setiostoken": set_ios_token,
    "getdownloadurl": archive_calls.get_download_url,
    "getrecords": archive_calls.get_records,
    "getcameralastrecordtime": archive_calls.get_camera_last_record_time,
    "registration": not_supported,
    "getbrand": not_supported,
    "addcamera": not_supported,
}
