"""Start everything a technician meets on site next to the recording box: UI server, GPIO, zeroconf.

`dozor edge run` calls `start_onsite(box, ...)` after `box.start()` and `.stop()` before `box.stop()`.
"""

from __future__ import annotations

import logging
import logging.handlers
import socket
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn

from edge.box import Box
from edge.discovery import Advertiser
from edge.gpio.config import parse_gpio_config
from edge.gpio.controller import GpioController, pin_factory_for
from edge.selftest import mock_mode
from edge.techui.app import create_app
from edge.techui.config import parse_technician_config
from edge.techui.enrolment import EnrolmentState
from edge.techui.passwords import TechnicianPasswords
from edge.techui.service import SyncLink, TechUi

log = logging.getLogger(__name__)


def attach_log_file(path: Path) -> logging.Handler:
    """Keep a rotating copy of the box log for the logs page (journald keeps its own)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=2_000_000, backupCount=3, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.getLogger().addHandler(handler)
    return handler


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port (IPv6 when the host is one), or an OSError naming what is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise OSError(exc.errno, f"technician UI cannot listen on {host}:{port}: {exc.strerror}") from exc
    return sock


class OnSite:
    """The running technician UI, GPIO controller and zeroconf advertisement of one box."""

    def __init__(
        self,
        box: Box,
        *,
        sync: SyncLink | None = None,
        config_path: Path | None = None,
        port: int | None = None,
        bind: str | None = None,
        gpio_mock: bool | None = None,
        advertise: bool | None = None,
    ) -> None:
        tech = parse_technician_config(box.config.technician)
        gpio_config = parse_gpio_config(box.config.gpio)
        self.port = port if port is not None else tech.port
        self.bind = bind or tech.bind
        self.box = box
        self.ui = TechUi(
            box=box,
            config=tech,
            config_path=config_path,
            sync=sync,
            passwords=TechnicianPasswords(box.data_dir / "technician.json", tech),
            enrolment=EnrolmentState(box.data_dir / "enrolment.json"),
        )
        assert self.ui.log_file is not None  # TechUi.__post_init__ fills it in
        self._log_handler = attach_log_file(self.ui.log_file)
        mock = mock_mode() if gpio_mock is None else gpio_mock
        self.gpio = GpioController(
            gpio_config,
            status=box.status,
            uplink=self._uplink,
            publish_event=self._publish,
            on_identify=self._announce,
            on_reset=self.ui.reset_from_button,
            pin_factory=pin_factory_for(mock),
            camera_ids=[c.id for c in box.config.cameras],
        )
        self.ui.gpio = self.gpio
        box.add_listener(self.gpio.handle_box_event)
        # The portal's camera.power_cycle and relay.pulse (edge.sync) reach the relays through these hooks.
        box.register_power_cycler(self.gpio.power_cycle_camera)
        box.register_relay_pulser(self.gpio.pulse_relay)
        # Bound here, before the server thread, so that the port is ours (0: the system picks one) and a taken
        # port is a clear error at once rather than a server that never comes up.
        self._socket = listen(self.bind, self.port)
        self.port = self._socket.getsockname()[1]
        self.advertiser = (
            Advertiser(
                box.config.device_id,
                self.port,
                path="/",
                extra_txt={"enrolled": "no" if self.ui.enrolment.open else "yes"},
            )
            if (tech.advertise if advertise is None else advertise)
            else None
        )
        self.ui.advertiser = self.advertiser
        self.app = create_app(self.ui)
        self._server = uvicorn.Server(
            uvicorn.Config(
                self.app, host=self.bind, port=self.port, log_level="warning", access_log=False, lifespan="off"
            )
        )
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.bind in ("0.0.0.0", "::") else self.bind
        return f"http://{host}:{self.port}"

    def start(self, timeout: float = 30.0) -> OnSite:
        self.gpio.start()
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, name="techui", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"technician UI did not start on {self.bind}:{self.port}")
            time.sleep(0.05)
        if self.advertiser is not None:
            self.advertiser.start()
        self.gpio.booted()
        log.info("technician UI on %s", self.url)
        return self

    def stop(self) -> None:
        if self.advertiser is not None:
            self.advertiser.close()
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
        self._socket.close()
        self.box.register_power_cycler(None)  # the relays close with the controller
        self.box.register_relay_pulser(None)
        self.gpio.stop()
        self.ui.passwords.close()
        self.ui.enrolment.close()
        logging.getLogger().removeHandler(self._log_handler)
        self._log_handler.close()

    def _uplink(self) -> bool | None:
        link = getattr(self.ui.sync, "link", None)
        return None if link is None else link.connected.is_set()

    def _publish(self, event_type: str, data: dict[str, Any]) -> None:
        self.ui.publish_event(event_type, data)

    def _announce(self) -> None:
        if self.advertiser is not None:
            self.advertiser.announce()


def start_onsite(box: Box, **options: Any) -> OnSite:
    return OnSite(box, **options).start()
