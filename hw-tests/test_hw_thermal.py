"""CPU temperature and the Pi firmware's throttling flags."""

from __future__ import annotations

import os

import pytest

from edge.techui.sysinfo import cpu_temperature, decode_throttled, throttling

MAX_CELSIUS = float(os.environ.get("DOZOR_HW_MAX_CELSIUS", "80"))
NOW_FLAGS = {
    "недостаточное питание сейчас",
    "частота ограничена сейчас",
    "троттлинг сейчас",
    "мягкий температурный предел сейчас",
}


def test_throttle_flags_decode() -> None:
    assert decode_throttled(0) == []
    assert decode_throttled(0x50005) == [
        "недостаточное питание сейчас",
        "троттлинг сейчас",
        "было недостаточное питание",
        "был троттлинг",
    ]


def test_cpu_temperature(hw, record_property) -> None:
    celsius = cpu_temperature()
    if celsius is None:
        if hw.on_pi:
            pytest.fail("no thermal zone on a Raspberry Pi: the kernel's thermal driver is missing")
        pytest.skip("this host exposes no CPU thermal zone")
    record_property("cpu_celsius", celsius)
    assert celsius < MAX_CELSIUS, f"CPU at {celsius:.1f} °C: check ventilation of the enclosure"


def test_not_throttled_now(hw, record_property) -> None:
    state = throttling()
    if state is None:
        if hw.on_pi:
            pytest.fail("vcgencmd is missing on the Pi (package libraspberrypi-bin)")
        pytest.skip("not a Raspberry Pi: no firmware throttling flags")
    record_property("throttled", state["raw"])
    current = NOW_FLAGS.intersection(state["flags"])
    assert not current, f"throttled now: {', '.join(sorted(current))} — check the power supply and cooling"
