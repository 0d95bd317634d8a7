"""Prometheus metrics of the portal, served as text at ``/metrics`` (docs/ARCHITECTURE.md, "Metrics").

Counters: HTTP requests by method, route template (never the raw path: ids would explode the label set)
and status; ingested segments and bytes; logins by outcome. Several workers: ``dozor portal serve
--workers N`` points ``PROMETHEUS_MULTIPROC_DIR`` at a fresh directory before the workers start, and
``/metrics`` then sums every worker's counters (prometheus_client's multiprocess mode); a single worker
keeps them in memory.
"""

import hmac
import ipaddress
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client import REGISTRY as DEFAULT_REGISTRY
from starlette.routing import BaseRoute, Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

HTTP_REQUESTS = Counter(
    "dozor_http_requests", "HTTP requests answered, by route template and status", ["method", "route", "status"]
)
INGESTED_SEGMENTS = Counter("dozor_ingest_segments", "Media segments stored by ingest (new, not repeats)")
INGESTED_BYTES = Counter("dozor_ingest_bytes", "Bytes of media segments stored by ingest (new, not repeats)")
HTTP_SECONDS = Histogram(
    "dozor_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
UPLOAD_SECONDS = Histogram(
    "dozor_ingest_upload_seconds",
    "Time to store a received segment: object put plus index row (whole PUTs: dozor_http_request_duration_seconds)",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
# Consumer lag: from the box's timestamp on a message to the commit that stored it (same clock source on a
# synchronised box; the telemetry lag of docs/OPERATIONS.md).
MQTT_LAG = Histogram(
    "dozor_mqtt_consumer_lag_seconds",
    "Box timestamp to database commit of MQTT messages, by kind",
    ["kind"],
    buckets=(0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 5, 10, 30, 60, 300),
)
MQTT_COMMIT_DELAY = Histogram(
    "dozor_mqtt_commit_delay_seconds",
    "This worker's share of the lag: its receipt of an MQTT message to the commit that stored it",
    buckets=(0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 5, 10, 30, 60, 300),
)
MQTT_APPLIED = Counter("dozor_mqtt_messages_applied", "MQTT messages that changed the database, by kind", ["kind"])
MQTT_BATCH_SECONDS = Histogram(
    "dozor_mqtt_batch_seconds",
    "Time to apply and commit one batch of MQTT messages",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10),
)
MQTT_QUEUE = Gauge(
    "dozor_mqtt_queue_depth", "MQTT messages received and not yet committed (all workers)", multiprocess_mode="livesum"
)
JOB_SECONDS = Histogram(
    "dozor_job_duration_seconds",
    "Duration of one pass of a periodic job, by job",
    ["job"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300),
)
JOB_FAILURES = Counter("dozor_job_failures", "Periodic job passes that raised, by job", ["job"])
LOGINS = Counter("dozor_logins", "Sessions opened (ok, by kind) and wrong credentials (failed)", ["kind", "result"])


def login_ok(kind: str) -> None:
    LOGINS.labels(kind, "ok").inc()


def login_failed(kind: str) -> None:
    LOGINS.labels(kind, "failed").inc()


def segment_ingested(size: int) -> None:
    INGESTED_SEGMENTS.inc()
    INGESTED_BYTES.inc(size)


def prepare_multiprocess(data_dir: Path) -> None:
    """Before uvicorn starts several workers: one fresh directory where every worker writes its counters."""
    if os.environ.get(MULTIPROC_ENV):
        return
    folder = (data_dir / "prometheus").resolve()
    shutil.rmtree(folder, ignore_errors=True)  # counters of a previous run must not be added to this one's
    folder.mkdir(parents=True)
    os.environ[MULTIPROC_ENV] = str(folder)


def _exposition() -> bytes:
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(DEFAULT_REGISTRY)


class RequestCounter:
    """ASGI middleware: one count per answered request, labelled with the route that matched."""

    def __init__(self, app: ASGIApp, routes: Callable[[], list[BaseRoute]]) -> None:
        self.app, self.routes = app, routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500  # what the server answers when the app raises before starting a response
        before = dict(scope)  # routing rewrites root_path under a mount; match mounts against the original

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_and_note)
        finally:
            route = self._template(scope, before)
            HTTP_REQUESTS.labels(scope["method"], route, str(status)).inc()
            HTTP_SECONDS.labels(scope["method"], route).observe(time.perf_counter() - started)

    def _template(self, scope: Scope, before: Scope) -> str:
        """The matched route's path template; mounts (/static) set no route in the scope, so look them up."""
        route = scope.get("route")
        if route is not None:
            return route.path
        for candidate in self.routes():
            if isinstance(candidate, Mount) and candidate.matches(before)[0] == Match.FULL:
                return candidate.path
        return "unmatched"


def install(app: FastAPI) -> None:
    app.add_middleware(RequestCounter, routes=lambda: app.routes)

    @app.get("/metrics", tags=["ops"], include_in_schema=False)
    def metrics(request: Request) -> Response:
        """Prometheus text format, for a scraper on ``DOZOR_METRICS_ALLOW`` (CIDRs, the socket's peer address:
        scrape directly, not through the public proxy) or presenting ``Authorization: Bearer $DOZOR_METRICS_TOKEN``."""
        settings = request.app.state.services.settings
        peer = request.client.host if request.client else ""
        if not _allowed(peer, settings.metrics_allow):
            token = settings.metrics_token
            if not token:
                raise HTTPException(403, f"metrics: client {peer or '?'} is not in metrics_allow and no token is set")
            if not hmac.compare_digest(request.headers.get("authorization", ""), f"Bearer {token}"):
                raise HTTPException(401, "metrics: a bearer token is required", headers={"WWW-Authenticate": "Bearer"})
        return Response(_exposition(), media_type=CONTENT_TYPE_LATEST)


def _allowed(peer: str, cidrs: list[str]) -> bool:
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(cidr, strict=False) for cidr in cidrs)


def job_pass(job: str, seconds: float, failed: bool) -> None:
    JOB_SECONDS.labels(job).observe(seconds)
    if failed:
        JOB_FAILURES.labels(job).inc()
