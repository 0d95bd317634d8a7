"""Store-and-forward upload: drains the box's catalogue to the portal, requested ranges first.

One scheduler thread owns every catalogue call (SQLite connections stay on one thread); a small pool of
workers does the HTTP PUTs. Nothing is marked uploaded until the portal said it holds the bytes, so any
interruption (uplink, portal, box power) just means the segment is sent again, and the portal deduplicates.

The scheduler keeps one more segment per worker queued in the pool than there are workers: a worker that
finishes a PUT starts the next at once instead of idling while the scheduler records the receipt and queries
the catalogue (that pause cost ~15% of a LAN upload's throughput against plain back-to-back PUTs).
"""

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import cast

from cloud_sync.catalogue import SegmentLike, UploadCatalogue
from cloud_sync.ingest_client import IngestClient, Outcome

log = logging.getLogger("cloud_sync.uploader")
OUTAGE_LOG_EVERY = 300.0  # seconds between repeated "portal unreachable" warnings during one outage

SKIPPED = "skipped"  # an Outcome kind only the uploader uses: a queued PUT not sent because uploads paused
PRIORITY_LIVE = 5
PRIORITY_BACKLOG = 0


@dataclass(order=True)
class RangeRequest:
    """upload.range: a stretch the portal wants now (a subscriber is watching it)."""

    priority: int
    camera_id: str = field(compare=False)
    start: datetime = field(compare=False)
    end: datetime = field(compare=False)


@dataclass
class UploaderStats:
    segments_uploaded: int = 0
    inits_uploaded: int = 0
    retries: int = 0
    refused: int = 0
    last_error: str = ""
    last_success_at: datetime | None = None


