"""Frame differencing against a running average, on small grey frames (numpy only, no decoding here).

Per frame: the background is corrected for a global brightness/contrast change (a linear fit), the
absolute difference is thresholded by the sensitivity, ignored zones are cleared, and the changed pixels are
counted in 8x8 cells so that sensor noise (isolated pixels) never adds up to an area. A change over
``max_area`` of the frame is a lighting change (lights on, the camera's IR switching): no motion, and the
background is taken afresh. Motion starts at the first of two consecutive frames with at least ``min_area``
changed and ends at the last such frame once ``hold_seconds`` passed without one. A moving cell changed
against the background and it or a neighbour against the picture RECENT_SECONDS ago (what stopped is still).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from edge.motion.config import MotionConfig

WIDTH = 160  # analysis width (px); the height follows the aspect ratio, in whole cells
CELL = 8
CELL_FILL = 0.3  # a cell counts as moving when this share of its pixels changed, and a neighbour cell did too
# (compression artefacts flicker in lone cells along sharp edges, at every keyframe)
START_FRAMES = 2
LEARN_RATE = 0.1  # background update of still pixels per analysed frame (~2 s memory at 5 fps) ...
CHANGED_LEARN_RATE = 0.02  # ... and of changed ones: something that stops fades into the background in ~10 s
RECENT_SECONDS = 0.5  # moving = changed against the background *and* near a change against the picture this
# long ago, so something that stops (a parked car) ends its motion at once and no trail in the background counts
RECENT_FILL = 0.1
WARMUP_FRAMES = 5  # the first frames of a stream only teach the background (a decoder's first pictures)
LIGHT_STEP = 6.0  # mean grey-level jump between background and frame that is a lighting change ...
LIGHT_GAIN = 0.08  # ... or contrast (gain) jump


def _cells(mask: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Share of set pixels in each CELL x CELL cell."""
    return mask[: rows * CELL, : cols * CELL].reshape(rows, CELL, cols, CELL).mean(axis=(1, 3))


def _dilate(cells: np.ndarray) -> np.ndarray:
    """Cells set or next to a set one (8-neighbourhood)."""
    out = cells.copy()
    out[1:, :] |= cells[:-1, :]
    out[:-1, :] |= cells[1:, :]
    grown = out.copy()
    grown[:, 1:] |= out[:, :-1]
    grown[:, :-1] |= out[:, 1:]
    return grown


def _with_neighbour(cells: np.ndarray) -> np.ndarray:
    """Cells that have at least one moving 4-neighbour."""
    near = np.zeros_like(cells)
    near[1:, :] |= cells[:-1, :]
    near[:-1, :] |= cells[1:, :]
    near[:, 1:] |= cells[:, :-1]
    near[:, :-1] |= cells[:, 1:]
    return cells & near


