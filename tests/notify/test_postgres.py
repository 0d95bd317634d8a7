"""The production shape (PostgreSQL): three workers at once deliver every message exactly once, and a
maintenance announcement for one address among 10,000 contracts reaches all and only that address's contracts."""

import email
import threading
from email import policy as email_policy

import pytest
from sqlalchemy import func, insert, select

from portal.models import Address, Contract, ContractPhone
from portal.models.notify import NotifyMessage
from portal.notify import notices, outbox
from portal.notify.channels import SmtpChannel
from portal.notify.worker import Worker, WorkerConfig
from tests.fixtures.notify_servers import SmtpSink
from tests.notify.conftest import make_centre


@pytest.mark.slow
def test_three_workers_deliver_each_message_exactly_once(tmp_path, pg_url) -> None:
    app, world = make_centre(tmp_path, database_url=pg_url)
    db = app.state.services.db
    sink = SmtpSink().start()
    try:
        with db.session() as s:
            for i in range(300):
                outbox.enqueue(s, "email", f"user{i}@mail.ru", f"message {i}", subject=f"n{i}")
        config = WorkerConfig(batch=20, per_minute={})
        workers = [Worker(db, {"email": SmtpChannel("127.0.0.1", sink.port, "noreply@dozor.local")}, config,
                          name=f"w{n}") for n in range(3)]  # fmt: skip
        start = threading.Barrier(3)

        def run(worker: Worker) -> None:
            start.wait()
            worker.drain()

        threads = [threading.Thread(target=run, args=(w,)) for w in workers]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=240)
        subjects = [
            str(email.message_from_bytes(raw, policy=email_policy.default)["Subject"]) for _, _, raw in sink.messages
        ]
        assert len(subjects) == 300 and len(set(subjects)) == 300
        with db.session() as s:
            assert s.scalar(select(func.count()).where(NotifyMessage.status == "sent")) == 300
            assert s.scalar(select(func.count()).where(NotifyMessage.attempts != 1)) == 0
    finally:
        sink.stop()
        db.dispose()


@pytest.mark.slow
def test_maintenance_at_one_address_among_10000_contracts(tmp_path, pg_url) -> None:
    app, world = make_centre(tmp_path, database_url=pg_url)
    db, settings = app.state.services.db, app.state.services.settings
    with db.session() as s:
        s.execute(insert(Address), [{"city": "Новокузнецк", "street": "Тестовая", "house": str(h), "entrance": 1}
                                    for h in range(1, 11)])  # fmt: skip
        address_ids = list(s.scalars(select(Address.id).where(Address.street == "Тестовая").order_by(Address.id)))
        s.execute(insert(Contract), [{"number": f"9{i:06d}", "address_id": address_ids[i % 10], "flat": str(i)}
                                     for i in range(10_000)])  # fmt: skip
        ids = dict(s.execute(select(Contract.id, Contract.address_id).where(Contract.number.like("9%"))).all())
        s.execute(insert(ContractPhone), [{"contract_id": cid, "phone": f"+7900{cid:07d}"} for cid in ids])
        s.get(Contract, next(c for c, a in ids.items() if a == address_ids[3])).status = "disabled"
    target = address_ids[3]
    with db.session() as s:
        active = set(s.scalars(select(Contract.id).where(Contract.status == "active")))
    expected = {c for c, a in ids.items() if a == target and c in active}
    assert len(expected) == 999
    with db.session() as s:
        assert notices.audience_size(s, "address", str(target)) == 999
        notice = notices.publish(s, notices.Draft("maintenance", "Профилактика", "Ночью", target_kind="address",
                                                  target_value=str(target)))  # fmt: skip
        queued = notices.fan_out(s, outbox.Policy.from_settings(settings), notice, settings.public_url)
        reached = set(s.scalars(select(NotifyMessage.contract_id).where(NotifyMessage.notice_id == notice.id)))
        assert queued == 999 and reached == expected
        inside = s.get(Contract, next(iter(expected)))
        outside = s.get(Contract, next(c for c, a in ids.items() if a == address_ids[4]))
        assert [n.id for n in notices.active_messages(s, inside)] == [notice.id]
        assert notices.active_messages(s, outside) == []
    db.dispose()
