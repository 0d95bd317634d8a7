"""Resumable, bandwidth-capped download of a bundle (ranged GETs; the part file survives restarts)."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from cloud_sync.bandwidth import TokenBucket
from edge.ota import faults

CHUNK = 64 * 1024
Progress = Callable[[int, int | None], None]


class DownloadError(RuntimeError):
    """The bundle could not be fetched whole; the message says why."""


def download(
    url: str,
    dest: Path,
    sha256: str,
    bucket: TokenBucket | None = None,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
    attempts: int = 5,
    headers: dict[str, str] | None = None,
) -> Path:
    """Fetch `url` into `dest`, resuming `dest`.part; the whole file must hash to `sha256`."""
    if dest.is_file() and _sha256(dest) == sha256:
        return dest
    part = dest.with_name(dest.name + ".part")
    dest.parent.mkdir(parents=True, exist_ok=True)
    last_error = "no attempt"
    for attempt in range(attempts):
        if stop is not None and stop.is_set():
            raise DownloadError("stopped")
        try:
            if _fetch(url, part, bucket, progress, stop, headers or {}):
                break
        except (httpx.HTTPError, OSError) as exc:
            last_error = f"{type(exc).__name__}: {exc}"
        time.sleep(min(2.0**attempt, 30.0))
    else:
        raise DownloadError(f"download of {url} failed after {attempts} attempts ({last_error})")
    digest = _sha256(part)
    if digest != sha256:
        part.unlink(missing_ok=True)
        raise DownloadError(f"downloaded bundle has SHA-256 {digest[:16]}…, expected {sha256[:16]}… (truncated?)")
    part.replace(dest)
    return dest


def _fetch(
    url: str,
    part: Path,
    bucket: TokenBucket | None,
    progress: Progress | None,
    stop: threading.Event | None,
    headers: dict[str, str],
) -> bool:
    """One ranged GET from where the part file ends; True when the server says the file is complete."""
    offset = part.stat().st_size if part.is_file() else 0
    request_headers = {**headers, **({"Range": f"bytes={offset}-"} if offset else {})}
    with httpx.stream("GET", url, headers=request_headers, timeout=30.0, follow_redirects=True) as response:
        if response.status_code == 416:  # nothing past our offset: the part is whole (or wrong; the hash says)
            return True
        if response.status_code not in (200, 206):
            raise httpx.HTTPStatusError(f"HTTP {response.status_code}", request=response.request, response=response)
        if response.status_code == 200:
            offset = 0  # the server ignored the range: start over
        total = _total(response, offset)
        done = offset
        with part.open("r+b" if offset else "wb") as out:
            out.seek(offset)
            out.truncate()
            for chunk in response.iter_bytes(CHUNK):
                if bucket is not None and not bucket.take(len(chunk), stop):
                    return False
                out.write(chunk)
                done += len(chunk)
                if progress is not None:
                    progress(done, total)
                if done > CHUNK:
                    faults.point("download")
            out.flush()
        return total is None or done >= total


def _total(response: httpx.Response, offset: int) -> int | None:
    if response.status_code == 206:
        _, _, whole = response.headers.get("content-range", "").partition("/")
        return int(whole) if whole.isdigit() else None
    length = response.headers.get("content-length")
    return int(length) if length and length.isdigit() else None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 16):
            digest.update(chunk)
    return digest.hexdigest()
