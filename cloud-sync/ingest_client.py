"""The box's HTTP client for the portal's ingest: one call per wire operation, each answered by an Outcome.

A 2xx alone is not "stored": the portal answers each upload with a JSON receipt echoing camera, run, seq and the
SHA-256 of the bytes it stored, and only a receipt that matches what was sent counts. Anything else that answers
2xx (a captive portal's login page, a proxy) is a failure to reach the portal: the video stays on the box, is
retried with the uploader's backoff, and is never marked uploaded (which would let eviction delete it).
"""

import hashlib
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx

from cloud_sync import light, motion, segments
from cloud_sync.bandwidth import TokenBucket
from cloud_sync.catalogue import GapLike, SegmentLike

CHUNK = 16 * 1024
# Refusals the box cannot fix by retrying soon: bad token, not its camera, the portal holds other bytes, too big.
REFUSED = {401, 403, 409, 413, 415, 422}


@dataclass(frozen=True)
class Outcome:
    """stored: the portal holds it (201 new, 200 already); retry: try again later; refused: needs a human."""

    kind: str  # stored | retry | refused
    status: int = 0
    detail: str = ""

    @property
    def stored(self) -> bool:
        return self.kind == "stored"


class ByteCounter:
    """Body bytes actually handed to the socket, for telemetry and the bandwidth figures."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.total = 0

    def add(self, amount: int) -> None:
        with self._lock:
            self.total += amount


class IngestClient:
    def __init__(
        self,
        base_url: str,
        token: str,
        bucket: TokenBucket | None = None,
        timeout: float = 30.0,
        counter: ByteCounter | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.bucket = bucket or TokenBucket(0)
        self.timeout = timeout
        self.counter = counter or ByteCounter()
        self.stop = threading.Event()
        self._local = threading.local()  # one connection pool per worker thread

    def _http(self) -> httpx.Client:
        client = getattr(self._local, "client", None)
        if client is None:
            client = httpx.Client(
                base_url=self.base_url,
                timeout=httpx.Timeout(self.timeout, connect=5.0),
                headers={"Authorization": f"Bearer {self.token}"},
            )
            self._local.client = client
        return client

    def put_segment(self, seg: SegmentLike) -> Outcome:
        body = Path(seg.path).read_bytes()
        headers = {
            segments.HEADER_SHA256: seg.sha256,
            segments.HEADER_START: segments.format_time(seg.start),
            segments.HEADER_DURATION: f"{seg.duration:.3f}",
            segments.HEADER_CLOCK_SYNCED: "1" if seg.clock_synced else "0",
            "Content-Type": segments.SEGMENT_CONTENT_TYPE,
        }
        expected = {"camera_id": seg.camera_id, "run_id": seg.run_id, "seq": seg.seq, "sha256": seg.sha256}
        return self._put(segments.segment_path(seg.camera_id, seg.run_id, seg.seq), body, headers, _echoes(expected))

    def put_init(self, camera_id: str, run_id: str, path: Path | str) -> Outcome:
        body = Path(path).read_bytes()
        sha256 = hashlib.sha256(body).hexdigest()
        headers = {segments.HEADER_SHA256: sha256, "Content-Type": segments.INIT_CONTENT_TYPE}
        expected = {"camera_id": camera_id, "run_id": run_id, "sha256": sha256}
        return self._put(segments.init_path(camera_id, run_id), body, headers, _echoes(expected))

    def post_gaps(self, camera_id: str, gaps: list[GapLike]) -> Outcome:
        report = segments.GapReport(gaps=[segments.Gap(start=g.start, end=g.end, reason=g.reason) for g in gaps])
        return self._json("POST", segments.gaps_path(camera_id), report.model_dump(mode="json"), _has_int("recorded"))

    def put_holdings(self, camera_id: str, ranges: list[tuple[datetime, datetime]], reported_at: datetime) -> Outcome:
        holdings = segments.Holdings(
            ranges=[segments.TimeRange(start=s, end=e) for s, e in ranges], reported_at=reported_at
        )
        payload = holdings.model_dump(mode="json")
        return self._json("PUT", segments.holdings_path(camera_id), payload, _has_bool("accepted"))

    def put_motion(self, camera_id: str, motion_id: str, report: motion.MotionReport) -> Outcome:
        """Stored when the receipt echoes the id and, for an ended event, says the portal holds its end."""
        expected = {"motion_id": motion_id, "ended": report.end is not None}
        payload = report.model_dump(mode="json")
        return self._json("PUT", motion.motion_path(camera_id, motion_id), payload, _echoes(expected))

    def put_light(self, camera_id: str, run_id: str, seq: int, body: bytes, duration: float) -> Outcome:
        """One light live segment (MPEG-TS); live only, so the caller never retries it (docs/live-light.md)."""
        sha256 = hashlib.sha256(body).hexdigest()
        headers = {
            segments.HEADER_SHA256: sha256,
            segments.HEADER_DURATION: f"{duration:.3f}",
            "Content-Type": light.LIGHT_CONTENT_TYPE,
        }
        expected = {"camera_id": camera_id, "run_id": run_id, "seq": seq, "sha256": sha256}
        return self._put(light.light_path(camera_id, run_id, seq), body, headers, _echoes(expected))

    def close(self) -> None:
        client = getattr(self._local, "client", None)
        if client is not None:
            client.close()

    def _put(self, path: str, body: bytes, headers: dict[str, str], receipt: "Receipt") -> Outcome:
        # Explicit Content-Length: the body streams through the token bucket yet is not chunk-encoded.
        headers = {**headers, "Content-Length": str(len(body))}
        # Uncapped: the body goes out in one write (16 KiB generator steps cost ~10% of a LAN upload's time).
        content = self._paced(body) if not self.bucket.unlimited else self._counted(body)
        try:
            response = self._http().put(path, content=content, headers=headers)
        except httpx.HTTPError as exc:
            return Outcome("retry", 0, f"{type(exc).__name__}: {exc}")
        return _classify(response, receipt)

    def _json(self, method: str, path: str, payload: dict, receipt: "Receipt") -> Outcome:
        try:
            response = self._http().request(method, path, json=payload)
        except httpx.HTTPError as exc:
            return Outcome("retry", 0, f"{type(exc).__name__}: {exc}")
        return _classify(response, receipt)

    def _counted(self, body: bytes) -> Iterator[bytes]:
        if self.stop.is_set():
            raise httpx.WriteError("uploader stopping")
        yield body
        self.counter.add(len(body))

    def _paced(self, body: bytes) -> Iterator[bytes]:
        view = memoryview(body)
        for offset in range(0, len(body), CHUNK):
            chunk = view[offset : offset + CHUNK]
            if not self.bucket.take(len(chunk), self.stop):
                raise httpx.WriteError("uploader stopping")
            yield bytes(chunk)
            self.counter.add(len(chunk))


Receipt = Callable[[object], str]  # the answer's JSON -> "" when it confirms the upload, else what is wrong


def _echoes(expected: Mapping[str, object]) -> Receipt:
    def check(answer: object) -> str:
        if not isinstance(answer, dict):
            return "not a JSON object"
        wrong = [f"{k}={answer.get(k)!r} (sent {v!r})" for k, v in expected.items() if answer.get(k) != v]
        return ", ".join(wrong)

    return check


def _has_bool(field: str) -> Receipt:
    """The portal's holdings answer: {"accepted": true|false} (false = an older report than the stored one)."""

    def check(answer: object) -> str:
        ok = isinstance(answer, dict) and isinstance(answer.get(field), bool)
        return "" if ok else f"no {field!r} flag"

    return check


def _has_int(field: str) -> Receipt:
    def check(answer: object) -> str:
        ok = isinstance(answer, dict) and isinstance(answer.get(field), int) and not isinstance(answer[field], bool)
        return "" if ok else f"no {field!r} count"

    return check


def _classify(response: httpx.Response, receipt: Receipt) -> Outcome:
    status = response.status_code
    if 200 <= status < 300:
        problem = _receipt_problem(response, receipt)
        if not problem:
            return Outcome("stored", status)
        # Status 0: like no answer at all (the uploader backs off everything), since this was not the portal.
        why = f"HTTP {status} without the portal's receipt ({problem}): a captive portal or proxy?"
        return Outcome("retry", 0, why)
    detail = response.text[:300]
    if status in REFUSED:
        return Outcome("refused", status, detail)
    return Outcome("retry", status, detail)  # 400 (checksum: the bytes were damaged on the way), 429, 5xx


def _receipt_problem(response: httpx.Response, receipt: Receipt) -> str:
    if response.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        return f"content-type {response.headers.get('content-type', '')!r}"
    try:
        answer = response.json()
    except ValueError:
        return "not JSON"
    return receipt(answer)
