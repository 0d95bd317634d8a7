"""The self-test runs the hw-tests suite in mock mode, from the CLI entry and from the technician UI."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import yaml

from edge.selftest import run_selftest
from tests.fixtures.ports import free_port, wait_until
from tests.techui.conftest import LABEL_PASSWORD

pytestmark = pytest.mark.slow  # runs the whole hw-tests suite in mock mode


def test_selftest_reports_a_dead_camera_as_failed(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DOZOR_HW_MOCK", "1")
    config = tmp_path / "box.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "device_id": "selftest-box",
                "data_dir": str(tmp_path / "data"),
                "disk_reserve": 0,
                "cameras": [{"id": "gone", "url": f"rtsp://127.0.0.1:{free_port()}/stream"}],
                "gpio": {"led_pin": 17, "relays": {"gone": 6}},
            }
        )
    )
    report = run_selftest(config)
    assert report.mock and not report.ok
    by_name = {c.name: c for c in report.checks}
    camera = by_name["test_hw_cameras::test_camera_reachable_and_decodable[gone]"]
    assert camera.outcome == "failed" and "недоступна" in camera.message
    assert by_name["test_hw_gpio::test_camera_power_relays_switch_off_and_on"].outcome == "passed"
    assert by_name["test_hw_gpio::test_door_relays_pulse"].outcome == "skipped"  # no door relay configured
    assert by_name["test_hw_gpio::test_tamper_switch_reads_closed_lid"].outcome == "skipped"


def test_selftest_from_the_ui(onsite, monkeypatch) -> None:
    monkeypatch.setenv("DOZOR_HW_MOCK", "1")
    site = onsite()
    with httpx.Client(base_url=site.url) as client:
        client.post("/login", data={"password": LABEL_PASSWORD})
        page = client.get("/selftest")
        csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
        assert client.post("/selftest", data={"csrf": csrf}).status_code == 303
        state = wait_until(
            lambda: (s := client.get("/selftest.json").json())["report"] and s,
            240,
            interval=1,
            message="self-test report",
        )
        assert state["report"]["ok"] is True and state["report"]["counts"]["passed"] >= 5
        page = client.get("/selftest")
        assert "Всё в порядке" in page.text and "test_hw_gpio::test_led_pin_drives" in page.text
        row = page.text[page.text.index('data-check="test_hw_gpio::test_led_pin_drives"') :]
        assert row.index("Индикатор (LED) управляется") < row.index("</tr>")  # the technician's words, not pytest's
        assert row.index("пройдена") < row.index("</tr>")
