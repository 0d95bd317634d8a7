"""One supervised ffmpeg per camera: start, watch, commit segments, diagnose, back off, restart.

ffmpeg exits with code 0 when a camera dies or freezes, so every exit ends the run and we restart.
A watchdog kills a run that delivers no segment within the camera's stall bound; a wall-clock step
splits the run. Each thread touches only its own camera, so one bad camera never disturbs the others.
"""

from __future__ import annotations

import collections
import contextlib
import ctypes
import logging
import os
import shutil
import signal
import sqlite3
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cloud_sync.segments import format_time, new_run_id
from edge.archive.catalogue import Catalogue
from edge.archive.commit import RunCommitter, SegmentRejected
from edge.archive.layout import from_ms
from edge.clock import Clock, StepDetector
from edge.config import CameraConfig
from edge.recorder import spool
from edge.recorder.backoff import Backoff
from edge.recorder.command import build_command, spool_dir
from edge.recorder.diagnosis import Diagnosis, diagnose, scrub
from edge.recorder.gaps import GapTracker
from edge.recorder.picamera import PicameraFeed, SourceError
from edge.status import CameraStatus, OpenGap

log = logging.getLogger(__name__)

POLL_SECONDS = 0.5  # also bounds the run anchor's error (see commit.py)
CONNECT_GRACE = 10.0  # extra time for the first segment of a run (connect, wait for a keyframe)
BRISK_WINDOW = 60.0  # after a healthy run, poll a vanished camera briskly for this long...
BRISK_LIMIT = 1.0  # ...at most this many seconds apart (each attempt costs ~0.1 s of CPU)
TERMINATE_WAIT = 5.0
Emit = Callable[[str, dict[str, Any]], None]


_PRCTL = ctypes.CDLL(None, use_errno=True).prctl  # resolved before any fork: the child must not dlopen


