"""What a translation URL serves: the HLS playlist and its objects, a JPEG, or an HTTP-FLV stream.

Everything is read through the archive domain's public functions (segment queries, playlists, media
iteration, snapshots), so translations follow the same playability rules as the cabinet's player.
"""

import time
from collections.abc import Iterator
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from portal.archive.clip import iter_media
from portal.archive.playlists import MAX_ARCHIVE_PLAYLIST, archive_playlist, live_playlist
from portal.archive.segments import SegmentRef, init_key_of, newest_segments, segment_by_id, segments_in_range
from portal.archive.snapshot import NoVideo, snapshot_jpeg
from portal.archive.storage import storage_of
from portal.billing.gate import visible_since
from portal.forpost import hls_ts, remux, translations
from portal.light import lease as light_lease
from portal.light import store as light_store
from portal.light.playlist import light_playlist
from portal.light.store import segment_data
from portal.models import Camera, utcnow
from portal.models.forpost import Translation
from portal.services import Services

LIVE_WINDOW = 5  # segments in a translation's live playlist
FOLLOW_POLL = 1.0  # seconds between looks for the next live segment


class TranslationUrls:
    """Object URIs relative to the translation's playlist, so its token is the only credential a player
    carries (served by portal/routers/translations.py)."""

    def init(self, run_pk: int) -> str:
        return f"init/{run_pk}.mp4"

    def segment(self, segment_id: int) -> str:
        return f"seg/{segment_id}.m4s"


def _window(services: Services) -> timedelta:
    return min(timedelta(seconds=services.settings.forpost_archive_window), MAX_ARCHIVE_PLAYLIST)


def hls_playlist(db: Session, services: Services, translation: Translation, fmp4: bool = False) -> str:
    """The main stream's playlist: the spec's MPEG-TS one; with ``fmp4`` the archive's fMP4 one (our own embed
    player's, hls.js). Whether the light relay plays instead is ``light_camera``'s to say."""
    if not fmp4:
        return _ts_playlist(db, services, translation)
    live = translation.start_at is None
    if live:
        text = live_playlist(db, translation.camera_id, TranslationUrls(), count=LIVE_WINDOW)
    else:
        start = translation.start_at
        assert start is not None  # not live
        text = archive_playlist(db, translation.camera_id, start, start + _window(services), TranslationUrls())
    return text or _empty_playlist(live)


def light_camera(db: Session, translation: Translation) -> str | None:
    """The camera whose light (sub-stream) relay this translation plays (docs/live-light.md): a live one asked
    with LightStream=1 of a camera with a sub-stream; None for the main stream. The caller waits for the relay
    (light_lease.watch_async) and falls back with ``translations.keep_main`` when it does not start, so a player
    never switches between the two streams inside one translation."""
    if not translation.light or translation.start_at is not None:
        return None
    camera = db.get(Camera, translation.camera_id)
    if camera is None or not light_lease.capable(db, camera):
        return None
    return camera.id


def light_hls(refs: list[light_store.LightRef]) -> str:
    """The light relay's TS playlist, its segments relative to the translation's URL."""
    return light_playlist(refs, lambda segment_id: f"light/{segment_id}.ts")


def light_segment(db: Session, services: Services, translation: Translation, segment_id: int) -> bytes | None:
    """One relayed light segment of the translation's camera; None once dropped (kept about a minute)."""
    since = utcnow() - timedelta(seconds=services.settings.light_keep_seconds)
    return segment_data(db, translation.camera_id, segment_id, since)


def _ts_playlist(db: Session, services: Services, translation: Translation) -> str:
    start = translation.start_at
    if start is None:
        refs = newest_segments(db, translation.camera_id, count=LIVE_WINDOW)
        return hls_ts.live_ts_playlist(refs, hls_ts.run_epoch(refs[0].run_id)) if refs else _empty_playlist(True)
    refs = segments_in_range(db, translation.camera_id, start, start + _window(services))
    return hls_ts.archive_ts_playlist(refs, start) if refs else _empty_playlist(False)


def ts_segment(db: Session, services: Services, translation: Translation, segment_id: int) -> bytes | None:
    """One MPEG-TS segment (remuxed once, then from the cache); None past the viewer's depth or not recorded."""
    ref = segment_by_id(db, translation.camera_id, segment_id)
    if ref is None or segment_key(db, translation, segment_id) is None:
        return None
    storage = storage_of(services)

    def remux_it() -> bytes:
        return remux.fmp4_to_mpegts(storage.read(ref.init_key), storage.read(ref.object_key))

    return ts_cache_of(services).get(ref.object_key, remux_it)


def ts_cache_of(services: Services) -> hls_ts.TsCache:
    if services.ts_cache is None:
        services.ts_cache = hls_ts.TsCache(services.settings.forpost_ts_cache_mb * 1024 * 1024)
    return services.ts_cache


def _empty_playlist(live: bool) -> str:
    """Nothing recorded (yet): a valid playlist without segments; a live player keeps reloading it."""
    lines = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-TARGETDURATION:2", "#EXT-X-MEDIA-SEQUENCE:0"]
    if not live:
        lines += ["#EXT-X-PLAYLIST-TYPE:VOD", "#EXT-X-ENDLIST"]
    return "\n".join(lines) + "\n"


