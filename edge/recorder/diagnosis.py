"""ffmpeg's stderr turned into a reason: why a recording attempt ended."""

from __future__ import annotations

from dataclasses import dataclass

# (needle in a lowercased stderr line, error code). First match in this order wins.
_PATTERNS: tuple[tuple[str, str], ...] = (
    ("401 unauthorized", "auth_failed"),
    ("unauthorized", "auth_failed"),
    ("403 forbidden", "auth_failed"),
    ("no space left on device", "disk_full"),
    ("connection refused", "refused"),
    ("timed out", "timeout"),
    ("timeout", "timeout"),
    ("no route to host", "unreachable"),
    ("network is unreachable", "unreachable"),
    ("name or service not known", "unreachable"),
    ("temporary failure in name resolution", "unreachable"),
    ("404 not found", "not_found"),
    ("not found", "not_found"),
    ("could not find tag for codec", "unsupported_codec"),
    ("codec not currently supported", "unsupported_codec"),
    ("unsupported codec", "unsupported_codec"),
    ("connection reset", "dropped"),
    ("end of file", "dropped"),
    ("broken pipe", "dropped"),
)

# What each error means for the timeline. A timeout is "stalled" when the session was already delivering.
GAP_REASON = {
    "auth_failed": "camera_auth",
    "disk_full": "disk_full",
    "refused": "camera_unreachable",
    "timeout": "camera_unreachable",
    "unreachable": "camera_unreachable",
    "not_found": "camera_unreachable",
    "unsupported_codec": "camera_unreachable",
    "dropped": "camera_unreachable",
    "exited": "camera_unreachable",
    "stalled": "stalled",
    "clock_step": "clock_step",
}


@dataclass(frozen=True)
class Diagnosis:
    error: str  # auth_failed, refused, timeout, unreachable, not_found, unsupported_codec, disk_full, dropped, exited
    detail: str  # the stderr line that told us, secrets scrubbed

    @property
    def gap_reason(self) -> str:
        return GAP_REASON.get(self.error, "camera_unreachable")


def diagnose(lines: list[str], secrets: tuple[str, ...] = ()) -> Diagnosis:
    """Classify the tail of ffmpeg's stderr; `secrets` are scrubbed from the kept detail line."""
    for line in reversed(lines):
        lowered = line.lower()
        for needle, error in _PATTERNS:
            if needle in lowered:
                return Diagnosis(error, scrub(line.strip(), secrets))
    last = scrub(lines[-1].strip(), secrets) if lines else ""
    return Diagnosis("exited", last)


def scrub(text: str, secrets: tuple[str, ...]) -> str:
    """ffmpeg echoes the input URL (with credentials) in some errors: mask every secret."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
