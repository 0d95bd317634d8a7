"""`dozor edge supervise`: the systemd unit's main process; runs `dozor edge run` of the right release.

It runs from the `good` link (a release that passed the gate), so a new release that cannot even start is
judged by code that can. Steady state: run `good`, restart it when it exits or stops its watchdog pings.
Trial (the journal has one): count the attempt, start the trial's release, and within `ota.gate_seconds`
require READY=1 on our notify socket, a fresh health.json from that process, every enabled camera committing,
a sane portal link and a passed self-test; then mark it good, else roll back to `good` with the reason.
A power cut mid-gate comes back here with the trial still journalled: the attempt counter bounds the retries.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from pathlib import Path

from edge.config import EdgeConfig, OtaConfig
from edge.ota import faults
from edge.ota.gate import Look, hopeless, missing
from edge.ota.state import LastResult, Slots, Trial
from edge.systemd import notify, watchdog_interval

log = logging.getLogger(__name__)
STOP_TIMEOUT = 30.0


class Supervisor:
    def __init__(self, config_path: Path, config: EdgeConfig) -> None:
        assert config.ota is not None
        self.ota: OtaConfig = config.ota
        self.config_path = config_path
        self.slots = Slots(self.ota.root)
        self.child: subprocess.Popen[bytes] | None = None
        self.child_version: str | None = None
        self.ready = threading.Event()
        self.stopping = threading.Event()
        self.reload = threading.Event()
        self.tail: deque[str] = deque(maxlen=12)
        self.last_ping = time.monotonic()
        self.notify_address = f"@dozor-supervisor-{os.getpid()}"
        self._told_ready = False

    # --- lifecycle -------------------------------------------------------------------------------------

    def serve(self) -> None:
        self.slots.ensure()
        self.slots.pid_path.write_text(str(os.getpid()))
        signal.signal(signal.SIGTERM, lambda *_: self.stopping.set())
        signal.signal(signal.SIGINT, lambda *_: self.stopping.set())
        signal.signal(signal.SIGHUP, lambda *_: self.reload.set())
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
        sock.bind("\0" + self.notify_address[1:])
        threading.Thread(target=self._notifications, args=(sock,), name="notify", daemon=True).start()
        try:
            self._recover()
            while not self.stopping.is_set():
                state = self.slots.read()
                if state.trial is not None:
                    self._trial(state.trial)
                elif state.good is None:
                    raise RuntimeError(f"no release in {self.ota.root}: lay out the slots (`dozor edge ota init`)")
                else:
                    self._steady(state.good)
        finally:
            self._stop_child()
            notify("STOPPING=1")
            self.slots.pid_path.unlink(missing_ok=True)
            sock.close()

    def _recover(self) -> None:
        with self.slots.locked() as state:
            if state.trial is not None and not self.slots.complete(state.trial.version):
                state.last = LastResult(state.trial.version, "failed", "its slot is incomplete", state.trial.request_id)
                state.trial = None
        self.slots.repair_links(self.slots.read())

    def _steady(self, version: str) -> None:
        backoff = 3.0
        while not self.stopping.is_set():
            if self.child is None or self.child.poll() is not None or self.child_version != version:
                self._stop_child()
                self._start(version, trial=False)
            self.reload.clear()
            child, started = self.child, time.monotonic()
            assert child is not None
            while not (self.stopping.is_set() or self.reload.is_set()):
                self._ping()
                if child.poll() is not None or self._watchdog_lapsed():
                    break
                self.stopping.wait(0.5)
            if self.stopping.is_set() or self.reload.is_set():
                return  # a new trial (or a manual rollback) was journalled: the outer loop reads it
            code = child.poll()
            log.warning("release %s ended (exit %s); restarting in %.0f s", version, code, backoff)
            self._stop_child()
            backoff = 3.0 if time.monotonic() - started > 60 else min(backoff * 2, 60.0)
            if self.stopping.wait(backoff):
                return

    # --- the trial -------------------------------------------------------------------------------------

    def _trial(self, trial: Trial) -> None:
        with self.slots.locked() as state:
            assert state.trial is not None
            state.trial.attempts += 1
            attempts = state.trial.attempts
        if attempts > self.ota.gate_attempts:
            self._rollback(trial, f"health gate interrupted {attempts - 1} time(s) (power cut or crash)")
            return
        self.slots.switch("current", trial.version)
        self._stop_child()
        faults.point("restart")
        self._start(trial.version, trial=True)
        assert self.child is not None
        started, deadline = time.time(), time.monotonic() + self.ota.gate_seconds
        log.info("health gate for release %s (attempt %d, %.0f s)", trial.version, attempts, self.ota.gate_seconds)
        while not self.stopping.is_set():
            self._ping()
            code = self.child.poll()
            if code is not None:
                tail = " | ".join(list(self.tail)[-3:])
                self._rollback(trial, f"release {trial.version} exited with code {code} at start: {tail}".strip())
                return
            health = self._health()
            if health is not None and health.get("pid") == self.child.pid:
                faults.point("gate")
            look = Look(self.child.pid, started, self.ready.is_set(), health, time.time(), self.ota.selftest)
            problems = missing(look)
            if not problems:
                self._mark_good(trial, time.time() - started)
                return
            if hopeless(problems) or time.monotonic() > deadline:
                self._rollback(trial, f"health gate failed after {time.time() - started:.0f} s: {'; '.join(problems)}")
                return
            self.stopping.wait(0.5)

    def _mark_good(self, trial: Trial, seconds: float) -> None:
        with self.slots.locked() as state:
            state.previous = state.good if state.good != trial.version else state.previous
            state.good, state.trial = trial.version, None
            reason = f"passed the health gate in {seconds:.0f} s"
            state.last = LastResult(trial.version, "healthy", reason, request_id=trial.request_id)
        final = self.slots.read()
        self.slots.repair_links(final)
        self.slots.prune(final)
        log.info("release %s is good (previous %s)", trial.version, final.previous)

    def _rollback(self, trial: Trial, reason: str) -> None:
        log.error("rolling back from %s: %s", trial.version, reason)
        with self.slots.locked() as state:
            state.trial = None
            state.last = LastResult(trial.version, "rolled_back", reason, request_id=trial.request_id)
        self._stop_child()
        self.slots.repair_links(self.slots.read())

    # --- the child -------------------------------------------------------------------------------------

    def _start(self, version: str, trial: bool) -> None:
        slot = self.slots.slot(version)
        env = {**os.environ, "NOTIFY_SOCKET": self.notify_address, "DOZOR_RELEASE": version}
        env["DOZOR_OTA_TRIAL"] = "1" if trial else "0"
        env.pop("WATCHDOG_USEC", None)
        if (slot / "bundle" / "hw-tests").is_dir():
            env["DOZOR_HW_TESTS"] = str(slot / "bundle" / "hw-tests")
        if interval := watchdog_interval():
            env["WATCHDOG_USEC"], env["WATCHDOG_PID"] = str(int(interval * 2_000_000)), ""
        self.ready.clear()
        self.tail.clear()
        argv = [str(self.slots.dozor(version)), "edge", "run", "--config", str(self.config_path)]
        log.info("starting release %s%s", version, " (trial)" if trial else "")
        self.child = subprocess.Popen(argv, env=env, stderr=subprocess.PIPE)
        self.child_version = version
        self.last_ping = time.monotonic()
        threading.Thread(target=self._copy_stderr, args=(self.child,), name="child-stderr", daemon=True).start()

    def _stop_child(self) -> None:
        child, self.child, self.child_version = self.child, None, None
        if child is None or child.poll() is not None:
            return
        child.terminate()
        try:
            child.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()

    def _copy_stderr(self, child: subprocess.Popen[bytes]) -> None:
        assert child.stderr is not None
        for raw in child.stderr:
            sys.stderr.buffer.write(raw)
            sys.stderr.flush()
            line = raw.decode(errors="replace").strip()
            if line:
                self.tail.append(line[-300:])

    def _health(self) -> dict | None:
        import json

        try:
            return json.loads(self.slots.health_path.read_text())
        except (OSError, ValueError):
            return None

    # --- systemd ---------------------------------------------------------------------------------------

    def _notifications(self, sock: socket.socket) -> None:
        while True:
            try:
                data = sock.recv(4096)
            except OSError:
                return
            for line in data.decode(errors="replace").splitlines():
                if line == "READY=1":
                    self.ready.set()
                    if not self._told_ready:
                        self._told_ready = notify("READY=1") or True
                elif line == "WATCHDOG=1":
                    self.last_ping = time.monotonic()
                elif line.startswith("STATUS="):
                    notify(line)

    def _ping(self) -> None:
        if watchdog_interval():
            notify("WATCHDOG=1")

    def _watchdog_lapsed(self) -> bool:
        interval = watchdog_interval()
        return bool(interval) and self.ready.is_set() and time.monotonic() - self.last_ping > 4 * (interval or 0)


def supervise(config_path: Path, config: EdgeConfig) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    Supervisor(config_path, config).serve()
