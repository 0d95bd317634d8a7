"""The built-in test-mode gateway: the embedded default when no YooKassa credentials are configured.

It keeps the provider's side of each payment in its own table and serves a clearly marked «тестовый режим»
confirmation page on the portal itself (portal/routers/payments_pages.py), so a person can top up in the demo
through exactly the flow a real provider drives: create (idempotent by key) -> redirect -> confirm -> re-read
-> credit. No money moves; the page says so.
"""

import hashlib
import json
import uuid

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.billing.gateway import CANCELED, PENDING, SUCCEEDED, GatewayError, GatewayPayment, GatewayRefund
from portal.db import Database
from portal.models import SandboxPayment

CONFIRM_PATH = "/billing/test-gateway/"


class TestModeGateway:
    name = "testmode"
    __test__ = False  # not a pytest test class, whatever its name

    def __init__(self, database: Database, public_url: str) -> None:
        self.database = database
        self.public_url = public_url.rstrip("/")

    def create_payment(
        self,
        *,
        amount_kopecks: int,
        description: str,
        return_url: str,
        idempotence_key: str,
        save_payment_method: bool = False,
        payment_method_id: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> GatewayPayment:
        request = {
            "amount": amount_kopecks,
            "description": description,
            "return_url": return_url,
            "save": save_payment_method,
            "method": payment_method_id,
            "metadata": metadata or {},
        }
        row = SandboxPayment(
            id=f"test-{uuid.uuid4()}",
            idempotence_key=idempotence_key,
            request_digest=_digest(request),
            amount_kopecks=amount_kopecks,
            description=description[:128],
            return_url=return_url,
            save_method=save_payment_method,
            meta=metadata or {},
        )
        if payment_method_id:  # a recurring charge: a card saved at an earlier test payment, no redirect
            row.payment_method_id = payment_method_id
            row.status = SUCCEEDED if self._method_saved(payment_method_id) else CANCELED
            row.method_saved = row.status == SUCCEEDED
        return self._view(self._store(row))

    def get_payment(self, payment_id: str) -> GatewayPayment:
        return self._view(self._get(payment_id, "payment"))

    def confirm(self, payment_id: str) -> str:
        """The «Оплатить» button: the payment succeeds (and its card is saved if asked); returns return_url."""
        with self.database.session() as db:
            row = db.get(SandboxPayment, payment_id)
            if row is None or row.kind != "payment":
                raise GatewayError("no such test payment", retryable=False, code="not_found")
            if row.status == PENDING:
                row.status = SUCCEEDED
                row.payment_method_id = f"test-card-{uuid.uuid4().hex[:12]}"
                row.method_saved = row.save_method
            return row.return_url

    def find(self, payment_id: str) -> SandboxPayment | None:
        """For the confirmation page: the test payment, or None for an unknown id."""
        with self.database.session() as db:
            row = db.get(SandboxPayment, payment_id)
            return row if row is not None and row.kind == "payment" else None

    def create_refund(self, *, payment_id: str, amount_kopecks: int, idempotence_key: str) -> GatewayRefund:
        with self.database.session() as db:
            payment = db.get(SandboxPayment, payment_id)
            if payment is None or payment.status != SUCCEEDED:
                raise GatewayError("payment is not refundable", retryable=False, code="invalid_request")
            refunded = (
                db.scalar(
                    select(func.coalesce(func.sum(SandboxPayment.amount_kopecks), 0)).where(
                        SandboxPayment.kind == "refund", SandboxPayment.payment_id == payment_id
                    )
                )
                or 0
            )
        row = SandboxPayment(
            id=f"test-refund-{uuid.uuid4()}",
            idempotence_key=idempotence_key,
            request_digest=_digest({"payment": payment_id, "amount": amount_kopecks}),
            kind="refund",
            payment_id=payment_id,
            amount_kopecks=amount_kopecks,
            status=SUCCEEDED,
        )
        stored = self._store(row, check=lambda: refunded + amount_kopecks <= payment.amount_kopecks)
        return self._refund_view(stored)

    def get_refund(self, refund_id: str) -> GatewayRefund:
        return self._refund_view(self._get(refund_id, "refund"))

    # -- internals ----------------------------------------------------------------------------------------------
    def _store(self, row: SandboxPayment, check=None) -> SandboxPayment:
        """Same key + same request -> the first object; same key + another request -> refused (as YooKassa)."""
        existing = self._by_key(row.idempotence_key)
        if existing is None:
            if check is not None and not check():
                raise GatewayError("refund exceeds the payment", retryable=False, code="invalid_request")
            try:
                with self.database.session() as db:
                    db.add(row)
                return row
            except IntegrityError:  # a concurrent call with the same key stored it first
                existing = self._by_key(row.idempotence_key)
        if existing is None or existing.request_digest != row.request_digest:
            raise GatewayError("Idempotence-Key reused with other data", retryable=False, code="invalid_request")
        return existing

    def _by_key(self, key: str) -> SandboxPayment | None:
        with self.database.session() as db:
            return db.scalar(select(SandboxPayment).where(SandboxPayment.idempotence_key == key))

    def _get(self, object_id: str, kind: str) -> SandboxPayment:
        with self.database.session() as db:
            row = db.get(SandboxPayment, object_id)
        if row is None or row.kind != kind:
            raise GatewayError(f"no such test {kind}", retryable=False, code="not_found")
        return row

    def _method_saved(self, method_id: str) -> bool:
        with self.database.session() as db:
            return bool(
                db.scalar(
                    select(SandboxPayment.id).where(
                        SandboxPayment.payment_method_id == method_id, SandboxPayment.method_saved.is_(True)
                    )
                )
            )

    def _view(self, row: SandboxPayment) -> GatewayPayment:
        return GatewayPayment(
            id=row.id,
            status=row.status,
            paid=row.status == SUCCEEDED,
            amount_kopecks=row.amount_kopecks,
            currency="RUB",
            confirmation_url=f"{self.public_url}{CONFIRM_PATH}{row.id}" if row.status == PENDING else None,
            payment_method_id=row.payment_method_id,
            payment_method_saved=row.method_saved,
            payment_method_title="Тестовая карта *0000" if row.payment_method_id else "",
            cancellation_reason="payment_method_not_found" if row.status == CANCELED else "",
            metadata=dict(row.meta or {}),
        )

    @staticmethod
    def _refund_view(row: SandboxPayment) -> GatewayRefund:
        return GatewayRefund(row.id, row.payment_id or "", row.status, row.amount_kopecks, "RUB")


def _digest(request: dict) -> str:
    return hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()
