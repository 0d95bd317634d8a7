"""Store-and-forward of motion events to the portal's ingest (cloud_sync/motion.py).

An event is PUT when it starts (with its thumbnail, so a notification can go out while it lasts) and again
when it ends. A row is marked sent only on the portal's receipt; while the uplink is down rows wait and go,
oldest first, once it is back (they are pruned with the archive's retention only once sent).
"""

from __future__ import annotations

import base64
import logging
import threading

from cloud_sync.ingest_client import IngestClient
from cloud_sync.motion import MotionReport
from edge.motion.events import MotionEvent, MotionLog

log = logging.getLogger(__name__)
RETRY_SECONDS = 5.0
BATCH = 50


def motion_report(event: MotionEvent) -> MotionReport:
    thumbnail = event.thumbnail if event.thumbnail and not event.sent_start else None
    return MotionReport(
        start=event.start,
        end=event.end,
        peak_area=round(min(event.peak_area, 100.0), 2),
        thumbnail_jpeg_base64=base64.b64encode(thumbnail).decode() if thumbnail else None,
    )


class MotionForwarder:
    def __init__(self, motion_log: MotionLog, client: IngestClient) -> None:
        self.log = motion_log
        self.client = client
        self.sent = 0
        self.last_error = ""
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="motion-forward", daemon=True)

    def start(self) -> MotionForwarder:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(15)

    def wake(self) -> None:
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                while not self._stop.is_set() and self.send_pending():
                    pass
            except Exception:
                log.exception("motion forwarding failed; retrying")
            self._wake.wait(RETRY_SECONDS)
            self._wake.clear()

    def send_pending(self) -> bool:
        """Send one batch; True when a full batch went through (more may wait)."""
        batch = self.log.unsent(limit=BATCH)
        for event in batch:
            outcome = self.client.put_motion(event.camera_id, event.id, motion_report(event))
            if outcome.kind == "refused":  # e.g. the camera is no longer this box's: keep it, say why
                self.last_error = f"motion {event.id}: HTTP {outcome.status} {outcome.detail}"
                log.warning("portal refused %s", self.last_error)
                continue
            if not outcome.stored:
                self.last_error = outcome.detail
                return False  # uplink down or a hiccup: the rest waits for the next try
            self.log.mark_sent(event.id, "start")
            if event.end is not None:
                self.log.mark_sent(event.id, "end")
            self.sent += 1
        return len(batch) == BATCH
