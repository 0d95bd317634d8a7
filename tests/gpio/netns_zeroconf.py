"""Run inside `unshare -n`: bring loopback up with multicast, advertise the box, browse for it, print JSON.

Launched as a subprocess by test_discovery.py so the test process's own network stays untouched.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

from zeroconf import IPVersion, ServiceBrowser, ServiceStateChange, Zeroconf

from edge.discovery import SERVICE_TYPES, Advertiser


def setup_loopback() -> None:
    for argv in (
        ["ip", "link", "set", "lo", "up"],
        ["ip", "link", "set", "lo", "multicast", "on"],
        ["ip", "route", "add", "224.0.0.0/4", "dev", "lo"],
    ):
        subprocess.run(argv, check=True)


def browse(zc: Zeroconf, service_type: str, want_txt: dict[str, str], deadline: float) -> dict[str, object] | None:
    """Wait for an instance of `service_type` whose TXT contains `want_txt`; return its details."""
    found: dict[str, object] = {}
    done = threading.Event()

    def on_change(zeroconf: Zeroconf, service_type: str, name: str, state_change: ServiceStateChange) -> None:
        if state_change is ServiceStateChange.Removed:
            return
        info = zeroconf.get_service_info(service_type, name, timeout=2000)
        if info is None:
            return
        txt = {k.decode(): (v or b"").decode() for k, v in info.properties.items()}
        if all(txt.get(k) == v for k, v in want_txt.items()):
            found.update(name=name, port=info.port, txt=txt, addresses=info.parsed_addresses())
            done.set()

    browser = ServiceBrowser(zc, service_type, handlers=[on_change])
    done.wait(max(0.0, deadline - time.monotonic()))
    browser.cancel()
    return found or None


def main() -> int:
    device_id, port = sys.argv[1], int(sys.argv[2])
    setup_loopback()
    advertiser = Advertiser(device_id, port, path="/", addresses=["127.0.0.1"]).start()
    browser_zc = Zeroconf(ip_version=IPVersion.V4Only)
    deadline = time.monotonic() + 20
    result: dict[str, object] = {}
    for service_type in SERVICE_TYPES:
        result[service_type] = browse(browser_zc, service_type, {"id": device_id}, deadline)
    # A TXT change must reach browsers that are already watching.
    advertiser.update(enrolled="yes")
    result["after_update"] = browse(browser_zc, "_dozor._tcp.local.", {"enrolled": "yes"}, time.monotonic() + 15)
    advertiser.close()
    result["after_close"] = (
        browser_zc.get_service_info("_dozor._tcp.local.", f"Dozor {device_id}._dozor._tcp.local.", timeout=1500)
        is not None
    )
    browser_zc.close()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
