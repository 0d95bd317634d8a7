"""Reading what a gpiozero MockPin did: its level history as (lit, seconds) steps."""

from __future__ import annotations

from gpiozero.pins.mock import MockPin


def steps(pin: MockPin) -> list[tuple[bool, float]]:
    """Completed levels in order: MockPin records each change with the time spent in the previous level."""
    history = list(pin.states)
    return [(bool(history[i - 1].state), history[i].timestamp) for i in range(1, len(history))]


def pulses_per_cycle(recorded: list[tuple[bool, float]], pause: float = 1.0) -> list[int]:
    """Counts of lit pulses between dark pauses longer than `pause`; first and last groups are partial, dropped."""
    groups: list[int] = []
    count = 0
    for lit, seconds in recorded:
        if lit:
            count += 1
        elif seconds > pause:
            groups.append(count)
            count = 0
    return groups[1:]
