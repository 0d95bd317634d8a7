"""The CameraID parameter resolved through the one ownership rule (portal.access): ErrorCode 5 otherwise."""

from portal.access import can_view
from portal.forpost import errors
from portal.forpost.context import CallContext
from portal.forpost.numbers import camera_of
from portal.models import Camera


def camera_param(ctx: CallContext, name: str = "CameraID") -> Camera:
    """The caller's camera named by the parameter. Unknown and foreign cameras answer alike (no probing)."""
    number = ctx.params.integer(name, lo=1)
    camera_id = camera_of(ctx.db, number)
    camera = can_view(ctx.db, ctx.who, camera_id) if camera_id else None
    if camera is None:
        raise errors.forbidden("Нет прав на камеру")
    return camera


def is_private(camera: Camera, contract_id: int) -> bool:
    return camera.owner_contract_id == contract_id
