"""What a translation URL serves: the HLS playlist and its objects, a JPEG, or an HTTP-FLV stream."""

import time
from collections.abc import Iterator
from datetime import timedelta

from sqlalchemy.orm import Session

from portal.archive.storage import storage_of
from portal.forpost import media_index, playlists, remux, translations
from portal.models import utcnow
from portal.models.forpost import Translation
from portal.services import Services

FOLLOW_POLL = 1.0  # seconds between looks for the next live segment


def hls_playlist(db: Session, services: Services, translation: Translation) -> str:
    if translation.start_at is None:
        return playlists.playlist(media_index.live_pieces(db, translation.camera_id), live=True)
    window = services.settings.forpost_archive_window
    pieces = media_index.archive_pieces(db, translation.camera_id, translation.start_at, window)
    return playlists.playlist(pieces, live=False)


def object_bytes(services: Services, key: str) -> bytes:
    return storage_of(services).read(key)


def snapshot(db: Session, services: Services, translation: Translation) -> bytes | None:
    """A JPEG of the requested moment, or of the newest recorded frame for live."""
    if translation.start_at is None:
        pieces = media_index.live_pieces(db, translation.camera_id, count=1)
        moment = pieces[-1].start + timedelta(seconds=pieces[-1].duration) if pieces else None
    else:
        pieces = media_index.archive_pieces(db, translation.camera_id, translation.start_at, 1)
        moment = translation.start_at
    if not pieces or moment is None:
        return None
    piece = pieces[-1] if translation.start_at is None else pieces[0]
    chunks = [object_bytes(services, piece.init_key), object_bytes(services, piece.object_key)]
    return remux.jpeg_at(chunks, remux.seconds_between(piece.start, moment))


def flv_stream(services: Services, translation_id: int) -> Iterator[bytes]:
    """FLV of one run: from the requested moment (archive) or the newest segment (live, then following
    new segments until the translation is closed or the run stops growing)."""
    return remux.fmp4_to_flv(_run_chunks(services, translation_id))


def _run_chunks(services: Services, translation_id: int) -> Iterator[bytes]:
    with services.db.session() as db:
        translation = db.get(Translation, translation_id)
        if translation is None:
            return
        camera_id, start_at = translation.camera_id, translation.start_at
        if start_at is None:
            pieces = media_index.live_pieces(db, camera_id, count=1)
        else:
            window = services.settings.forpost_archive_window
            pieces = media_index.archive_pieces(db, camera_id, start_at, window)
    if not pieces:
        return
    run_pk = pieces[0].run_pk
    yield object_bytes(services, pieces[0].init_key)
    sent = -1
    for piece in pieces:
        if piece.run_pk != run_pk:
            return  # a new run needs a new init: the app asks for a new translation from there
        yield object_bytes(services, piece.object_key)
        sent = piece.seq
    if start_at is None:
        yield from _follow(services, translation_id, camera_id, run_pk, sent, pieces[-1].duration)


def _follow(
    services: Services, translation_id: int, camera_id: str, run_pk: int, sent: int, duration: float
) -> Iterator[bytes]:
    """Live tail: the run's next segments as they are indexed, while the translation stays open."""
    give_up = max(3 * duration, 6.0)
    last_new = time.monotonic()
    while time.monotonic() - last_new < give_up:
        with services.db.session() as db:
            if not translations.still_open(db, translation_id):
                return
            fresh = [p for p in media_index.live_pieces(db, camera_id) if p.run_pk == run_pk and p.seq > sent]
            if fresh:
                translations.touch(db, translation_id, utcnow())
        for piece in fresh:
            yield object_bytes(services, piece.object_key)
            sent, last_new = piece.seq, time.monotonic()
        if not fresh:
            time.sleep(FOLLOW_POLL)
