"""Rollouts: which boxes get a version, in which wave, and when the rollout pauses itself.

Targets: a list of boxes, the boxes of an address, or a percentage of those (the whole fleet when nothing else is
named), picked by a stable hash of (version, box) so a 10 % rollout widened to 30 % keeps its first boxes.
A wave is offered once every box of the waves before it has reached a final state. After every pass the share of
failed boxes (rolled back, refused, failed) among those offered is compared with the threshold: above it the
rollout pauses with the reason and offers nothing more until an operator resumes it.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud_sync.messages import Event
from portal.models import Device, DeviceCommand, utcnow
from portal.models.ota import FAILED, TERMINAL, OtaBundle, OtaRollout, OtaTarget
from portal.services import CommandSending

ACTIVE = ("offered", "downloading", "installing", "switching")


class RolloutRefused(ValueError):
    """The rollout cannot be made as asked; the message names the field."""


def pick_devices(
    db: Session, version: str, devices: Sequence[str], address_id: int | None, percent: int | None
) -> list[str]:
    chosen: set[str] = set()
    if devices:
        known = set(db.scalars(select(Device.id).where(Device.id.in_(list(devices)))))
        missing = sorted(set(devices) - known)
        if missing:
            raise RolloutRefused(f"devices: no device {missing[0]!r}")
        chosen |= known
    if address_id is not None:
        at = set(db.scalars(select(Device.id).where(Device.address_id == address_id)))
        if not at:
            raise RolloutRefused(f"address_id: no box at address {address_id}")
        chosen |= at
    if not devices and address_id is None:
        chosen = set(db.scalars(select(Device.id)))
    ordered = sorted(chosen, key=lambda d: hashlib.sha256(f"{version}:{d}".encode()).hexdigest())
    if percent is not None:
        ordered = ordered[: math.ceil(len(ordered) * percent / 100)]
    if not ordered:
        raise RolloutRefused("devices: the rollout targets no box")
    return ordered


def create(
    db: Session,
    bundle: OtaBundle,
    device_ids: list[str],
    waves: int,
    threshold_percent: int,
    who: str,
) -> OtaRollout:
    waves = max(1, min(waves, len(device_ids)))
    rollout = OtaRollout(
        sha256=bundle.sha256, version=bundle.version, waves=waves, threshold_percent=threshold_percent, created_by=who
    )
    db.add(rollout)
    db.flush()
    for index, device_id in enumerate(device_ids):
        db.add(OtaTarget(rollout_id=rollout.id, device_id=device_id, wave=index * waves // len(device_ids)))
    db.flush()
    return rollout


def targets(db: Session, rollout_id: int) -> list[OtaTarget]:
    return list(db.scalars(select(OtaTarget).where(OtaTarget.rollout_id == rollout_id).order_by(OtaTarget.id)))


def check_threshold(rollout: OtaRollout, rows: list[OtaTarget]) -> bool:
    """Pause the rollout when its failed share passes the threshold; True when it paused now."""
    offered = [t for t in rows if t.state != "pending"]
    failed = [t for t in offered if t.state in FAILED]
    if rollout.state != "running" or not offered or not failed:
        return False
    share = 100 * len(failed) / len(offered)
    if share <= rollout.threshold_percent:
        return False
    rollout.state = "paused"
    reasons = "; ".join(f"{t.device_id}: {t.reason}" for t in failed[:3])
    rollout.paused_reason = (
        f"{len(failed)} of {len(offered)} boxes failed ({share:.0f} % > {rollout.threshold_percent} %): {reasons}"
    )[:500]
    return True


def advance(db: Session, commands: CommandSending | None, public_url: str) -> dict[str, int]:
    """One pass over running rollouts: settle command answers, pause or move waves, offer the current wave."""
    offered = paused = 0
    for rollout in db.scalars(select(OtaRollout).where(OtaRollout.state == "running")).all():
        rows = targets(db, rollout.id)
        _settle_answers(db, rows)
        if check_threshold(rollout, rows):
            paused += 1
            continue
        while rollout.wave < rollout.waves and all(t.state in TERMINAL for t in rows if t.wave <= rollout.wave):
            rollout.wave += 1
        if rollout.wave >= rollout.waves:
            rollout.state = "done"
            continue
        bundle = db.get(OtaBundle, rollout.sha256)
        if commands is None or bundle is None:
            continue
        args = {
            "url": f"{public_url.rstrip('/')}/ota/v1/bundles/{bundle.sha256}",
            "sha256": bundle.sha256,
            "version": bundle.version,
            "size": bundle.size,
        }
        for target in rows:
            if target.state == "pending" and target.wave <= rollout.wave:
                submit = getattr(commands, "submit", None)
                request_id = submit(target.device_id, "ota.install", args, sent_by="ota") if submit else ""
                if not submit:
                    commands.send(target.device_id, "ota.install", args, sent_by="ota")
                target.state, target.request_id, target.updated_at = "offered", request_id or "", utcnow()
                offered += 1
    return {"offered": offered, "paused": paused}


def resume(db: Session, rollout: OtaRollout, commands: CommandSending | None, public_url: str) -> None:
    """An operator resumes a paused rollout; the failures that paused it do not pause it again at once."""
    if rollout.state != "paused":
        raise RolloutRefused(f"rollout {rollout.id} is {rollout.state}, not paused")
    rollout.state, rollout.paused_reason = "running", ""
    rollout.threshold_percent = 100
    advance(db, commands, public_url)


def _settle_answers(db: Session, rows: list[OtaTarget]) -> None:
    """A box that refused the command itself (busy, expired, already on the version) says so in its answer."""
    for target in rows:
        if target.state != "offered" or not target.request_id:
            continue
        command = db.get(DeviceCommand, target.request_id)
        if command is None:
            continue
        if command.status == "expired":
            target.state, target.reason = "failed", command.error or "the command expired before the box took it"
        elif command.completed_at is not None:
            answer: dict[str, Any] = command.result or {}
            inner = answer.get("result") or {}
            if not answer.get("ok", False):
                target.state, target.reason = "refused", str(answer.get("error") or command.error)[:500]
            elif inner.get("accepted") is False:
                target.state, target.reason = "already", f"the box already runs {inner.get('current')}"


def apply_event(db: Session, device_id: str, event: Event) -> None:
    """An `ota` event from a box moves its target in the newest rollout of that version."""
    if event.type != "ota":
        return
    data = event.data or {}
    version, stage = str(data.get("version", "")), str(data.get("stage", ""))
    target = db.scalar(
        select(OtaTarget)
        .join(OtaRollout, OtaRollout.id == OtaTarget.rollout_id)
        .where(OtaTarget.device_id == device_id, OtaRollout.version == version)
        .order_by(OtaRollout.id.desc())
    )
    if target is None or (target.state in TERMINAL and stage in ACTIVE):
        return  # a late progress event never reopens a box that already finished
    if stage not in (*ACTIVE, *TERMINAL):
        return
    target.state = stage
    if "percent" in data:
        target.percent = max(0, min(100, int(data["percent"])))
    if stage in FAILED or stage == "healthy":
        target.reason = str(data.get("reason", ""))[:500]
    target.updated_at = utcnow()


def latest_by_device(db: Session, device_ids: Sequence[str] | None = None) -> dict[str, dict[str, Any]]:
    """Each box's state in the newest rollout that targets it (the fleet page's update column); only the boxes
    ``device_ids`` names when given (a page of the fleet: every rollout's targets would be read otherwise)."""
    query = (
        select(OtaTarget.device_id, OtaRollout.version, OtaTarget.state, OtaTarget.percent, OtaTarget.reason)
        .join(OtaRollout, OtaRollout.id == OtaTarget.rollout_id)
        .order_by(OtaRollout.id)
    )
    if device_ids is not None:
        query = query.where(OtaTarget.device_id.in_(list(device_ids)))
    rows = db.execute(query).all()
    return {r[0]: {"version": r[1], "state": r[2], "percent": r[3], "reason": r[4]} for r in rows}


def summary(db: Session, rollout: OtaRollout) -> dict[str, Any]:
    rows = targets(db, rollout.id)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.state] = counts.get(row.state, 0) + 1
    return {
        "id": rollout.id,
        "version": rollout.version,
        "state": rollout.state,
        "paused_reason": rollout.paused_reason,
        "wave": rollout.wave,
        "waves": rollout.waves,
        "threshold_percent": rollout.threshold_percent,
        "counts": counts,
        "targets": [
            {"device_id": t.device_id, "wave": t.wave, "state": t.state, "percent": t.percent, "reason": t.reason}
            for t in rows
        ],
    }