def _fit(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Least-squares y ~ gain * x + offset (gain 1 when x is flat)."""
    mx, my = float(x.mean()), float(y.mean())
    var = float(((x - mx) ** 2).mean())
    gain = float(((x - mx) * (y - my)).mean()) / var if var > 1.0 else 1.0
    return gain, my - gain * mx


def analysis_size(width: int, height: int) -> tuple[int, int]:
    """(w, h) of the analysed frame for a source of width x height: WIDTH wide, whole cells high."""
    rows = max(1, round(WIDTH * height / max(width, 1) / CELL))
    return WIDTH, rows * CELL


def threshold(sensitivity: int) -> float:
    """Grey-level difference that counts as change: 48 at sensitivity 1, 28 at 50, 8 at 100."""
    return 8.0 + (100 - sensitivity) * 0.4


@dataclass(frozen=True)
class Transition:
    kind: str  # "start" | "end"
    at: datetime
    area: float  # % of the frame moving (start: at that frame; end: the peak of the event)


@dataclass(frozen=True)
class FrameVerdict:
    area: float  # % of the (unmasked) frame moving
    lighting: bool  # the whole frame changed: ignored


class MotionDetector:
    """Feed grey frames (uint8, H x W, all the same size) with their times; get start/end transitions."""

    def __init__(self, config: MotionConfig) -> None:
        self.config = config
        self.threshold = threshold(config.sensitivity)
        self._bg: np.ndarray | None = None
        self._valid: np.ndarray | None = None  # pixels outside the ignored zones
        self._valid_cells: np.ndarray | None = None
        self._run = 0  # consecutive frames over min_area
        self._first_at: datetime | None = None
        self.active_since: datetime | None = None
        self._last_motion: datetime | None = None
        self._peak = 0.0
        self._frames = 0
        self._recent: deque[np.ndarray] = deque()
        self._depth = max(1, round(RECENT_SECONDS * config.fps))

    def _setup(self, shape: tuple[int, int]) -> None:
        h, w = shape
        valid = np.ones((h, w), dtype=bool)
        for zone in self.config.zones:
            x0, y0 = math.floor(zone.x * w), math.floor(zone.y * h)
            x1, y1 = math.ceil((zone.x + zone.w) * w), math.ceil((zone.y + zone.h) * h)
            valid[y0:y1, x0:x1] = False
        self._valid = valid
        ch, cw = h // CELL, w // CELL
        cells = valid[: ch * CELL, : cw * CELL].reshape(ch, CELL, cw, CELL).mean(axis=(1, 3))
        self._valid_cells = cells >= 0.5

    def verdict(self, gray: np.ndarray) -> FrameVerdict:
        """Compare one frame with the background and update it."""
        frame = gray.astype(np.float32)
        if self._bg is None or self._bg.shape != frame.shape:
            self._setup(frame.shape)
            self._bg = frame
            self._recent.clear()
            return FrameVerdict(0.0, False)
        assert self._valid is not None and self._valid_cells is not None
        bg = self._bg
        valid = self._valid
        if not valid.any():
            return FrameVerdict(0.0, False)
        # Lights dimming or brightening change every pixel alike: fit frame ~ gain * background + offset over
        # the still pixels (twice: the second fit leaves out what the first found moving) and compare with that.
        still = valid
        gain, offset = 1.0, 0.0
        for _ in range(2):
            gain, offset = _fit(bg[still], frame[still])
            changed = (np.abs(frame - (bg * gain + offset)) > self.threshold) & valid
            still = valid & ~changed
            if not still.any():
                break
        share = float(changed.sum()) / float(valid.sum()) * 100.0
        mean_bg = float(bg[valid].mean())
        jump = abs(gain * mean_bg + offset - mean_bg) > LIGHT_STEP or abs(gain - 1.0) > LIGHT_GAIN
        if share > self.config.max_area or jump:
            self._bg = frame  # a lighting change: learn the new scene at once
            self._recent.clear()
            return FrameVerdict(share, True)
        self._recent.append(frame)
        if len(self._recent) > self._depth + 1:
            self._recent.popleft()
        past = self._recent[0]
        h, w = frame.shape
        ch, cw = h // CELL, w // CELL
        fill = _cells(changed, ch, cw)
        cells = (fill >= CELL_FILL) & self._valid_cells
        if past is not frame:
            # Still moving: some change against the picture RECENT_SECONDS ago in the cell or next to it (a
            # uniform object moving slowly changes only at its edges; one that stopped changes nowhere).
            lately = _cells((np.abs(frame - past) > self.threshold) & valid, ch, cw) >= RECENT_FILL
            cells &= _dilate(lately)
        moving = _with_neighbour(cells)
        total = int(self._valid_cells.sum()) or 1
        area = float(moving.sum()) / total * 100.0
        rate = np.where(changed, CHANGED_LEARN_RATE, LEARN_RATE).astype(np.float32)
        self._bg = bg + rate * (frame - bg)
        return FrameVerdict(area, False)

    def feed(self, at: datetime, gray: np.ndarray) -> list[Transition]:
        verdict = self.verdict(gray)
        self._frames += 1
        out: list[Transition] = []
        moving = not verdict.lighting and verdict.area >= self.config.min_area and self._frames > WARMUP_FRAMES
        if moving:
            self._run += 1
            if self._run == 1:
                self._first_at = at
            self._last_motion = at
            if self.active_since is None and self._run >= START_FRAMES:
                self.active_since = self._first_at or at
                self._peak = verdict.area
                out.append(Transition("start", self.active_since, verdict.area))
            elif self.active_since is not None:
                self._peak = max(self._peak, verdict.area)
        else:
            self._run = 0
        if (
            self.active_since is not None
            and self._last_motion is not None
            and at - self._last_motion >= timedelta(seconds=self.config.hold_seconds)
        ):
            out.append(Transition("end", self._last_motion, self._peak))
            self.active_since = None
        return out

    def finish(self) -> list[Transition]:
        """The stream ended: close an event still open at its last moving frame."""
        if self.active_since is None or self._last_motion is None:
            return []
        self.active_since = None
        return [Transition("end", self._last_motion, self._peak)]
