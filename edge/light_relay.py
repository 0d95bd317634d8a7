"""Light live view on the box: the camera's sub-stream copied into short MPEG-TS segments and PUT to the portal,
only while the portal holds a lease (docs/live-light.md).

One relay per camera: an ffmpeg ``-c copy`` of ``sub_url`` into 1 s HLS/TS segments in a small spool outside
the archive (``/dev/shm`` when there is one: no SD card wear), a thread that uploads each finished segment once and
deletes it. Nothing here touches the catalogue or the ring archive. The relay stops when its lease lapses
(``live.light`` renews it), when the portal answers that it no longer wants it (409), or when the box stops.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cloud_sync.ingest_client import IngestClient
from cloud_sync.segments import new_run_id
from edge.recorder.command import RTSP_IO_TIMEOUT_US
from edge.recorder.supervisor import _die_with_parent

if TYPE_CHECKING:
    from edge.box import Box

log = logging.getLogger(__name__)

PLAYLIST = "light.m3u8"
SEGMENT_SECONDS = 1  # cut on the next keyframe: a segment is at least one GOP of the sub-stream
POLL_SECONDS = 0.2
MAX_BEHIND = 2  # a slow uplink sends only the newest segments: late live video is worth nothing
RESTART_DELAY = 2.0
_LISTED = re.compile(r"^(\d+)\.ts$")
_EXTINF = re.compile(r"^#EXTINF:([0-9.]+)")


class LightRefused(LookupError):
    """The camera cannot be relayed: unknown, no sub-stream, or paused (home mode)."""


def spool_root(data_dir: Path) -> Path:
    shm = Path("/dev/shm")
    if shm.is_dir():
        return Path(tempfile.mkdtemp(prefix="dozor-light-", dir=shm))
    return data_dir / "light-spool"


def relay_command(binary: str, url: str, start_number: int = 0) -> list[str]:
    """argv writing the sub-stream as 1 s TS segments (cwd = the relay's spool directory); video only, copied.
    A restarted ffmpeg goes on numbering from `start_number`: seq stays unique within the relay's run."""
    return [
        binary,
        "-hide_banner",
        "-nostdin",
        "-loglevel",
        "error",
        "-rtsp_transport",
        "tcp",
        "-timeout",
        str(RTSP_IO_TIMEOUT_US),
        "-i",
        url,
        "-map",
        "0:v:0",
        "-c:v",
        "copy",
        "-an",
        "-f",
        "hls",
        "-hls_time",
        str(SEGMENT_SECONDS),
        "-hls_list_size",
        "5",
        "-hls_segment_type",
        "mpegts",
        "-start_number",
        str(start_number),
        "-hls_flags",
        "temp_file+omit_endlist",
        "-hls_segment_filename",
        "%d.ts",
        PLAYLIST,
    ]


def listed(spool: Path) -> list[tuple[int, float]]:
    """(seq, duration) of the segments the playlist lists: a listed segment is complete."""
    try:
        lines = (spool / PLAYLIST).read_text(errors="replace").splitlines()
    except OSError:
        return []
    found, duration = [], 0.0
    for line in lines:
        line = line.strip()
        if match := _EXTINF.match(line):
            duration = float(match.group(1))
        elif match := _LISTED.match(line):
            found.append((int(match.group(1)), duration))
    return found


@dataclass
class LightStats:
    segments: int = 0
    bytes: int = 0
    dropped: int = 0
    last_error: str = ""


class LightRelay:
    """One camera's relay: started by the first lease, ended by its lapse (or a refusal, or stop())."""

    def __init__(self, camera_id: str, url: str, binary: str, root: Path, client: IngestClient) -> None:
        self.camera_id = camera_id
        self.url = url  # carries credentials: never logged
        self.binary = binary
        self.client = client
        self.run_id = new_run_id(datetime.now(UTC))
        self.spool = root / f"{camera_id}.{self.run_id}"  # its own: an ending relay's cleanup spares its successor
        self.stats = LightStats()
        self._until = 0.0
        self._closing = False  # decided under the lock, so a renewal never lands on a relay that is ending
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"light-{camera_id}", daemon=True)

    def extend(self, seconds: float) -> bool:
        """The lease now ends `seconds` from now (monotonic). False when the relay is already ending (its lease
        lapsed a moment ago): the caller starts a new one."""
        with self._lock:
            if self._closing:
                return False
            self._until = time.monotonic() + seconds
        if seconds <= 0:
            self._stop.set()
        return True

    def start(self) -> None:
        self._thread.start()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def stop(self, wait: float = 10.0) -> None:
        self._stop.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(wait)

    def _keep_going(self) -> bool:
        with self._lock:
            if self._stop.is_set() or time.monotonic() >= self._until:
                self._closing = True
            return not self._closing

    def _run(self) -> None:
        log.info("light relay of %s started (run %s)", self.camera_id, self.run_id)
        sent = -1
        process: subprocess.Popen[bytes] | None = None
        next_start = 0.0
        reason = "lease lapsed"
        try:
            while self._keep_going():
                gone = process is None or process.poll() is not None
                if gone and time.monotonic() >= next_start:  # (re)start, at most every RESTART_DELAY
                    process = self._spawn(process, start_number=sent + 1)
                    next_start = time.monotonic() + RESTART_DELAY
                highest = self._upload_new(sent_after=sent)
                if highest is None:
                    reason = "refused by the portal"
                    break
                sent = highest
                self._stop.wait(POLL_SECONDS)
        finally:
            with self._lock:
                self._closing = True
            _end(process)
            shutil.rmtree(self.spool, ignore_errors=True)
            reason = "stopped" if self._stop.is_set() else reason
            log.info("light relay of %s ended (%s, %d segments sent)", self.camera_id, reason, self.stats.segments)

    def _spawn(self, previous: subprocess.Popen[bytes] | None, start_number: int) -> subprocess.Popen[bytes]:
        if previous is not None:
            self.stats.last_error = f"ffmpeg exited with {previous.returncode}"
        self.spool.mkdir(parents=True, exist_ok=True)
        (self.spool / PLAYLIST).unlink(missing_ok=True)  # the last ffmpeg's list: all of it was handled
        return subprocess.Popen(
            relay_command(self.binary, self.url, start_number),
            cwd=self.spool,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,  # no orphan ffmpeg uploads after the box is gone
        )

    def _upload_new(self, sent_after: int) -> int | None:
        """PUT the newly listed segments (the newest MAX_BEHIND at most) and delete every handled file; the
        highest seq handled. None when the portal refused (no lease there, bad token, not our camera): the relay
        ends."""
        fresh = [(seq, d) for seq, d in listed(self.spool) if seq > sent_after]
        highest = max((seq for seq, _ in fresh), default=sent_after)
        if len(fresh) > MAX_BEHIND:
            self.stats.dropped += len(fresh) - MAX_BEHIND
            fresh = fresh[-MAX_BEHIND:]
        for seq, duration in fresh:
            path = self.spool / f"{seq}.ts"
            try:
                body = path.read_bytes()
            except OSError:
                continue
            outcome = self.client.put_light(self.camera_id, self.run_id, seq, body, duration)
            if outcome.kind == "refused":
                self.stats.last_error = f"portal refused ({outcome.status}): {outcome.detail[:200]}"
                log.info("light relay of %s: %s", self.camera_id, self.stats.last_error)
                return None
            if outcome.stored:
                self.stats.segments += 1
                self.stats.bytes += len(body)
            else:
                self.stats.dropped += 1  # live: never retried
                self.stats.last_error = outcome.detail[:200]
        for entry in self.spool.glob("*.ts"):
            match = _LISTED.match(entry.name)
            if match and int(match.group(1)) <= highest:
                entry.unlink(missing_ok=True)
        return highest


