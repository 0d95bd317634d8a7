"""The command log keeps what an operator may ask about and forgets the rest: finished commands past
`command_log_days`, `live.light` renewals past a day; a command still waiting for its box is never removed."""

from datetime import timedelta
from pathlib import Path

from portal import migrate
from portal.db import Database
from portal.fleet.command_log import prune
from portal.fleet.provisioning import create_device
from portal.models import DeviceCommand, utcnow


def test_prune_keeps_pending_recent_and_audit_worthy_commands(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'portal.db'}")
    migrate.upgrade(db)
    now = utcnow()
    rows = {  # request id: (name, status, age)
        "old-reboot": ("reboot", "done", timedelta(days=100)),
        "old-pending": ("reboot", "sent", timedelta(days=100)),
        "recent-reboot": ("reboot", "done", timedelta(days=10)),
        "old-light": ("live.light", "done", timedelta(days=2)),
        "fresh-light": ("live.light", "done", timedelta(hours=2)),
        "pending-light": ("live.light", "sent", timedelta(days=2)),
    }
    with db.session() as s:
        create_device(s, "box1")
        for request_id, (name, status, age) in rows.items():
            s.add(DeviceCommand(request_id=request_id, device_id="box1", name=name, status=status,
                                created_at=now - age))  # fmt: skip
    assert prune(db, keep_days=90, now=now) == 2
    with db.session() as s:
        kept = {c.request_id for c in s.query(DeviceCommand)}
    assert kept == {"old-pending", "recent-reboot", "fresh-light", "pending-light"}
    assert prune(db, keep_days=90, now=now) == 0  # a second pass (or another worker) finds nothing more
    db.dispose()
