"""The simulated fleet split across several OS processes, so the load generator is not the bottleneck.

One Python process running 500 paho clients and two dozen upload lanes shares one interpreter lock: its
timers fire late (fewer segments are produced than are due) and a telemetry message stamped on time waits for
the lock before it leaves, which the portal then counts as lag. Each child runs a ``Simulation`` of a slice of
the boxes; the parent collects what each did when they finish (the same figures ``Simulation`` keeps, plus
each child's own CPU seconds, reported apart from the portal's).
"""

import multiprocessing
import resource
import time
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection
from pathlib import Path

from dozor.sim.boxes import Counters, SimOptions
from dozor.sim.fleet import Simulation
from dozor.sim.media import make_clip
from dozor.sim.provision import SimBoxCredentials

COUNTED: tuple[str, ...] = (
    *("segments_due", "segments_stored", "segments_refused", "upload_retries", "bytes_stored", "telemetry"),
    *("events", "commands_executed", "command_repeats", "connects", "disconnects"),
)


@dataclass
class BoxRecord:
    """What checks need of a finished simulated box (tests/scale/checks.py reads ``stored`` and ``events``)."""

    device_id: str
    stored: set[tuple[str, str, int]] = field(default_factory=set)
    events: list[str] = field(default_factory=list)
    executed: dict[str, int] = field(default_factory=dict)


def _child(creds: list[SimBoxCredentials], options: SimOptions, clip_dir: Path, pipe: Connection) -> None:
    sim = Simulation(creds, options, clip_dir).start()
    pipe.send("started")
    drain_timeout = pipe.recv()  # the parent says when to stop producing
    drained = sim.finish(drain_timeout=drain_timeout)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    c = sim.counters
    pipe.send(
        {
            "drained": drained,
            "counters": {name: getattr(c, name) for name in COUNTED},
            "upload_latency": c.upload_latency,
            "boxes": [BoxRecord(b.device_id, b.stored, b.events, b.executed) for b in sim.boxes],
            "cpu_s": usage.ru_utime + usage.ru_stime,
        }
    )
    pipe.close()


class ProcessSimulation:
    """``Simulation``'s start/finish over ``processes`` children; ``counters`` and ``boxes`` after finish."""

    def __init__(self, creds: list[SimBoxCredentials], options: SimOptions, clip_dir: Path, processes: int = 4) -> None:
        make_clip(clip_dir, options.segment_seconds)  # once, before the children reuse it
        self.options = options
        count = max(1, min(processes, len(creds)))
        lanes = max(1, options.upload_lanes // count)
        child_options = replace(options, upload_lanes=lanes)
        context = multiprocessing.get_context("spawn")  # no forked copies of the parent's threads and sockets
        self._pipes: list[Connection] = []
        self._children = []
        for index in range(count):
            parent_end, child_end = context.Pipe()
            child = context.Process(
                target=_child, args=(creds[index::count], child_options, clip_dir, child_end), daemon=True
            )
            self._pipes.append(parent_end)
            self._children.append(child)
        self.counters = Counters()
        self.boxes: list[BoxRecord] = []
        self.cpu_s = 0.0

    def start(self) -> "ProcessSimulation":
        for child in self._children:
            child.start()
        for pipe in self._pipes:
            if not pipe.poll(120) or pipe.recv() != "started":
                raise RuntimeError("a simulator process did not start")
        return self

    def finish(self, drain_timeout: float = 300.0) -> bool:
        for pipe in self._pipes:
            pipe.send(drain_timeout)
        drained = True
        deadline = time.monotonic() + drain_timeout + 120
        for pipe, child in zip(self._pipes, self._children, strict=True):
            if not pipe.poll(max(1.0, deadline - time.monotonic())):
                child.kill()
                drained = False
                continue
            result = pipe.recv()
            drained = drained and result["drained"]
            for name, value in result["counters"].items():
                setattr(self.counters, name, getattr(self.counters, name) + value)
            self.counters.upload_latency += result["upload_latency"]
            self.boxes += result["boxes"]
            self.cpu_s += result["cpu_s"]
            child.join(30)
        return drained
