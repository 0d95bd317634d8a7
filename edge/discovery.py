"""Zeroconf (mDNS/DNS-SD) advertisement of the box's technician UI as `_http._tcp` and `_dozor._tcp`.

A technician's phone or laptop on the entrance LAN browses for `_dozor._tcp` (or any `_http._tcp`
browser) and finds "Dozor <device_id>" with TXT `id`, `version`, `path`. The TXT is re-announced when it
changes (e.g. the box was enrolled, or the service button asked to identify) and withdrawn on shutdown.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Mapping, Sequence
from importlib.metadata import PackageNotFoundError, version

import ifaddr
from zeroconf import IPVersion, ServiceInfo, Zeroconf

log = logging.getLogger(__name__)

SERVICE_TYPES = ("_http._tcp.local.", "_dozor._tcp.local.")


def software_version() -> str:
    try:
        return version("dozor")
    except PackageNotFoundError:  # running from a source tree without an install
        return "0+unknown"


def lan_addresses() -> list[str]:
    """IPv4 addresses of the box's interfaces; loopback only when nothing else is up."""
    found: list[str] = []
    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            if isinstance(ip.ip, str) and ip.ip not in found:
                found.append(ip.ip)
    outside = [ip for ip in found if not ip.startswith("127.")]
    return outside or found or ["127.0.0.1"]


def instance_name(device_id: str) -> str:
    return f"Dozor {device_id}"


class Advertiser:
    """Registers both services for one device; `update()` re-announces, `close()` sends goodbyes."""

    def __init__(
        self,
        device_id: str,
        port: int,
        *,
        path: str = "/",
        addresses: Sequence[str] | None = None,
        extra_txt: Mapping[str, str] | None = None,
        zeroconf: Zeroconf | None = None,
    ) -> None:
        self.device_id = device_id
        self.port = port
        self.path = path
        self.addresses = list(addresses) if addresses else lan_addresses()
        self._extra = dict(extra_txt or {})
        self._own_zeroconf = zeroconf is None
        self._zc = zeroconf or Zeroconf(ip_version=IPVersion.V4Only)
        self._lock = threading.Lock()
        self._infos: list[ServiceInfo] = []

    def txt(self) -> dict[str, str]:
        return {"id": self.device_id, "version": software_version(), "path": self.path, **self._extra}

    def _build(self, service_type: str) -> ServiceInfo:
        host = "dozor-" + "".join(ch if ch.isalnum() else "-" for ch in self.device_id.lower())
        return ServiceInfo(
            service_type,
            f"{instance_name(self.device_id)}.{service_type}",
            port=self.port,
            properties=self.txt(),
            addresses=[socket.inet_aton(a) for a in self.addresses],
            server=f"{host}.local.",
        )

    def start(self) -> Advertiser:
        with self._lock:
            self._infos = [self._build(t) for t in SERVICE_TYPES]
            for info in self._infos:
                # allow_name_change: two boxes misconfigured with one id still both become findable.
                self._zc.register_service(info, allow_name_change=True)
        log.info("advertising %s on %s:%d", instance_name(self.device_id), ",".join(self.addresses), self.port)
        return self

    def update(self, **txt: str) -> None:
        """Merge TXT entries and re-announce (a no-op when nothing changed)."""
        with self._lock:
            merged = {**self._extra, **txt}
            if merged == self._extra and self._infos:
                return
            self._extra = merged
            new_infos = []
            for old in self._infos:
                info = self._build(old.type)
                info.name = old.name  # keep the (possibly conflict-renamed) instance name
                self._zc.update_service(info)
                new_infos.append(info)
            self._infos = new_infos

    def announce(self) -> None:
        """Re-send the current records now (button short press: "I am here")."""
        with self._lock:
            for info in self._infos:
                self._zc.update_service(info)

    def close(self) -> None:
        with self._lock:
            for info in self._infos:
                try:
                    self._zc.unregister_service(info)
                except Exception:
                    log.exception("zeroconf unregister failed")
            self._infos = []
            if self._own_zeroconf:
                self._zc.close()
