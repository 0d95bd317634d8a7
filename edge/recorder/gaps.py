"""Typing the time between runs: one open gap per camera, closed when video resumes or its reason changes."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from edge.archive.catalogue import Catalogue, GapRecord
from edge.archive.layout import to_ms

log = logging.getLogger(__name__)


class GapTracker:
    """Holds the open gap (start, reason) of one camera and writes closed gaps to the catalogue.

    A gap starts at the end of the last recorded segment (or the last recorded gap, after a box restart)
    and ends at the first segment of the next run. When the reason changes mid-outage (e.g. the camera
    comes back with a new password), the gap is split at that moment, so each piece has one true reason.
    """

    def __init__(self, camera_id: str, catalogue: Catalogue, emit: Callable[[str, dict[str, Any]], None]) -> None:
        self.camera_id = camera_id
        self.catalogue = catalogue
        self.emit = emit
        self.open: tuple[datetime, str] | None = None

    def after_box_start(self) -> None:
        """The box was not recording this camera since the last thing we know of it: box_down."""
        last = self.catalogue.last_known_end(self.camera_id)
        if last is not None:
            self.open = (last, "box_down")

    @property
    def reason(self) -> str | None:
        return self.open[1] if self.open else None

    def run_ended(self, end: datetime, reason: str) -> None:
        self.open = (end, reason)

    def failed(self, at: datetime, reason: str) -> None:
        """A recording attempt failed for `reason` at `at`."""
        if self.open is None:
            self.open = (at, reason)  # nothing recorded yet to bound it: the outage starts now
            return
        start, current = self.open
        if reason == current:
            return
        if to_ms(at) > to_ms(start):
            self._close(start, at, current)
            self.open = (at, reason)
        else:
            self.open = (start, reason)

    def run_started(self, first_segment_start: datetime) -> None:
        if self.open is not None:
            start, reason = self.open
            self._close(start, first_segment_start, reason)
        self.open = None

    def _close(self, start: datetime, end: datetime, reason: str) -> GapRecord | None:
        gap = self.catalogue.add_gap(self.camera_id, start, end, reason)
        if gap is not None:
            log.info("%s: gap %s .. %s (%s)", self.camera_id, start.isoformat(), end.isoformat(), reason)
            self.emit("gap", {"camera_id": self.camera_id, "gap": gap})
        return gap
