"""The motion form: on/off, sensitivity, smallest area and ignored zones (drawn on the camera's snapshot)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from edge.motion.config import MotionConfig
from edge.techui.camera_forms import CameraFormError

LABELS = {
    "sensitivity": "Чувствительность",
    "min_area": "Наименьшая площадь",
    "zones": "Зоны без детекции",
    "source": "Источник",
}


def motion_from_form(form: Mapping[str, Any], existing: MotionConfig) -> MotionConfig:
    try:
        zones = json.loads(form.get("zones") or "[]")
    except json.JSONDecodeError:
        raise CameraFormError("zones", "не удалось прочитать зоны; нарисуйте их заново") from None
    data = {
        **existing.model_dump(),
        "enabled": form.get("enabled") in ("on", "true", "1"),
        "sensitivity": (form.get("sensitivity") or "").strip() or existing.sensitivity,
        "min_area": (form.get("min_area") or "").strip().replace(",", ".") or existing.min_area,
        "source": form.get("source") or existing.source,
        "zones": zones,
    }
    try:
        return MotionConfig.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "zones"
        reason = str(first.get("msg", "недопустимое значение")).removeprefix("Value error, ")
        raise CameraFormError(field, f"{LABELS.get(field, field)}: {reason}") from None
