"""Probe a camera URL the way the recorder will use it: codec, resolution, fps and bitrate, or why not.

Failures are mapped to the few causes a technician can act on: unreachable (host/port/timeout),
unauthorized (401: wrong user or password), not_found (wrong path), unsupported_codec (the box records
H.264/H.265 only, with no transcoding), no_video, and error (anything else, with the library's text).
"""

from __future__ import annotations

import errno
import re
import time
from dataclasses import asdict, dataclass
from typing import Any

import av

from edge.config import mask_url

RECORDABLE_CODECS = {"h264", "hevc"}

FAILURE_LABELS = {
    "unreachable": "Камера недоступна: нет ответа по адресу и порту",
    "unauthorized": "Ошибка 401: неверный логин или пароль камеры",
    "not_found": "Ошибка 404: на камере нет такого пути потока",
    "unsupported_codec": "Неподдерживаемый кодек: бокс записывает только H.264 и H.265",
    "no_video": "В потоке нет видео",
    "error": "Ошибка при чтении потока",
}


@dataclass
class ProbeResult:
    ok: bool
    url: str  # masked
    codec: str | None = None
    profile: str | None = None
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    bitrate_kbps: float | None = None
    failure: str | None = None  # a FAILURE_LABELS key
    detail: str = ""

    @property
    def message(self) -> str:
        if self.ok:
            return f"{self.codec} {self.width}×{self.height}, {self.fps:.1f} к/с, ~{self.bitrate_kbps:.0f} кбит/с"
        return f"{FAILURE_LABELS.get(self.failure or 'error', 'Ошибка')}: {self.detail}".rstrip(": ")

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "message": self.message}


def classify_error(exc: BaseException, url: str = "") -> str:
    """FFmpeg reports RTSP 401/404 as HTTP-style errors; connection problems as errno values.

    The errno is trusted before the text, and the URL is cut out of the text first: a port such as 40404
    in the message must not read as "404 not found".
    """
    code = getattr(exc, "errno", None)
    unreachable = {errno.ECONNREFUSED, errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ETIMEDOUT, errno.EIO}
    if isinstance(exc, TimeoutError) or code in unreachable or code is not None and -code in unreachable:
        return "unreachable"
    text = str(exc).lower()
    for shown in {url, mask_url(url)} - {""}:
        text = text.replace(shown.lower(), "")
    if re.search(r"\b401\b", text) or "unauthorized" in text or "authorization" in text:
        return "unauthorized"
    if re.search(r"\b404\b", text) or "not found" in text:
        return "not_found"
    if any(word in text for word in ("connection refused", "timed out", "timeout", "no route", "unreachable")):
        return "unreachable"
    return "error"


def probe(url: str, *, sample_seconds: float = 2.0, timeout: float = 8.0) -> ProbeResult:
    """Open `url` over RTSP/TCP, read ~`sample_seconds` of video packets and measure them."""
    shown = mask_url(url)
    options = {"rtsp_transport": "tcp"} if url.lower().startswith("rtsp") else {}
    try:
        container = av.open(url, options=options, timeout=(timeout, timeout))
    except Exception as exc:
        return ProbeResult(False, shown, failure=classify_error(exc, url), detail=_clean(exc, url))
    try:
        return _measure(container, shown, sample_seconds)
    except Exception as exc:
        return ProbeResult(False, shown, failure=classify_error(exc, url), detail=_clean(exc, url))
    finally:
        container.close()


def _measure(container: Any, shown: str, sample_seconds: float) -> ProbeResult:
    if not container.streams.video:
        return ProbeResult(False, shown, failure="no_video", detail="поток не содержит видеодорожки")
    stream = container.streams.video[0]
    ctx = stream.codec_context
    codec = (ctx.name or "").lower()
    result = ProbeResult(
        False,
        shown,
        codec=codec,
        profile=ctx.profile,
        width=ctx.width or None,
        height=ctx.height or None,
        fps=float(stream.average_rate or stream.guessed_rate or 0) or None,
    )
    if codec not in RECORDABLE_CODECS:
        result.failure, result.detail = "unsupported_codec", f"камера отдаёт {codec or 'неизвестный кодек'}"
        return result
    size, first_pts, last_pts, frames = 0, None, None, 0
    started = time.monotonic()
    for packet in container.demux(stream):
        if packet.size == 0 or packet.pts is None:
            continue
        size += packet.size
        frames += 1
        first_pts = packet.pts if first_pts is None else first_pts
        last_pts = packet.pts
        if time.monotonic() - started >= sample_seconds:
            break
    if frames < 2 or first_pts is None or last_pts is None or last_pts <= first_pts:
        result.failure, result.detail = "no_video", "за время проверки не пришло ни одного кадра"
        return result
    span = float((last_pts - first_pts) * stream.time_base)
    result.bitrate_kbps = size * 8 / span / 1000 * (frames - 1) / frames
    if not result.fps:
        result.fps = (frames - 1) / span
    if not result.width and ctx.width:
        result.width, result.height = ctx.width, ctx.height
    result.ok = True
    return result


def _clean(exc: BaseException, url: str) -> str:
    """The library's message without the errno prefix or the credentialed URL."""
    text = getattr(exc, "strerror", None) or str(exc)
    return str(text).replace(url, mask_url(url))
