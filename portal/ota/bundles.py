"""Bundles: checked on upload against the portal's trusted keys, kept in the object store, served in ranges."""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

from sqlalchemy.orm import Session

from cloud_sync.ota_bundle import BundleError, load_public_keys, sha256_file, verify_bundle
from portal.archive.storage import CHUNK, LocalStorage, ObjectNotFound, Storage
from portal.config import PortalSettings
from portal.models.ota import OtaBundle

MAX_BUNDLE = 512 * 1024 * 1024  # portal/body_limit.py lets bundle uploads this far


class BundleRefused(ValueError):
    """The upload is not a bundle this portal accepts; the message names the reason."""


class BundleTooLarge(BundleRefused):
    """The upload passed MAX_BUNDLE bytes (HTTP 413)."""


def trusted_keys(settings: PortalSettings) -> dict:
    paths = [Path(p) for p in settings.ota_keys.split(os.pathsep) if p]
    if not paths:
        raise BundleRefused("the portal trusts no OTA signing key (set DOZOR_OTA_KEYS to the .pub files)")
    try:
        return load_public_keys(paths)
    except BundleError as exc:
        raise BundleRefused(f"DOZOR_OTA_KEYS: {exc}") from None


async def accept_upload(
    db: Session, storage: Storage, settings: PortalSettings, chunks: AsyncIterator[bytes], who: str
) -> OtaBundle:
    """Spool an upload (API body or console form file) to a temporary file, then `accept` it."""
    with tempfile.TemporaryDirectory(prefix="dozor-ota-") as tmp:
        path = Path(tmp) / "bundle.tar"
        size = 0
        with path.open("wb") as out:
            async for chunk in chunks:
                size += len(chunk)
                if size > MAX_BUNDLE:
                    raise BundleTooLarge(f"larger than {MAX_BUNDLE} bytes")
                out.write(chunk)
        if size == 0:
            raise BundleRefused("the upload is empty (send the bundle file)")
        return accept(db, storage, settings, path, who)


def accept(db: Session, storage: Storage, settings: PortalSettings, path: Path, who: str) -> OtaBundle:
    """Verify the uploaded file (signature and every hash), store it, record it; idempotent per SHA-256."""
    try:
        manifest = verify_bundle(path, trusted_keys(settings))
    except BundleError as exc:
        raise BundleRefused(str(exc)) from None
    digest = sha256_file(path)
    existing = db.get(OtaBundle, digest)
    if existing is not None:
        return existing
    clash = db.query(OtaBundle).filter(OtaBundle.version == manifest.version).one_or_none()
    if clash is not None:
        raise BundleRefused(
            f"version: {manifest.version} was uploaded before with other contents ({clash.sha256[:12]})"
        )
    key = f"ota/{digest}.tar"
    with path.open("rb") as handle:
        storage.put(key, iter(lambda: handle.read(CHUNK), b""))
    bundle = OtaBundle(
        sha256=digest,
        version=manifest.version,
        min_from=manifest.min_from,
        size=path.stat().st_size,
        key_id=manifest.key_id,
        object_key=key,
        uploaded_by=who,
    )
    db.add(bundle)
    db.flush()
    return bundle


def read_range(storage: Storage, key: str, start: int, end: int) -> Iterator[bytes]:
    """Bytes start..end (inclusive) of an object, without reading what comes before (ranged GET on S3)."""
    if isinstance(storage, LocalStorage):
        try:
            handle = (storage.root / key).open("rb")
        except FileNotFoundError:
            raise ObjectNotFound(key) from None
        return _file_range(handle, start, end)
    client = getattr(storage, "client", None)
    if client is not None:  # S3Storage
        full = storage._key(key)  # type: ignore[attr-defined]
        body = client.get_object(Bucket=storage.bucket, Key=full, Range=f"bytes={start}-{end}")["Body"]  # type: ignore[attr-defined]
        return iter(lambda: body.read(CHUNK), b"")
    return _skip(storage.get(key), start, end)


def _file_range(handle, start: int, end: int) -> Iterator[bytes]:
    with handle:
        handle.seek(start)
        left = end - start + 1
        while left > 0 and (chunk := handle.read(min(CHUNK, left))):
            left -= len(chunk)
            yield chunk


def _skip(chunks: Iterator[bytes], start: int, end: int) -> Iterator[bytes]:
    offset = 0
    for chunk in chunks:
        lo, hi = max(start - offset, 0), min(end + 1 - offset, len(chunk))
        if lo < hi:
            yield chunk[lo:hi]
        offset += len(chunk)
        if offset > end:
            return
