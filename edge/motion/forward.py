"""Store-and-forward of motion events to the portal: `event/motion` over the box's MQTT link.

Each event goes as two messages, start (with the thumbnail) and end, with ids derived from the event's, so a
message re-sent after a lost acknowledgement is stored once by the portal. The catalogue row is marked sent
only after the broker's PUBACK; while the uplink is down rows just wait (they are pruned with the archive's
retention only once sent).
"""

from __future__ import annotations

import base64
import logging
import threading

from cloud_sync.box_link import BoxLink
from cloud_sync.messages import Event
from edge.motion.events import MotionEvent, MotionLog

log = logging.getLogger(__name__)
RETRY_SECONDS = 5.0


def motion_message(event: MotionEvent, phase: str) -> Event:
    data: dict[str, object] = {
        "motion_id": event.id,
        "phase": phase,
        "start": event.start.isoformat(),
        "end": event.end.isoformat() if event.end is not None and phase == "end" else None,
        "peak_area": round(event.peak_area, 2),
    }
    if phase == "start" and event.thumbnail:
        data["thumbnail_jpeg_base64"] = base64.b64encode(event.thumbnail).decode()
    return Event(id=f"{event.id}-{phase}", type="motion", camera_id=event.camera_id, data=data)


class MotionForwarder:
    def __init__(self, motion_log: MotionLog, link: BoxLink) -> None:
        self.log = motion_log
        self.link = link
        self.sent = 0
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
            self._wake.wait(RETRY_SECONDS)
            self._wake.clear()
            try:
                while not self._stop.is_set() and self.send_pending():
                    pass
            except Exception:
                log.exception("motion forwarding failed; retrying")

    def send_pending(self) -> bool:
        """Send one batch; True when a full batch went (more may wait)."""
        batch = self.log.unsent(limit=50)
        for event in batch:
            phases = ([] if event.sent_start else ["start"]) + (
                ["end"] if event.end is not None and not event.sent_end else []
            )
            for phase in phases:
                if not self.link.publish_event_acked(motion_message(event, phase)):
                    return False  # uplink down: the rest waits for the next connection
                self.log.mark_sent(event.id, phase)
                self.sent += 1
        return len(batch) == 50
