"""Health of the box itself: CPU temperature, Pi throttling flags, clock sync, network interfaces."""

from __future__ import annotations

import shutil
import socket
import subprocess
from pathlib import Path
from typing import Any

import psutil

from edge.clock import Clock

THERMAL = Path("/sys/class/thermal/thermal_zone0/temp")

# Bits of `vcgencmd get_throttled` (Raspberry Pi firmware).
THROTTLE_BITS = {
    0: "недостаточное питание сейчас",
    1: "частота ограничена сейчас",
    2: "троттлинг сейчас",
    3: "мягкий температурный предел сейчас",
    16: "было недостаточное питание",
    17: "частота ограничивалась",
    18: "был троттлинг",
    19: "был мягкий температурный предел",
}


def cpu_temperature(path: Path = THERMAL) -> float | None:
    """Degrees Celsius, or None where the kernel exposes no thermal zone (containers, some PCs)."""
    try:
        return int(path.read_text().strip()) / 1000
    except (OSError, ValueError):
        return None


def decode_throttled(value: int) -> list[str]:
    return [label for bit, label in THROTTLE_BITS.items() if value & (1 << bit)]


def throttling() -> dict[str, Any] | None:
    """The Pi's throttled flags via vcgencmd; None off the Pi (no vcgencmd)."""
    tool = shutil.which("vcgencmd")
    if tool is None:
        return None
    try:
        out = subprocess.run([tool, "get_throttled"], capture_output=True, text=True, timeout=5).stdout
        value = int(out.strip().split("=", 1)[1], 16)
    except (OSError, subprocess.SubprocessError, IndexError, ValueError):
        return None
    return {"raw": hex(value), "flags": decode_throttled(value)}


def clock_state(clock: Clock | None = None) -> dict[str, Any]:
    return {"synced": (clock or Clock()).synced()}


def interfaces() -> list[dict[str, Any]]:
    """Each interface with its addresses and link state, for the network page."""
    stats = psutil.net_if_stats()
    result = []
    for name, addresses in sorted(psutil.net_if_addrs().items()):
        stat = stats.get(name)
        result.append(
            {
                "name": name,
                "up": bool(stat and stat.isup),
                "speed_mbps": stat.speed if stat else None,
                "addresses": [a.address for a in addresses if a.family in (socket.AF_INET, socket.AF_INET6)],
                "mac": next((a.address for a in addresses if a.family == psutil.AF_LINK), None),
            }
        )
    return result


def default_gateway() -> str | None:
    try:
        for line in Path("/proc/net/route").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[1] == "00000000":
                return socket.inet_ntoa(bytes.fromhex(fields[2])[::-1])
    except (OSError, IndexError, ValueError):
        return None
    return None


def dns_servers() -> list[str]:
    try:
        lines = Path("/etc/resolv.conf").read_text().splitlines()
    except OSError:
        return []
    return [line.split()[1] for line in lines if line.startswith("nameserver") and len(line.split()) > 1]