class Uploader:
    def __init__(
        self,
        catalogue: UploadCatalogue,
        client: IngestClient,
        concurrency: int = 2,
        live_window: timedelta = timedelta(minutes=2),
        max_backoff: float = 10.0,
        holdings_interval: float = 60.0,
        camera_ids: Callable[[], list[str]] | None = None,
    ) -> None:
        self.catalogue = catalogue
        self.client = client
        self.concurrency = max(1, concurrency)
        self.depth = 2 * self.concurrency  # PUTs submitted at once: every worker busy plus one queued each
        self.live_window = live_window
        self.max_backoff = max_backoff
        self.holdings_interval = holdings_interval
        self.camera_ids = camera_ids
        self.stats = UploaderStats()
        self._requests: list[RangeRequest] = []
        self._inbox: queue.Queue[tuple[str, object]] = queue.Queue()
        self._inflight: set[int] = set()
        self._cooldown: dict[int, float] = {}  # segment id -> monotonic time before which it is not retried
        self._failures: dict[int, int] = {}
        self._backoff = 0.0
        self._paused_until = 0.0
        self._next_holdings = 0.0
        self._next_gaps = 0.0
        self._init_failed: set[tuple[str, str]] = set()
        self._last_outage_log = 0.0
        self._stop = client.stop
        self._pool = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="upload")
        self._thread = threading.Thread(target=self._run, name="uploader", daemon=True)

    # --- control, callable from any thread -------------------------------------------------------------

    def start(self) -> "Uploader":
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._inbox.put(("wake", None))
        self._thread.join(timeout)
        self._pool.shutdown(wait=True, cancel_futures=True)
        self.client.close()

    def request_range(self, camera_id: str, start: datetime, end: datetime, priority: int = 10) -> None:
        self._inbox.put(("range", RangeRequest(priority, camera_id, start, end)))

    def wake(self) -> None:
        """A new segment was committed: look at the catalogue now instead of at the next tick."""
        self._inbox.put(("wake", None))

    @property
    def bytes_sent(self) -> int:
        return self.client.counter.total

    # --- scheduler thread ------------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._cycle()
            except Exception as exc:
                log.exception("upload cycle failed")
                self.stats.last_error = f"{type(exc).__name__}: {exc}"
                self._stop.wait(1.0)
            # Busy: come back as soon as a PUT completes. Idle: a committed segment calls wake().
            self._drain_inbox(timeout=0.5 if self._inflight else 2.0)
        self._drain_inbox(timeout=0)  # record completions of PUTs that finished while stopping

    def _cycle(self) -> None:
        if time.monotonic() < self._paused_until:
            return
        self._upload_inits()
        free = self.depth - len(self._inflight)
        for seg in self._next_segments(free):
            self._inflight.add(seg.id)
            future = self._pool.submit(self._put, seg)
            future.add_done_callback(partial(self._on_done, seg))
        # Reports go while the workers upload (they are requests of their own, sent from this thread).
        now = time.monotonic()
        if now >= self._next_gaps:
            self._next_gaps = now + 5.0
            self._report_gaps()
        self._report_holdings()

    def _put(self, seg: SegmentLike) -> Outcome:
        """A worker's PUT; one queued behind a failure that paused uploads is handed back unsent."""
        if time.monotonic() < self._paused_until:
            return Outcome(SKIPPED)
        return self.client.put_segment(seg)

    def _on_done(self, seg: SegmentLike, future: Future[Outcome]) -> None:
        self._inbox.put(("done", (seg, future)))

    def _drain_inbox(self, timeout: float) -> None:
        """Wait for one message (completion, range request, wake-up), then take all that are queued."""
        try:
            items = [self._inbox.get(timeout=timeout)] if timeout > 0 else []
        except queue.Empty:
            return
        while True:
            try:
                items.append(self._inbox.get_nowait())
            except queue.Empty:
                break
        done: list[int] = []
        for kind, payload in items:
            if kind == "range":
                self._requests.append(payload)  # type: ignore[arg-type]
                self._requests.sort(reverse=True)
            elif kind == "done":
                seg, future = cast(tuple[SegmentLike, "Future[Outcome]"], payload)
                if self._completed(seg, future):
                    done.append(seg.id)
        if done:
            self.catalogue.mark_uploaded(done)
            self.stats.segments_uploaded += len(done)
            self.stats.last_success_at = datetime.now(UTC)

    def _completed(self, seg: SegmentLike, future) -> bool:
        self._inflight.discard(seg.id)
        try:
            outcome: Outcome = future.result()
        except Exception as exc:
            outcome = Outcome("retry", 0, f"{type(exc).__name__}: {exc}")
        if outcome.stored:
            self._backoff = 0.0
            self._failures.pop(seg.id, None)
            self._cooldown.pop(seg.id, None)
            return True
        if outcome.kind != SKIPPED:  # a skipped one was never sent: the next cycle takes it again
            self._failed(seg, outcome)
        return False

    def _failed(self, seg: SegmentLike, outcome: Outcome) -> None:
        self.stats.last_error = f"{seg.camera_id}/{seg.run_id}/{seg.seq}: {outcome.status} {outcome.detail}"
        if self._stop.is_set():
            return
        if outcome.kind == "refused":
            log.warning("upload refused: %s", self.stats.last_error)
            self.stats.refused += 1
            self._cooldown[seg.id] = time.monotonic() + 300  # a human must fix the token or the binding
            return
        self.stats.retries += 1
        if outcome.status == 0 or outcome.status >= 500:
            self._failed_globally(outcome)
            return
        # The portal rejected these bytes (e.g. checksum): retry this one soon, the others go on.
        log.warning("upload failed: %s", self.stats.last_error)
        count = self._failures[seg.id] = self._failures.get(seg.id, 0) + 1
        self._cooldown[seg.id] = time.monotonic() + min(60.0, 0.5 * 2**count)

    def _next_segments(self, free: int) -> list[SegmentLike]:
        if free <= 0:
            return []
        chosen: list[SegmentLike] = []
        skip = set(self._inflight)
        now = time.monotonic()
        skip.update(sid for sid, until in self._cooldown.items() if until > now)
        margin = len(skip) + free
        for request in list(self._requests):
            rows = self.catalogue.pending_uploads(
                limit=margin, camera_id=request.camera_id, start=request.start, end=request.end
            )
            if not rows:
                self._requests.remove(request)  # the range is in the cloud now
            self._take(rows, skip, chosen, free)
        live_start = datetime.now(UTC) - self.live_window
        self._take(self.catalogue.pending_uploads(limit=margin, start=live_start), skip, chosen, free)
        self._take(self.catalogue.pending_uploads(limit=margin), skip, chosen, free)
        return chosen

    def _take(self, rows: Sequence[SegmentLike], skip: set[int], chosen: list[SegmentLike], free: int) -> None:
        for seg in rows:
            if len(chosen) >= free:
                return
            if seg.id in skip or (seg.camera_id, seg.run_id) in self._init_failed:
                continue
            skip.add(seg.id)
            chosen.append(seg)

    def _upload_inits(self) -> None:
        """Each run's init segment goes before its media segments (a download starts with it)."""
        pending = [r for r in self.catalogue.runs_pending_init() if r.init_path]
        self._init_failed = {(r.camera_id, r.run_id) for r in pending}
        for run in pending:
            if self._stop.is_set() or time.monotonic() < self._paused_until:
                return
            outcome = self.client.put_init(run.camera_id, run.run_id, run.init_path)
            if outcome.stored:
                self.catalogue.mark_init_uploaded(run.camera_id, run.run_id)
                self._init_failed.discard((run.camera_id, run.run_id))
                self.stats.inits_uploaded += 1
            else:
                self.stats.last_error = f"init {run.camera_id}/{run.run_id}: {outcome.status} {outcome.detail}"
                if outcome.status == 0 or outcome.status >= 500:
                    self._failed_globally(outcome)
                    return

    def _report_gaps(self) -> None:
        gaps = self.catalogue.unreported_gaps(100)
        by_camera: dict[str, list] = {}
        for gap in gaps:
            by_camera.setdefault(gap.camera_id, []).append(gap)
        for camera_id, items in by_camera.items():
            outcome = self.client.post_gaps(camera_id, items)
            if outcome.stored:
                self.catalogue.mark_gaps_reported([g.id for g in items])
            elif outcome.status == 0 or outcome.status >= 500:
                self._failed_globally(outcome)
                return

    def _report_holdings(self) -> None:
        now = time.monotonic()
        if now < self._next_holdings:
            return
        self._next_holdings = now + self.holdings_interval
        cameras = set(self.camera_ids() if self.camera_ids else []) | set(self.catalogue.backlog())
        for camera_id in sorted(cameras):
            outcome = self.client.put_holdings(camera_id, self.catalogue.holdings(camera_id), datetime.now(UTC))
            if not outcome.stored:
                self._next_holdings = now + 5  # try again soon
                if outcome.status == 0 or outcome.status >= 500:
                    self._failed_globally(outcome)
                    return

    def _failed_globally(self, outcome: Outcome) -> None:
        """The portal or the uplink is down: pause everything with growing waits, and say so once a streak."""
        if self._backoff == 0.0 or time.monotonic() - self._last_outage_log >= OUTAGE_LOG_EVERY:
            self._last_outage_log = time.monotonic()
            why = outcome.detail or f"HTTP {outcome.status}"
            log.warning("portal %s unreachable (%s); keeping video on the box, retrying", self.client.base_url, why)
        self._backoff = min(self.max_backoff, max(0.5, self._backoff * 2))
        self._paused_until = time.monotonic() + self._backoff