def _end(process: subprocess.Popen[bytes] | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


class LightRelays:
    """The box's relays by camera; `lease` is the `live.light` command's handler."""

    def __init__(self, box: Box, client: IngestClient) -> None:
        self.box = box
        self.client = client
        self._root: Path | None = None
        self._relays: dict[str, LightRelay] = {}
        self._lock = threading.Lock()
        self.finished: deque[LightStats] = deque(maxlen=50)  # of ended relays, for tests and the bench

    def lease(self, camera_id: str, seconds: float) -> dict[str, Any]:
        camera = self.box.config.camera(camera_id)
        if camera is None:
            raise LightRefused(f"camera_id: {camera_id!r} is not configured on this box")
        with self._lock:
            relay = self._relays.get(camera_id)
            if seconds <= 0:
                if relay is not None:
                    relay.extend(0)
                return {"camera_id": camera_id, "relaying": False}
            if camera.kind != "rtsp" or not camera.sub_url:
                raise LightRefused(f"camera_id: {camera_id!r} has no sub-stream (sub_url) to relay")
            if camera_id in self.box.paused_cameras():
                raise LightRefused(f"camera_id: {camera_id!r} is paused (home mode): no live view")
            if relay is not None and not relay.extend(seconds):  # its lease lapsed: a new lease, a new relay (run)
                self.finished.append(self._relays.pop(camera_id).stats)
                relay = None
            started = relay is None
            if relay is None:
                if self._root is None:
                    self._root = spool_root(self.box.config.data_dir)
                relay = LightRelay(
                    camera_id,
                    camera.credentialed_url(camera.sub_url),
                    self.box.ffmpeg,
                    self._root,
                    self.client,
                )
                self._relays[camera_id] = relay
                relay.extend(seconds)
                relay.start()
        return {"camera_id": camera_id, "relaying": True, "run_id": relay.run_id, "started": started}

    def active(self) -> list[str]:
        with self._lock:
            return sorted(c for c, r in self._relays.items() if r.alive)

    def stop(self) -> None:
        with self._lock:
            relays = list(self._relays.values())
            self._relays.clear()
        for relay in relays:
            relay.stop()
        if self._root is not None:
            shutil.rmtree(self._root, ignore_errors=True)