def init_key(db: Session, translation: Translation, run_pk: int) -> str | None:
    return init_key_of(db, translation.camera_id, run_pk)


def segment_key(db: Session, translation: Translation, segment_id: int) -> str | None:
    ref = segment_by_id(db, translation.camera_id, segment_id)
    camera = db.get(Camera, translation.camera_id) if ref else None
    if ref is None or camera is None or ref.end <= visible_since(db, translation.contract_id, camera):
        return None  # past the depth of the viewer's tariff: as if not recorded
    return ref.object_key


def object_bytes(services: Services, key: str) -> bytes:
    return storage_of(services).read(key)


def snapshot(db: Session, services: Services, translation: Translation) -> bytes | None:
    """A JPEG of the requested moment (every frame decoded, not only keyframes), or of the newest recorded
    frame for live; None when nothing is recorded there."""
    try:
        return snapshot_jpeg(services, translation.camera_id, translation.start_at, exact=True, db=db)
    except NoVideo:
        return None


def flv_stream(services: Services, translation_id: int) -> Iterator[bytes]:
    """FLV of one run: from the requested moment (archive) or the newest segment (live, then following
    new segments until the translation is closed or the run stops growing). A live translation asked with
    LightStream=1 of a camera with a sub-stream follows the light relay's TS segments instead."""
    # A generator: nothing runs until the response iterates it in the threadpool (the light relay's first
    # segment may take seconds to arrive, which must not block the event loop).
    light = _light_chunks(services, translation_id)
    if light is not None:
        yield from remux.fmp4_to_flv(light, container="mpegts")
        return
    yield from remux.fmp4_to_flv(_run_chunks(services, translation_id))


def _light_chunks(services: Services, translation_id: int) -> Iterator[bytes] | None:
    with services.db.session() as db:
        translation = db.get(Translation, translation_id)
        if translation is None or not translation.light or translation.start_at is not None:
            return None
        camera = db.get(Camera, translation.camera_id)
        if camera is None or not light_lease.capable(db, camera):
            return None
        camera_id = camera.id
    try:
        refs = light_lease.watch(services, camera_id)
    except light_lease.LightUnavailable:
        with services.db.session() as db:
            translations.keep_main(db, translation_id)
        return None
    return _follow_light(services, translation_id, camera_id, refs)


def _follow_light(
    services: Services, translation_id: int, camera_id: str, refs: list[light_store.LightRef]
) -> Iterator[bytes]:
    """The light relay's segments from the newest one on, while the translation stays open; each look renews
    the relay's lease (light_lease.watch), so the box relays exactly as long as this stream is read."""
    run, sent = refs[-1].run_id, refs[-1].seq - 1
    last_new = time.monotonic()
    while time.monotonic() - last_new < 6.0:
        fresh = [r for r in refs if r.run_id == run and r.seq > sent]
        with services.db.session() as db:
            if not translations.still_open(db, translation_id):
                return
            since = utcnow() - timedelta(seconds=services.settings.light_keep_seconds)
            chunks = [(r.seq, segment_data(db, camera_id, r.id, since)) for r in fresh]
            if fresh:
                translations.touch(db, translation_id, utcnow())
        for seq, data in chunks:
            if data is not None:
                yield data
                sent, last_new = seq, time.monotonic()
        time.sleep(FOLLOW_POLL)
        try:
            refs = light_lease.watch(services, camera_id)
        except light_lease.LightUnavailable:
            return


def _first_run(services: Services, camera_id: str, start: datetime | None) -> list[SegmentRef]:
    """The segments to play, up to the first run change: a new run needs a new init, so the app asks for
    a new translation from there."""
    with services.db.session() as db:
        if start is None:
            refs = newest_segments(db, camera_id, count=1)
        else:
            refs = segments_in_range(db, camera_id, start, start + _window(services))
    return [ref for ref in refs if ref.run_pk == refs[0].run_pk]


def _run_chunks(services: Services, translation_id: int) -> Iterator[bytes]:
    with services.db.session() as db:
        translation = db.get(Translation, translation_id)
        if translation is None:
            return
        camera_id, start = translation.camera_id, translation.start_at
    refs = _first_run(services, camera_id, start)
    if not refs:
        return
    for part in iter_media(storage_of(services), refs):  # init first, then the segments, read ahead
        yield part.data
    if start is None:
        last = refs[-1]
        yield from _follow(services, translation_id, camera_id, last.run_pk, last.seq, last.duration)


def _follow(
    services: Services, translation_id: int, camera_id: str, run_pk: int, sent: int, duration: float
) -> Iterator[bytes]:
    """Live tail: the run's next segments as they are indexed, while the translation stays open."""
    give_up = max(3 * duration, 6.0)
    last_new = time.monotonic()
    storage = storage_of(services)
    while time.monotonic() - last_new < give_up:
        with services.db.session() as db:
            if not translations.still_open(db, translation_id):
                return
            fresh = [r for r in newest_segments(db, camera_id, LIVE_WINDOW) if r.run_pk == run_pk and r.seq > sent]
            if fresh:
                translations.touch(db, translation_id, utcnow())
        for ref in fresh:
            yield storage.read(ref.object_key)
            sent, last_new = ref.seq, time.monotonic()
        if not fresh:
            time.sleep(FOLLOW_POLL)
