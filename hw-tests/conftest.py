"""Hardware self-test of the box (`dozor edge selftest`), and the same suite in mock mode for CI.

Mock mode (default off a Raspberry Pi, or DOZOR_HW_MOCK=1): gpiozero MockFactory pins and a synthetic
camera stand in for the wiring and the cameras. On the box (DOZOR_HW_MOCK=0 or a Pi) the suite checks the
real pins, the Pi camera, every configured camera, the disk, the clock and the SoC temperature, using the
box config named by DOZOR_CONFIG.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from edge.config import EdgeConfig, load_config
from edge.gpio.config import GpioConfig, parse_gpio_config
from edge.gpio.controller import pin_factory_for
from edge.selftest import mock_mode, on_pi

MOCK_GPIO = {"led_pin": 17, "button_pin": 27, "tamper_pin": 22, "relays": {"synthetic-1": 5, "door": 6}}


@dataclass
class Hardware:
    mock: bool
    on_pi: bool
    config: EdgeConfig
    gpio: GpioConfig
    pin_factory: Any  # gpiozero Factory; MockFactory in mock mode


def _config(mock: bool, scratch: Path) -> EdgeConfig:
    path = os.environ.get("DOZOR_CONFIG")
    if path:
        return load_config(path)
    if not mock:
        pytest.exit("DOZOR_CONFIG must name the box config when running on real hardware", returncode=4)
    return EdgeConfig(
        device_id="selftest",
        data_dir=scratch,
        gpio=MOCK_GPIO,
        disk_reserve=0,
        cameras=[{"id": "synthetic-1", "url": "lavfi:testsrc2", "width": 320, "height": 240, "fps": 10}],
    )


@pytest.fixture(scope="session")
def hw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hardware]:
    mock = mock_mode()
    config = _config(mock, tmp_path_factory.mktemp("hw-data"))
    factory = pin_factory_for(mock)
    if factory is None:
        from gpiozero import Device

        factory = Device._default_pin_factory()
    yield Hardware(mock, on_pi(), config, parse_gpio_config(config.gpio), factory)
    factory.close()


@pytest.fixture(autouse=True)
def _pins_held_by_service(request: pytest.FixtureRequest) -> Iterator[None]:
    """On the box the running service owns the pins; say so instead of failing the wiring check."""
    try:
        yield
    except Exception as exc:
        text = str(exc).lower()
        if "busy" in text or "in use" in text or type(exc).__name__ == "GPIOPinInUse":
            pytest.skip(f"pin held by the running dozor-edge service ({exc}); stop it to check the wiring")
        raise
