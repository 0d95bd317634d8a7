"""Run N simulated boxes for S seconds and summarise what they did (``dozor sim boxes``)."""

import logging
import random
import resource
import statistics
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from dozor.sim.boxes import Counters, SimBox, SimOptions, UploadLane, segment_for, segment_start
from dozor.sim.media import make_clip
from dozor.sim.mqtt_loop import MqttLoop
from dozor.sim.provision import SimBoxCredentials

log = logging.getLogger("dozor.sim")


def raise_open_files() -> int:
    """Two sockets per box (MQTT, HTTP) plus the rest: lift the soft limit to the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


@dataclass
class SimRun:
    boxes: list[SimBox]
    counters: Counters
    options: SimOptions
    seconds: float
    wall_seconds: float
    drained: bool

    def summary(self) -> dict[str, Any]:
        c = self.counters
        latency = sorted(c.upload_latency)
        return {
            "boxes": len(self.boxes),
            "cameras_per_box": self.options.cameras,
            "seconds": self.seconds,
            "wall_seconds": round(self.wall_seconds, 1),
            "segments": {
                "due": c.segments_due,
                "stored": c.segments_stored,
                "refused": c.segments_refused,
                "retries": c.upload_retries,
                "all_stored": c.segments_stored == c.segments_due,
            },
            "upload_latency_s": _quantiles(latency),
            "segments_per_s_offered": round(c.segments_due / self.seconds, 2) if self.seconds else 0,
            "mqtt": {
                "connects": c.connects,
                "disconnects": c.disconnects,
                "telemetry": c.telemetry,
                "events": c.events,
                "events_acknowledged": sum(len(b.events) for b in self.boxes),
                "commands_executed": c.commands_executed,
                "command_repeats": c.command_repeats,
            },
            "drained": self.drained,
        }


def _quantiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p99": None, "max": None}
    p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
    return {"p50": round(statistics.median(values), 3), "p99": round(p99, 3), "max": round(values[-1], 3)}


class Simulation:
    """Start with ``start()``; ``finish()`` stops producing, waits until every due segment is stored, ends."""

    def __init__(self, creds: list[SimBoxCredentials], options: SimOptions, clip_dir: Path) -> None:
        raise_open_files()
        self.options = options
        self.clip = make_clip(clip_dir, options.segment_seconds)
        self.counters = Counters()
        self.loop = MqttLoop()
        self.lanes = [UploadLane(options, self.counters, self.clip) for _ in range(max(1, options.upload_lanes))]
        self.boxes = [SimBox(c, options, self.loop, self.counters) for c in creds]
        self.producing = False
        self.t0 = 0.0

    def start(self) -> "Simulation":
        for lane in self.lanes:
            lane.start()
        self.loop.start()
        self.producing = True
        self.t0 = time.monotonic()
        self.loop.call_soon(self._schedule)
        return self

    def _lane(self, index: int) -> UploadLane:
        return self.lanes[index % len(self.lanes)]

    def _schedule(self) -> None:
        opts = self.options
        spread = min(5.0, 0.01 * len(self.boxes))  # do not connect 500 clients in the same millisecond
        for index, box in enumerate(self.boxes):
            start = self.t0 + spread * index / max(1, len(self.boxes))
            self.loop.at(start, box.connect)
            self._every(start + random.random() * opts.telemetry_seconds, opts.telemetry_seconds, box.publish_telemetry)
            if opts.events_per_minute > 0:
                period = 60.0 / opts.events_per_minute
                self._every(start + 1 + random.random() * period, period, box.publish_event)
            lane = self._lane(index)
            for camera_id in box.cameras:
                lane.jobs.put((box, camera_id, None, start))
                phase = random.random() * opts.segment_seconds
                self.loop.at(start + phase + opts.segment_seconds, self._segment_done(box, lane, camera_id, 0, phase))

    def _every(self, first: float, period: float, work) -> None:
        def tick() -> None:
            if not self.producing:
                return
            work()
            self.loop.at(time.monotonic() + period, tick)

        self.loop.at(first, tick)

    def _segment_done(self, box: SimBox, lane: UploadLane, camera_id: str, seq: int, phase: float):
        def done() -> None:
            if not self.producing:
                return
            seconds = self.options.segment_seconds
            start = segment_start(box.origin + timedelta(seconds=phase), seq, seconds)
            lane.jobs.put(
                (box, camera_id, segment_for(box, self.clip, camera_id, seq, start, seconds), time.monotonic())
            )
            with self.counters.lock:
                self.counters.segments_due += 1
            self.loop.at(time.monotonic() + seconds, self._segment_done(box, lane, camera_id, seq + 1, phase))

        return done

    def finish(self, drain_timeout: float = 300.0) -> bool:
        """Stop producing; wait (up to drain_timeout) until every due segment is stored; disconnect the boxes."""
        self.loop.call_soon(self._stop_producing)
        time.sleep(0.2)
        deadline = time.monotonic() + drain_timeout
        drained = False
        while time.monotonic() < deadline:
            if all(lane.jobs.unfinished_tasks == 0 for lane in self.lanes):
                drained = True
                break
            time.sleep(0.2)
        for lane in self.lanes:
            lane.stop_event.set()
            lane.jobs.put(None)
        settle = time.monotonic() + 30  # the last QoS 1 events get their PUBACK (a lost link: they stay unsent)
        while time.monotonic() < settle and any(box.unacked_events for box in self.boxes):
            time.sleep(0.2)
        self.loop.call_soon(self._close_boxes)
        time.sleep(0.5)
        self.loop.stop()
        for lane in self.lanes:
            lane.join(10)
        return drained

    def _stop_producing(self) -> None:
        self.producing = False

    def _close_boxes(self) -> None:
        for box in self.boxes:
            box.close()


def run(creds: list[SimBoxCredentials], options: SimOptions, seconds: float, clip_dir: Path) -> SimRun:
    sim = Simulation(creds, options, clip_dir).start()
    started = time.monotonic()
    time.sleep(seconds)
    drained = sim.finish()
    return SimRun(sim.boxes, sim.counters, options, seconds, time.monotonic() - started, drained)
