"""Bundles: checked on upload against the portal's trusted keys, kept in the object store, served in ranges."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy.orm import Session

from cloud_sync.ota_bundle import BundleError, load_public_keys, sha256_file, verify_bundle
from portal.archive.storage import CHUNK, LocalStorage, ObjectNotFound, Storage
from portal.config import PortalSettings
from portal.models.ota import OtaBundle


class BundleRefused(ValueError):
    """The upload is not a bundle this portal accepts; the message names the reason."""


def trusted_keys(settings: PortalSettings) -> dict:
    paths = [Path(p) for p in settings.ota_keys.split(os.pathsep) if p]
    if not paths:
        raise BundleRefused("the portal trusts no OTA signing key (set DOZOR_OTA_KEYS to the .pub files)")
    try:
        return load_public_keys(paths)
    except BundleError as exc:
        raise BundleRefused(f"DOZOR_OTA_KEYS: {exc}") from None


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