def _die_with_parent() -> None:
    """In the child: SIGKILL ffmpeg if the recorder dies (even by kill -9), so no orphan keeps writing;
    own session, so a terminal's Ctrl-C reaches only us and we stop ffmpeg in order."""
    os.setsid()
    _PRCTL(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


@dataclass
class RunOutcome:
    segments: int
    diagnosis: Diagnosis
    last_end_ms: int | None


class CameraSupervisor:
    """Records one camera until stopped."""

    def __init__(
        self,
        camera: CameraConfig,
        *,
        data_dir: Path,
        catalogue: Catalogue,
        ffmpeg: str,
        emit: Emit,
        clock: Clock | None = None,
        backoff_cap: float = 30.0,
        disk_ok: Callable[[], bool] = lambda: True,
    ) -> None:
        self.camera = camera
        self.data_dir = data_dir
        self.catalogue = catalogue
        self.ffmpeg = ffmpeg
        self.emit = emit
        self.clock = clock or Clock()
        self.disk_ok = disk_ok
        self.backoff = Backoff(0.5, backoff_cap)
        self.gaps = GapTracker(camera.id, catalogue, emit)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self.state = "starting"
        self.last_error: str | None = None
        self.last_error_detail = ""
        self.restarts = 0
        self.attempts: collections.deque[float] = collections.deque(maxlen=20)  # wall times of launches
        self.run_id: str | None = None
        self.backoff_seconds = 0.0
        self.last_segment_end: int | None = None
        self._last_healthy_mono: float | None = None
        self._up = False

    # --- lifecycle -------------------------------------------------------------------------------------

    def start(self, after_box_start: bool = True) -> None:
        if after_box_start:
            self.gaps.after_box_start()
        latest = self.catalogue.latest_segment(self.camera.id)
        if latest is not None:
            self.last_segment_end = round(latest.end.timestamp() * 1000)
        self._thread = threading.Thread(target=self._loop, name=f"rec-{self.camera.id}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        self._stop.set()
        self._terminate()
        if self._thread is not None:
            self._thread.join(timeout)
        self.state = "stopped"

    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def status(self) -> CameraStatus:
        open_gap = self.gaps.open
        return CameraStatus(
            id=self.camera.id,
            name=self.camera.name,
            kind=self.camera.kind,
            url=self.camera.masked_url(),
            state=self.state,
            last_error=self.last_error,
            last_error_detail=self.last_error_detail,
            restarts=self.restarts,
            backoff_seconds=self.backoff_seconds,
            current_run=self.run_id if self.state == "recording" else None,
            last_segment=format_time(from_ms(self.last_segment_end)) if self.last_segment_end else None,
            open_gap=OpenGap(start=format_time(open_gap[0]), reason=open_gap[1]) if open_gap else None,
        )

    # --- the loop --------------------------------------------------------------------------------------

    def _loop(self) -> None:
        while not self._stop.is_set():
            if not self.disk_ok():
                self._set_down("disk_full", Diagnosis("disk_full", "free disk space below the reserve"))
                self._stop.wait(2.0)
                continue
            try:
                outcome = self._run_once()
            except Exception:
                log.exception("%s: recording run failed", self.camera.id)
                outcome = RunOutcome(0, Diagnosis("exited", "internal error, see log"), None)
            if self._stop.is_set():
                self._end_stopped_run(outcome)
                break
            delay = self._after_run(outcome)
            self.backoff_seconds = delay
            if delay > 0:
                self.state = "backoff"
                self._stop.wait(delay)

    def _run_once(self) -> RunOutcome:
        now = self.clock.wall()
        run_id = new_run_id(from_ms(round(now * 1000)))
        directory = spool_dir(self.data_dir, self.camera.id, run_id)
        directory.mkdir(parents=True, exist_ok=True)
        self.run_id, self.state = run_id, "starting"
        if self.attempts:
            self.restarts += 1
        self.attempts.append(now)
        committer = RunCommitter(
            self.catalogue,
            self.camera.id,
            run_id,
            directory,
            max_duration=4 * self.camera.segment_seconds + 5,
            clock_synced=self.clock.synced,
        )
        lines: collections.deque[str] = collections.deque(maxlen=40)
        feed = PicameraFeed(self.camera) if self.camera.kind == "picamera" else None
        forced: Diagnosis | None = None
        try:
            proc = self._launch(directory, feed)
        except (OSError, SourceError) as exc:
            shutil.rmtree(directory, ignore_errors=True)
            return RunOutcome(0, Diagnosis("exited", f"cannot start: {exc}"), None)
        reader = threading.Thread(target=self._read_stderr, args=(proc, lines), daemon=True)
        reader.start()
        steps = StepDetector(self.clock)
        last_progress = self.clock.mono()
        try:
            while True:
                done = proc.poll() is not None
                if self._commit_ready(committer, directory, done):
                    last_progress = self.clock.mono()
                if done or self._stop.is_set():
                    break
                if not self.disk_ok():
                    forced = Diagnosis("disk_full", "free disk space below the reserve, nothing left to evict")
                    break
                if steps.check() is not None:
                    forced = Diagnosis("clock_step", "the wall clock jumped against the monotonic clock")
                    break
                bound = self.camera.stall_bound() + (0 if committer.anchor else CONNECT_GRACE)
                if self.clock.mono() - last_progress > bound:
                    forced = Diagnosis("stalled", f"no new segment for {bound:.0f}s")
                    break
                self._stop.wait(POLL_SECONDS)
        except (OSError, sqlite3.Error) as exc:
            forced = Diagnosis("disk_full" if "space" in str(exc) or "full" in str(exc) else "exited", str(exc))
        finally:
            if feed is not None:
                feed.stop()
            self._terminate()
            reader.join(2.0)
        try:
            self._commit_ready(committer, directory, True)  # what ffmpeg finished on its way out
        except (OSError, sqlite3.Error) as exc:
            forced = forced or Diagnosis("disk_full", str(exc))
        shutil.rmtree(directory, ignore_errors=True)
        diagnosis = forced or diagnose(list(lines), self._secrets())
        return RunOutcome(1 if committer.anchor else 0, diagnosis, committer.last_end_ms)

    def _launch(self, directory: Path, feed: PicameraFeed | None) -> subprocess.Popen[bytes]:
        argv = build_command(self.camera, self.ffmpeg)
        proc = subprocess.Popen(
            argv,
            cwd=directory,
            stdin=subprocess.PIPE if feed else subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            preexec_fn=_die_with_parent,
        )
        with self._lock:
            self._proc = proc
        if feed is not None:
            assert proc.stdin is not None
            try:
                feed.start(proc.stdin)
            except Exception:
                self._terminate()
                raise
        return proc

    def _read_stderr(self, proc: subprocess.Popen[bytes], lines: collections.deque[str]) -> None:
        assert proc.stderr is not None
        try:
            for raw in proc.stderr:
                line = raw.decode("utf-8", "replace").rstrip()
                if line:
                    lines.append(line)
                    log.debug("%s ffmpeg: %s", self.camera.id, scrub(line, self._secrets()))
        except (ValueError, OSError):
            return  # _terminate closed the pipe under the read: the run is over, nothing more to read

    def _terminate(self) -> None:
        """SIGTERM (ffmpeg then finishes its segment and playlist), SIGKILL if it lingers."""
        with self._lock:
            proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(TERMINATE_WAIT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for stream in (proc.stdin, proc.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()

    def _commit_ready(self, committer: RunCommitter, directory: Path, ffmpeg_done: bool) -> bool:
        progressed = False
        for seq in spool.finished_segments(directory, ffmpeg_done):
            if seq <= committer.last_seq:
                continue
            try:
                done = committer.commit(seq, spool.segment_file(directory, seq), round(self.clock.wall() * 1000))
            except SegmentRejected as exc:
                log.warning("%s", exc)
                progressed = True  # ffmpeg produced output: not a stall, but nothing to catalogue
                committer.last_seq = seq
                continue
            progressed = True
            self.last_segment_end = committer.last_end_ms
            if done.first:
                self.gaps.run_started(done.segment.start)
                self.state = "recording"
                self._up = True
                self.last_error, self.last_error_detail = None, ""
                self.emit("camera_up", {"camera_id": self.camera.id, "run_id": done.run.run_id})
            self.emit("segment", {"camera_id": self.camera.id, "segment": done.segment})
        return progressed

    # --- after a run -------------------------------------------------------------------------------------

    def _after_run(self, outcome: RunOutcome) -> float:
        """Record why the run ended, and return the delay before the next attempt."""
        diagnosis = outcome.diagnosis
        reason = diagnosis.gap_reason
        if outcome.segments:
            if diagnosis.error == "timeout":
                reason = "stalled"  # the session was delivering, then went silent
            end = from_ms(outcome.last_end_ms or round(self.clock.wall() * 1000))
            assert self.run_id is not None
            self.catalogue.end_run(self.camera.id, self.run_id, end, reason)
            self.gaps.run_ended(end, reason)
            self._last_healthy_mono = self.clock.mono()
            self.backoff.reset()
        else:
            if diagnosis.error == "timeout" and self.gaps.reason == "stalled":
                reason = "stalled"  # it accepts connections but still sends nothing
            self.gaps.failed(from_ms(round(self.clock.wall() * 1000)), reason)
        self._set_down(reason, diagnosis)
        if diagnosis.error == "clock_step":
            return 0.0
        brisk = (
            reason in ("camera_unreachable", "stalled")
            and self._last_healthy_mono is not None
            and self.clock.mono() - self._last_healthy_mono < BRISK_WINDOW
        )
        return self.backoff.next_delay(BRISK_LIMIT if brisk else None)

    def _end_stopped_run(self, outcome: RunOutcome) -> None:
        """We were told to stop (box shutdown or reconfigure): the recorder, not the camera, ends the run."""
        if outcome.segments and self.run_id is not None:
            end = from_ms(outcome.last_end_ms or round(self.clock.wall() * 1000))
            self.catalogue.end_run(self.camera.id, self.run_id, end, "box_down")
            self.gaps.run_ended(end, "box_down")

    def _set_down(self, reason: str, diagnosis: Diagnosis) -> None:
        changed = self.last_error != diagnosis.error
        self.last_error, self.last_error_detail = diagnosis.error, diagnosis.detail
        if reason == "disk_full":
            self.state = "down"
            self.gaps.failed(from_ms(round(self.clock.wall() * 1000)), "disk_full")
        if self._up or changed:
            log.warning("%s: down (%s: %s)", self.camera.id, diagnosis.error, diagnosis.detail)
            self.emit("camera_down", {"camera_id": self.camera.id, "reason": reason, "error": diagnosis.error})
        self._up = False

    def _secrets(self) -> tuple[str, ...]:
        password = self.camera.password.get_secret_value() if self.camera.password else ""
        return (self.camera.credentialed_url(), password) if password else ()
