"""The camera form: technician input → a validated CameraConfig, or an error naming the field in Russian."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from edge.config import CameraConfig

FIELD_LABELS = {
    "id": "Идентификатор",
    "name": "Название",
    "url": "Адрес потока",
    "sub_url": "Адрес дополнительного потока",
    "username": "Логин камеры",
    "password": "Пароль камеры",
    "segment_seconds": "Длина сегмента",
    "kind": "Тип источника",
}


class CameraFormError(ValueError):
    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        super().__init__(f"{FIELD_LABELS.get(field, field)}: {reason}")


def camera_from_form(form: Mapping[str, Any], existing: CameraConfig | None = None) -> CameraConfig:
    """Build the camera; an empty password field on edit keeps the stored password."""
    data: dict[str, Any] = {
        "id": (form.get("id") or "").strip() if existing is None else existing.id,
        "name": (form.get("name") or "").strip(),
        "url": (form.get("url") or "").strip(),
        "sub_url": (form.get("sub_url") or "").strip() or None,
        "username": (form.get("username") or "").strip() or None,
        "password": form.get("password") or None,
        "enabled": form.get("enabled") in ("on", "true", "1", True),
    }
    if existing is not None:  # the motion settings have their own page (edge/techui/motion_form.py)
        data["motion"] = existing.motion.model_dump()
    if existing is not None and data["password"] is None and existing.password is not None:
        data["password"] = existing.password.get_secret_value()
    if form.get("segment_seconds"):
        data["segment_seconds"] = form["segment_seconds"]
    if not data["id"]:
        raise CameraFormError("id", "обязательное поле (латиница, цифры, - _ .)")
    if not data["url"]:
        raise CameraFormError("url", "обязательное поле, например rtsp://192.168.1.64:554/Streaming/Channels/101")
    try:
        return CameraConfig.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "url"
        raise CameraFormError(field, _reason(first)) from None
    except ValueError as exc:  # URL scheme inference raises a plain ValueError
        raise CameraFormError("url", str(exc)) from None


def _reason(error: Mapping[str, Any]) -> str:
    kind = error.get("type", "")
    if kind == "string_pattern_mismatch":
        return "допустимы латинские буквы, цифры и - _ . (до 64 символов, с буквы или цифры)"
    if kind in ("greater_than_equal", "less_than_equal", "int_parsing"):
        return f"недопустимое число ({error.get('msg')})"
    return str(error.get("msg", "недопустимое значение")).removeprefix("Value error, ")


def with_camera(cameras: list[CameraConfig], camera: CameraConfig, adding: bool) -> list[CameraConfig]:
    """The new camera list; adding an id that exists is an error, not a silent overwrite."""
    ids = [c.id for c in cameras]
    if adding and camera.id in ids:
        raise CameraFormError("id", f"камера {camera.id!r} уже есть на этом боксе")
    if not adding and camera.id not in ids:
        raise CameraFormError("id", f"камеры {camera.id!r} нет на этом боксе")
    if adding:
        return [*cameras, camera]
    return [camera if c.id == camera.id else c for c in cameras]


def without_camera(cameras: list[CameraConfig], camera_id: str) -> list[CameraConfig]:
    if camera_id not in {c.id for c in cameras}:
        raise CameraFormError("id", f"камеры {camera_id!r} нет на этом боксе")
    return [c for c in cameras if c.id != camera_id]
