"""The wire contract of the commands added for relays and home mode: relay.pulse arguments, config.set as a full
list or a per-camera patch, and the button/power_cycle events."""

from __future__ import annotations

import pytest

from cloud_sync.messages import EVENT_TYPES, ConfigSetArgs, Event, RelayPulseArgs, validate_args
from cloud_sync.segments import BOX_GAP_REASONS, Gap


def test_relay_pulse_takes_a_relay_name_or_a_camera_id() -> None:
    args = validate_args("relay.pulse", {"camera_id": "entrance-1", "relay": "door", "seconds": 3})
    assert isinstance(args, RelayPulseArgs) and args.target == "door"
    assert validate_args("relay.pulse", {"camera_id": "entrance-1"}).target == "entrance-1"
    with pytest.raises(ValueError, match="needs relay"):
        validate_args("relay.pulse", {"seconds": 2})
    with pytest.raises(ValueError):
        validate_args("relay.pulse", {"relay": "door", "seconds": 0})
    with pytest.raises(ValueError):
        validate_args("relay.pulse", {"relay": "door", "seconds": 31})


def test_config_set_is_a_full_list_or_a_patch_never_both() -> None:
    patch = ConfigSetArgs.model_validate({"cameras": [{"id": "cam-1", "recording": False}]})
    assert patch.is_patch
    full = ConfigSetArgs.model_validate({"cameras": [{"id": "cam-1", "url": "rtsp://10.0.0.2/main"}]})
    assert not full.is_patch
    with pytest.raises(ValueError, match="mixes full camera entries"):
        ConfigSetArgs.model_validate({"cameras": [{"id": "a", "url": "rtsp://x/"}, {"id": "b", "recording": True}]})
    with pytest.raises(ValueError, match="recording must be true or false"):
        ConfigSetArgs.model_validate({"cameras": [{"id": "a", "recording": "no"}]})
    with pytest.raises(ValueError, match="appears twice"):
        ConfigSetArgs.model_validate({"cameras": [{"id": "a", "recording": True}, {"id": "a", "name": "x"}]})
    with pytest.raises(ValueError):
        ConfigSetArgs.model_validate({"cameras": []})


def test_button_and_power_cycle_events_and_the_home_mode_gap() -> None:
    assert {"button", "power_cycle"} <= set(EVENT_TYPES)
    Event(type="button", data={"action": "identify"})
    Event(type="power_cycle", camera_id="cam-1", data={"reason": "команда портала"})
    assert "home_mode" in BOX_GAP_REASONS
    Gap.model_validate({"start": "2026-11-22T08:00:00Z", "end": "2026-11-22T09:00:00Z", "reason": "home_mode"})
