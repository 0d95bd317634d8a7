"""Everything the technician pages act on, gathered in one object; handlers stay thin."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from edge.box import Box
from edge.config import CameraConfig, PortalLink
from edge.gpio.controller import GpioController
from edge.gpio.relays import RelayError
from edge.selftest import SelftestRunner
from edge.techui import camera_forms, sysinfo
from edge.techui.config import TechnicianConfig
from edge.techui.enrolment import EnrolmentError, EnrolmentState, claim
from edge.techui.formatting import instant
from edge.techui.passwords import TechnicianPasswords
from edge.techui.sessions import SessionStore
from edge.techui.throttle import LoginThrottle

log = logging.getLogger(__name__)


class SyncLink(Protocol):
    """What we use of edge.sync's `Sync` (absent when the box has no portal section): `.link`, `.uploader`."""

    def stop(self) -> None: ...


@dataclass
class TechUi:
    box: Box
    config: TechnicianConfig
    passwords: TechnicianPasswords
    enrolment: EnrolmentState
    config_path: Path | None = None
    gpio: GpioController | None = None
    sync: SyncLink | None = None
    advertiser: Any = None  # edge.discovery.Advertiser
    log_file: Path | None = None
    sessions: SessionStore = field(init=False)
    throttle: LoginThrottle = field(init=False)
    selftest: SelftestRunner = field(init=False)

    def __post_init__(self) -> None:
        self.sessions = SessionStore(self.config.session_hours * 3600)
        self.throttle = LoginThrottle(
            self.config.max_failures, self.config.lockout_seconds, self.config.global_max_failures
        )
        self.selftest = SelftestRunner(self.config_path)
        if self.log_file is None:
            self.log_file = Path(self.config.log_file or self.box.data_dir / "logs" / "edge.log")

    @property
    def device_id(self) -> str:
        return self.box.config.device_id

    # --- status ------------------------------------------------------------------------------------------
    def status_view(self) -> dict[str, Any]:
        status = self.box.report()
        return {
            "device_id": self.device_id,
            "cameras": [camera.model_dump() for camera in status.cameras.values()],
            "disk": status.disk,
            "link": self.link_state(),
            "clock": sysinfo.clock_state(self.box.clock),
            "temperature": sysinfo.cpu_temperature(),
            "throttling": sysinfo.throttling(),
            "gpio": self.gpio.summary() if self.gpio is not None else None,
            "enrolment_open": self.enrolment.open,
            "now": time.time(),
        }

    def link_state(self) -> dict[str, Any] | None:
        """MQTT and upload state of edge.sync's link, and the upload backlog; None when not linked."""
        if self.sync is None:
            return None
        link, uploader = getattr(self.sync, "link", None), getattr(self.sync, "uploader", None)
        connected = bool(link is not None and link.connected.is_set())
        backlog = self.box.catalogue.backlog()
        state: dict[str, Any] = {
            "MQTT": "подключено" if connected else "нет связи",
            "connected": connected,
            "Очередь выгрузки": f"{sum(c for c, _ in backlog.values())} сегм., "
            f"{sum(b for _, b in backlog.values()) / 1e6:.1f} МБ",
        }
        stats = getattr(uploader, "stats", None)
        if stats is not None:
            state["Выгружено сегментов"] = stats.segments_uploaded
            state["Последняя выгрузка"] = instant(stats.last_success_at)
            if stats.last_error:
                state["Ошибка выгрузки"] = stats.last_error
        return state

    def publish_event(self, event_type: str, data: dict[str, Any]) -> bool:
        """Send a box event over MQTT when linked; False when there is no link or the wire has no such type."""
        link = getattr(self.sync, "link", None)
        if link is None:
            return False
        from pydantic import ValidationError

        from cloud_sync.messages import Event

        try:
            event = Event(
                type=event_type,
                camera_id=data.get("camera_id"),
                data={k: v for k, v in data.items() if k != "camera_id"},
            )
        except ValidationError:
            log.info("event %s is not part of the wire contract; logged only: %s", event_type, data)
            return False
        link.publish_event(event)
        return True

    # --- cameras -----------------------------------------------------------------------------------------
    def cameras(self) -> list[CameraConfig]:
        return list(self.box.config.cameras)

    def camera(self, camera_id: str) -> CameraConfig | None:
        return self.box.config.camera(camera_id)

    def save_camera(self, form: dict[str, Any], camera_id: str | None = None) -> CameraConfig:
        existing = self.camera(camera_id) if camera_id else None
        if camera_id and existing is None:
            raise camera_forms.CameraFormError("id", f"камеры {camera_id!r} нет на этом боксе")
        camera = camera_forms.camera_from_form(form, existing)
        self.box.reconfigure(camera_forms.with_camera(self.cameras(), camera, adding=existing is None))
        log.info("technician %s camera %s (%s)", "edited" if existing else "added", camera.id, camera.masked_url())
        return camera

    def save_motion(self, camera_id: str, form: dict[str, Any]) -> CameraConfig:
        """Motion settings of one camera; only its detector restarts (Box.reconfigure), never its recorder."""
        from edge.techui.motion_form import motion_from_form

        existing = self.camera(camera_id)
        if existing is None:
            raise camera_forms.CameraFormError("id", f"камеры {camera_id!r} нет на этом боксе")
        camera = existing.model_copy(update={"motion": motion_from_form(form, existing.motion)})
        self.box.reconfigure(camera_forms.with_camera(self.cameras(), camera, adding=False))
        log.info("technician set motion of camera %s: %s", camera_id, camera.motion.model_dump())
        return camera

    def remove_camera(self, camera_id: str) -> None:
        self.box.reconfigure(camera_forms.without_camera(self.cameras(), camera_id))
        log.info("technician removed camera %s", camera_id)

    def power_cycle(self, camera_id: str) -> None:
        if self.gpio is None:
            raise RelayError("на этом боксе не настроены GPIO (раздел gpio)")
        self.gpio.relays.power_cycle(camera_id, reason="команда техника")

    # --- enrolment and password -------------------------------------------------------------------------
    def enrol(self, portal_url: str, claim_code: str) -> PortalLink:
        if not self.enrolment.open:
            raise EnrolmentError("привязка закрыта: бокс уже привязан (удержание сервисной кнопки 10 с открывает её)")
        link = claim(portal_url, self.device_id, claim_code)
        self.enrolment.enrolled(link)
        self.box.config = self.box.config.model_copy(update={"portal": link})
        if self.advertiser is not None:
            self.advertiser.update(enrolled="yes")
        self._start_sync()
        return link

    def _start_sync(self) -> None:
        """Bring the portal link up now rather than at the next restart, when edge.sync is installed."""
        if self.sync is not None:
            return
        try:
            from edge.sync import start_sync  # type: ignore[import-not-found]
        except ImportError:
            log.warning("edge.sync is not available; the portal link starts with the next service restart")
            return
        self.sync = start_sync(self.box)

    def reset_from_button(self) -> None:
        """Service button held 10 s: label password back, everyone logged out, enrolment reopened."""
        if not self.passwords.reset_to_label():
            log.error("button reset: this box has no label password configured (technician.label_password)")
        self.sessions.drop_all()
        self.enrolment.reopen()
        if self.advertiser is not None:
            self.advertiser.update(enrolled="no")

    def identify(self) -> None:
        if self.gpio is not None:
            self.gpio.identify()
        elif self.advertiser is not None:
            self.advertiser.announce()
