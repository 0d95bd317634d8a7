"""Benchmark: enqueue and deliver N notifications (half e-mail to a local SMTP server, half push to a local
FCM v1 server) through the outbox and one worker, against a bare loop of the same channel calls in the same run.
N = 100,000 (the issue's figure). DOZOR_BENCH_NOTIFY overrides it for a quick look only: the JSON then says the
run is not at the issue's scale (`at_issue_scale: false`) and its figures do not answer the issue. Prints JSON.
Run: .venv/bin/pytest -s -p no:cacheprovider tests/bench/bench_notify.py
"""

import json
import os
import time
from types import SimpleNamespace

from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import func, select

from portal.models.notify import NotifyMessage
from portal.notify import outbox
from portal.notify.channels import SmtpChannel
from portal.notify.push import FcmChannel
from portal.notify.worker import Worker, WorkerConfig
from tests.fixtures.notify_servers import FcmServer, SmtpSink
from tests.notify.conftest import make_centre
from tests.notify.test_channels import pem

ISSUE_MESSAGES = 100_000


def test_bench_notify(tmp_path) -> None:
    n = int(os.environ.get("DOZOR_BENCH_NOTIFY", str(ISSUE_MESSAGES)))
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    smtp, fcm_server = SmtpSink().start(), FcmServer(key.public_key()).start()
    try:
        email = SmtpChannel("127.0.0.1", smtp.port, "noreply@dozor.local")
        fcm = FcmChannel(fcm_server.url, FcmServer.PROJECT, "svc@test", pem(key), fcm_server.url + "/token")
        app, _ = make_centre(tmp_path)
        db = app.state.services.db

        # Bare loop: the same client calls on in-memory messages, no database.
        started = time.perf_counter()
        for i in range(n):
            to = f"u{i}@mail.ru" if i % 2 == 0 else f"tok{i}"
            m = SimpleNamespace(recipient=to, subject=f"s{i}", text="t", body=None, data="{}")
            email.send(m) if i % 2 == 0 else fcm.send(m)
        bare = time.perf_counter() - started

        started = time.perf_counter()
        with db.session() as s:
            for i in range(n):
                if i % 2 == 0:
                    outbox.enqueue(s, "email", f"u{i}@mail.ru", "t", subject=f"s{i}")
                else:
                    outbox.enqueue(s, "push", f"tok{i}", "t", subject=f"s{i}")
        enqueue = time.perf_counter() - started
        worker = Worker(db, {"email": email, "push": fcm}, WorkerConfig(batch=500, per_minute={}))
        started = time.perf_counter()
        worker.drain(rounds=10 * n)
        deliver = time.perf_counter() - started
        with db.session() as s:
            sent = s.scalar(select(func.count()).where(NotifyMessage.status == "sent"))
        assert sent == n and len(smtp.messages) == n  # e-mail: the bare loop's n/2 + the outbox's n/2
        print(json.dumps({
            "messages": n,
            "issue_messages": ISSUE_MESSAGES,
            "at_issue_scale": n >= ISSUE_MESSAGES,
            "bare_loop_msgs_per_s": round(n / bare, 1),
            "enqueue_msgs_per_s": round(n / enqueue, 1),
            "outbox_deliver_msgs_per_s": round(n / deliver, 1),
            "outbox_end_to_end_msgs_per_s": round(n / (enqueue + deliver), 1),
            "outbox_vs_bare_ratio": round(bare / (enqueue + deliver), 3),
        }))  # fmt: skip
        db.dispose()
    finally:
        smtp.stop()
        fcm_server.stop()
