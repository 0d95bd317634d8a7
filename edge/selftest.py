"""`dozor edge selftest`: run the hw-tests pytest suite against this box and report each check.

The suite lives in `hw-tests/` of the source tree, or where the image installed it (/opt/dozor/hw-tests, or
$DOZOR_HW_TESTS). Off the Pi it runs in mock mode (gpiozero MockFactory, synthetic camera) — the same
suite CI runs. Results come back through a JUnit XML file, so they need no pytest internals.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

CANDIDATES = (Path(__file__).resolve().parents[1] / "hw-tests", Path("/opt/dozor/hw-tests"))


class SelftestError(RuntimeError):
    """The suite could not be run at all (not found, or pytest crashed)."""


@dataclass
class Check:
    name: str
    outcome: str  # passed | failed | skipped | error
    message: str = ""
    seconds: float = 0.0


@dataclass
class SelftestReport:
    started_at: float
    finished_at: float
    mock: bool
    checks: list[Check] = field(default_factory=list)
    exit_code: int = 0
    output_tail: str = ""

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not any(c.outcome in ("failed", "error") for c in self.checks)

    def counts(self) -> dict[str, int]:
        result = {"passed": 0, "failed": 0, "skipped": 0, "error": 0}
        for check in self.checks:
            result[check.outcome] += 1
        return result

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok, "counts": self.counts()}


def suite_dir() -> Path:
    override = os.environ.get("DOZOR_HW_TESTS")
    for candidate in ([Path(override)] if override else []) + list(CANDIDATES):
        if (candidate / "conftest.py").is_file():
            return candidate
    raise SelftestError("набор hw-tests не найден (задайте DOZOR_HW_TESTS или установите /opt/dozor/hw-tests)")


def on_pi() -> bool:
    try:
        return "raspberry pi" in Path("/proc/device-tree/model").read_text(errors="replace").lower()
    except OSError:
        return False


def mock_mode() -> bool:
    """DOZOR_HW_MOCK=1/0 forces the mode; otherwise mock everywhere but on a Raspberry Pi."""
    forced = os.environ.get("DOZOR_HW_MOCK")
    if forced is not None:
        return forced.strip().lower() not in ("0", "false", "no", "")
    return not on_pi()


def parse_junit(path: Path) -> list[Check]:
    checks = []
    for case in ET.parse(path).getroot().iter("testcase"):
        name = case.get("name", "?")
        module = (case.get("classname") or "").rsplit(".", 1)[-1]
        outcome, message = "passed", ""
        for tag in ("failure", "error", "skipped"):
            node = case.find(tag)
            if node is not None:
                outcome = {"failure": "failed", "error": "error", "skipped": "skipped"}[tag]
                message = (node.get("message") or node.text or "").strip()
                break
        checks.append(
            Check(f"{module}::{name}" if module else name, outcome, message[:500], float(case.get("time") or 0))
        )
    return checks


def run_selftest(config_path: Path | None = None, timeout: float = 600.0) -> SelftestReport:
    """Run the suite in a child pytest; the box's config tells it which cameras and pins to check."""
    suite = suite_dir()
    mock = mock_mode()
    env = {**os.environ, "DOZOR_HW_MOCK": "1" if mock else "0"}
    if config_path is not None:
        env["DOZOR_CONFIG"] = str(config_path)
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="dozor-selftest-") as tmp:
        junit = Path(tmp) / "junit.xml"
        argv = [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(suite),
            "-c",
            str(suite / "pytest.ini"),
            f"--junitxml={junit}",
            str(suite),
        ]
        try:
            proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env, cwd=suite)
        except subprocess.TimeoutExpired as exc:
            raise SelftestError(f"самопроверка не уложилась в {timeout:.0f} с") from exc
        if not junit.is_file():
            raise SelftestError(f"pytest не запустился (код {proc.returncode}): {proc.stderr[-800:]}")
        checks = parse_junit(junit)
    tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-30:])
    return SelftestReport(started, time.time(), mock, checks, proc.returncode, tail)


class SelftestRunner:
    """One self-test at a time, in the background, for the technician UI."""

    def __init__(self, config_path: Path | None) -> None:
        self.config_path = config_path
        self.report: SelftestReport | None = None
        self.error: str | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> bool:
        """False when one is already running."""
        with self._lock:
            if self.running:
                return False
            self.error = None
            self._thread = threading.Thread(target=self._run, name="selftest", daemon=True)
            self._thread.start()
            return True

    def wait(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        try:
            self.report = run_selftest(self.config_path)
        except SelftestError as exc:
            self.error = str(exc)


def print_report(report: SelftestReport, as_json: bool = False) -> None:
    """Console output of `dozor edge selftest`."""
    if as_json:
        import json

        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=1))
        return
    marks = {"passed": "OK  ", "failed": "FAIL", "error": "ERR ", "skipped": "SKIP"}
    print(f"self-test ({'mock mode' if report.mock else 'hardware'}):")
    for check in report.checks:
        note = f" — {check.message}" if check.message and check.outcome != "passed" else ""
        print(f"  {marks[check.outcome]} {check.name}{note}")
    counts = report.counts()
    print(f"{counts['passed']} passed, {counts['failed'] + counts['error']} failed, {counts['skipped']} skipped")
