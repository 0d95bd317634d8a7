"""SetIOSToken: a phone's push token per subscriber and device (one row per DeviceUID, updated in place)."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.forpost.params import Params
from portal.models import utcnow
from portal.models.forpost import PushToken


def store_push_token(db: Session, contract_id: int, session_id: int, params: Params) -> PushToken:
    uid = params.text("DeviceUID", 128)
    row = db.scalar(select(PushToken).where(PushToken.contract_id == contract_id, PushToken.device_uid == uid))
    if row is None:
        row = PushToken(contract_id=contract_id, device_uid=uid)
        db.add(row)
    row.device_token = params.text("DeviceToken", 512)
    row.login_session_id = session_id
    row.app_name = params.optional_text("AppName", max_len=100)
    row.app_version = params.optional_text("AppVersion", max_len=32)
    row.device_name = params.optional_text("DeviceName", max_len=200)
    row.device_model = params.optional_text("DeviceModel", max_len=100)
    row.device_version = params.optional_text("DeviceVersion", max_len=32)
    row.push_badge = params.flag("PushBadge", True)
    row.push_alert = params.flag("PushAlert", True)
    row.push_sound = params.flag("PushSound", True)
    row.client_id = params.optional_text("ClientID", max_len=100)
    row.updated_at = utcnow()
    db.flush()
    return row
