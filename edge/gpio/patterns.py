"""Status LED patterns: what the box's single LED says about its state (see docs/box.md)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class BoxState(StrEnum):
    """Box conditions the LED can show, listed from the most to the least urgent."""

    BOOTING = "booting"
    IDENTIFY = "identify"
    DISK_PROBLEM = "disk_problem"
    TAMPER = "tamper"
    CAMERA_FAULT = "camera_fault"
    NO_UPLINK = "no_uplink"
    OK = "ok"


@dataclass(frozen=True)
class Pattern:
    """One cycle of (lit, seconds) steps, repeated while the state lasts."""

    name: str
    label: str  # Russian, for the technician guide and status page
    steps: tuple[tuple[bool, float], ...]

    def pulses(self) -> int:
        """Lit steps per cycle: the number a technician counts."""
        return sum(1 for lit, _ in self.steps if lit)


SHORT, GAP, PAUSE = 0.2, 0.25, 1.5


def _counted(count: int) -> tuple[tuple[bool, float], ...]:
    """`count` short flashes, then a long dark pause: easy to count from across a stairwell."""
    steps: list[tuple[bool, float]] = []
    for i in range(count):
        steps.append((True, SHORT))
        steps.append((False, PAUSE if i == count - 1 else GAP))
    return tuple(steps)


PATTERNS: dict[BoxState, Pattern] = {
    BoxState.BOOTING: Pattern("booting", "Загрузка: ровное частое мигание", ((True, 0.5), (False, 0.5))),
    BoxState.IDENTIFY: Pattern("identify", "Опознание: очень частое мигание", ((True, 0.08), (False, 0.08))),
    BoxState.OK: Pattern("ok", "Всё в порядке: горит, коротко гаснет раз в 3 с", ((True, 2.8), (False, 0.2))),
    BoxState.CAMERA_FAULT: Pattern("camera_fault", "Неисправна камера: 2 вспышки, пауза", _counted(2)),
    BoxState.NO_UPLINK: Pattern("no_uplink", "Нет связи с порталом: 3 вспышки, пауза", _counted(3)),
    BoxState.DISK_PROBLEM: Pattern("disk_problem", "Проблема с диском: 4 вспышки, пауза", _counted(4)),
    BoxState.TAMPER: Pattern("tamper", "Вскрыт корпус: 5 вспышек, пауза", _counted(5)),
}
