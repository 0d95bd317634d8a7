"""The translation URLs GetTranslationURL hands out: GET plays (activating the translation), POST op=stop
closes it. The token in the path is the only credential (docs/forpost.md, "Translations")."""

from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response, StreamingResponse

from portal.archive.storage import ObjectNotFound
from portal.billing.gate import require_service
from portal.deps import DB, services
from portal.forpost import media, translations
from portal.forpost.translations import TranslationClosed
from portal.light.lease import LightUnavailable, watch_async
from portal.live_threads import iterate_live
from portal.models.forpost import Translation
from portal.params import BigRowId

router = APIRouter(prefix=translations.PREFIX, tags=["forpost"])


def gone() -> JSONResponse:
    return JSONResponse({"res": "error", "error": "трансляция закрыта или не существует"}, status_code=410)


def no_video() -> JSONResponse:
    return JSONResponse({"res": "error", "error": "нет записи на это время"}, status_code=404)


def _open(request: Request, db: DB, token: str, fmt: str) -> Translation | None:
    """The translation behind the URL (activated, kept alive), or None when it is closed or unknown."""
    try:
        translation = translations.use(db, services(request).settings, token, fmt)
    except TranslationClosed:
        return None
    require_service(db, translation.contract_id)  # suspended for debt -> the app's ServiceSuspended answer
    return translation


@router.get("/{token}/index.m3u8")
async def hls(token: str, request: Request) -> Response:
    portal = services(request)
    # The spec's MPEG-TS playlist; ?container=fmp4 for our own embed player (hls.js plays fMP4 natively).
    fmp4 = request.query_params.get("container") == "fmp4"

    def main_or_light() -> tuple[int, str | None, str] | None:
        """(translation, the camera whose light relay it plays or None, else the main playlist); None: gone.
        Committed before any wait: the activation must not hold the box's uploads back."""
        with portal.db.session() as db:
            translation = _open(request, db, token, "HLS")
            if translation is None:
                return None
            camera = media.light_camera(db, translation)
            body = "" if camera is not None else media.hls_playlist(db, portal, translation, fmp4=fmp4)
            return translation.id, camera, body

    def main_after_all(translation_id: int) -> str | None:
        with portal.db.session() as db:
            translations.keep_main(db, translation_id)
            translation = db.get(Translation, translation_id)
            return None if translation is None else media.hls_playlist(db, portal, translation, fmp4=fmp4)

    opened = await run_in_threadpool(main_or_light)
    if opened is None:
        return gone()
    translation_id, camera, body = opened
    if camera is not None:
        try:
            body = media.light_hls(await watch_async(portal, camera))  # waits on the loop, not on a pool thread
        except LightUnavailable:
            main = await run_in_threadpool(main_after_all, translation_id)
            if main is None:
                return gone()
            body = main
    return Response(body, media_type="application/vnd.apple.mpegurl", headers={"Cache-Control": "no-store"})


@router.get("/{token}/init/{run_pk}.mp4")
def hls_init(token: str, run_pk: BigRowId, request: Request, db: DB) -> Response:
    return _hls_object(request, db, token, lambda t: media.init_key(db, t, run_pk), "video/mp4")


@router.get("/{token}/seg/{segment_id}.m4s")
def hls_segment(token: str, segment_id: BigRowId, request: Request, db: DB) -> Response:
    return _hls_object(request, db, token, lambda t: media.segment_key(db, t, segment_id), "video/iso.segment")


def _hls_object(
    request: Request, db: DB, token: str, key_of: Callable[[Translation], str | None], media_type: str
) -> Response:
    """An init or media object of an HLS translation; every fetch keeps the translation alive."""
    translation = _open(request, db, token, "HLS")
    if translation is None:
        return gone()
    return _object(request, key_of(translation), media_type)


@router.get("/{token}/ts/{segment_id}.ts")
def hls_ts_segment(token: str, segment_id: BigRowId, request: Request, db: DB) -> Response:
    """One MPEG-TS segment of an HLS translation, remuxed once and cached (portal/forpost/hls_ts.py)."""
    translation = _open(request, db, token, "HLS")
    if translation is None:
        return gone()
    data = media.ts_segment(db, services(request), translation, segment_id)
    if data is None:
        return no_video()
    return Response(data, media_type="video/mp2t")


@router.get("/{token}/light/{segment_id}.ts")
def hls_light_segment(token: str, segment_id: BigRowId, request: Request, db: DB) -> Response:
    """One light (sub-stream) segment of a live HLS translation asked with LightStream=1 (docs/live-light.md)."""
    translation = _open(request, db, token, "HLS")
    if translation is None:
        return gone()
    data = media.light_segment(db, services(request), translation, segment_id)
    if data is None:
        return no_video()
    return Response(data, media_type="video/mp2t")


@router.get("/{token}/snapshot.jpg")
def jpg(token: str, request: Request, db: DB) -> Response:
    translation = _open(request, db, token, "JPG")
    if translation is None:
        return gone()
    data = media.snapshot(db, services(request), translation)
    translations.delivered(db, translation.id)  # one image: the translation is complete, its slot free
    if data is None:
        return no_video()
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "no-store"})


@router.get("/{token}/stream.flv")
async def flv(token: str, request: Request) -> Response:
    portal = services(request)

    def activate() -> int | None:
        with portal.db.session() as db:
            try:
                translation = translations.use(db, portal.settings, token, "H264")
            except TranslationClosed:
                return None
            require_service(db, translation.contract_id)
            return translation.id

    translation_id = await run_in_threadpool(activate)
    if translation_id is None:
        return gone()
    stream = media.flv_stream(portal, translation_id)
    return StreamingResponse(iterate_live(stream), media_type="video/x-flv")  # not on the shared pool


@router.post("/{token}/{name}")
async def stop(token: str, name: str, request: Request) -> JSONResponse:
    """op=stop POSTed to the translation URL itself closes it."""
    form = await request.form()
    op = form.get("op") or request.query_params.get("op")
    if op != "stop" or name not in translations.FILES.values():
        return JSONResponse({"res": "error", "error": "неизвестная операция"}, status_code=400)
    portal = services(request)

    def close() -> bool:
        with portal.db.session() as db:
            return translations.stop(db, token) or translations.exists(db, token)

    if not await run_in_threadpool(close):
        return gone()
    return JSONResponse({"res": "ok"})


def _object(request: Request, key: str | None, media_type: str) -> Response:
    if not key:
        return no_video()
    try:
        data = media.object_bytes(services(request), key)
    except ObjectNotFound:
        return no_video()
    return Response(data, media_type=media_type)
