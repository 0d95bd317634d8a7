"""Authorisation matrix: every route of the app × {anonymous, A, B (other entrance), C (A's entrance), operator}.

The routes are enumerated from the app itself; each must match exactly one rule below, so a new route
that nobody classified fails this test. Each request carries a valid CSRF pair and a fresh session, so
what is tested is who may call the route, not the form guard. Camera routes run twice: with A's
private camera (C must be refused) and with the shared camera of A's entrance (C must be let in).

An allowed cell asserts the route's exact answer (SUCCESS): both cameras carry a short run of real video
(uploaded through ingest), so a camera route answers an allowed caller 200 — never the 403/404 a refused
caller gets, which is what a broken shared-camera rule would answer.
"""

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from cloud_sync.segments import format_time, init_path, segment_path
from portal.auth.sessions import open_session
from portal.cabinet.ip_bindings import bind_ip
from portal.models import ArchiveRun, ArchiveSegment, Contract, ContractEmail, ContractPhone, Operator
from portal.models.light import LightSegment
from portal.web.csrf import CSRF_COOKIE
from tests.portal_archive.media import encode

WHO = ("anon", "a", "b", "c", "op")


# An allowed cell: exactly the route's own answer to the matrix's request, from SUCCESS below (a set of
# "any handler answer" would let a wrongly refused 404 pass for a broken ownership rule).
class _Ok(frozenset):
    """The marker of an allowed cell (compared by identity)."""


OK = _Ok()
DENY = {403, 404}  # refused without saying whether the thing exists
PAGE_ANON = {303}  # pages send the anonymous visitor to the login form
CAMERA_DENY = {403, 404}


def expect(anon: set[int], a: set[int], b: set[int], c: set[int], op: set[int]) -> dict[str, set[int]]:
    return dict(zip(WHO, (anon, a, b, c, op), strict=True))


PUBLIC = expect(OK, OK, OK, OK, OK)
SUBSCRIBER_PAGE = expect(PAGE_ANON, OK, OK, OK, {403})
OPERATOR_PAGE = expect(PAGE_ANON, {403}, {403}, {403}, OK)
OPERATOR_API = expect({401}, {403}, {403}, {403}, OK)
# Ingest takes a box's upload token, never a session; JSON bodies are validated first (422 tells nothing).
DEVICE_ONLY = expect(*[{401, 422}] * 5)
# A's own things (sessions, phones, e-mails): others get the handler's "no such …" answer and nothing changes.
OWN_ITEM = expect(PAGE_ANON, {303}, {400, 404}, {400, 404}, {403})
# Camera routes, by camera kind: the ownership rule (portal/access.py).
CAMERA_API_PRIVATE = expect({401}, OK, CAMERA_DENY, CAMERA_DENY, OK)
CAMERA_API_SHARED = expect({401}, OK, CAMERA_DENY, OK, OK)
CAMERA_PAGE_PRIVATE = expect(PAGE_ANON, OK, {404}, {404}, {403})
CAMERA_PAGE_SHARED = expect(PAGE_ANON, OK, {404}, OK, {403})
FORPOST = expect({200}, {200}, {200}, {200}, {200})  # Forpost answers 200 + ErrorCode; its own session tests cover it
SUBSCRIBER_API = expect({401}, OK, OK, OK, {403})
OWN_TICKET_API = expect({401}, OK, DENY, DENY, {403})
OWN_OR_STAFF_API = expect({401}, OK, DENY, DENY, OK)
TOKEN_URL = expect({400, 401, 403, 404, 410}, *[{400, 401, 403, 404, 410}] * 4)  # signed URLs; a bogus token fails


# What each route answers an allowed caller, given the matrix's request (a valid CSRF pair and session,
# A's things in the path, the video window of the camera, no form fields beyond the rule's): a status per
# route, or per caller where the route answers callers differently (/login sends the logged-in on).
SUCCESS: dict[tuple[str, str], int | dict[str, int]] = {
    ("GET", "/openapi.json"): 200,
    ("GET", "/docs"): 200,
    ("GET", "/docs/oauth2-redirect"): 200,
    ("GET", "/redoc"): 200,
    ("GET", "/healthz"): 200,
    ("*", "/static"): 200,  # a mount: checked with a real file in test_authorisation_matrix
    ("POST", "/api/v1/auth/login"): 422,  # the matrix posts a form; the JSON login wants a JSON body
    ("POST", "/api/v1/auth/logout"): 204,
    ("GET", "/"): 303,  # to /cameras or /login
    ("GET", "/login"): {"anon": 200, "a": 303, "b": 303, "c": 303, "op": 200},
    ("POST", "/login"): 400,  # no contract number given
    ("POST", "/logout"): 303,
    ("GET", "/recover"): 200,
    ("POST", "/recover"): 400,
    **{(m, f"/recover/{step}"): 400 for m in ("GET", "POST") for step in ("phone", "code", "password")},
    ("POST", "/recover/resend"): 400,  # no recovery under way
    ("GET", "/cameras"): 200,
    ("GET", "/favourites"): 200,
    ("GET", "/account/contacts"): 200,
    ("GET", "/account/sessions"): 200,
    ("POST", "/account/contacts/add"): 400,  # no phone or e-mail given
    ("POST", "/account/contacts/confirm"): 400,
    ("GET", "/cameras/{camera_id}"): 200,
    ("POST", "/cameras/{camera_id}/favourite"): 303,
    ("GET", "/operator/login"): 200,
    ("POST", "/operator/login"): 400,  # no login given (not counted as a failure)
    ("POST", "/operator/logout"): 303,
    ("GET", "/operator"): 303,  # to the contracts
    ("GET", "/operator/contracts"): 200,
    ("POST", "/operator/contracts"): 400,
    ("GET", "/operator/contracts/{contract_id}"): 200,
    ("POST", "/operator/contracts/{contract_id}/address"): 200,
    ("POST", "/operator/contracts/{contract_id}/status"): 400,
    ("POST", "/operator/contracts/{contract_id}/reset-password"): 200,
    ("POST", "/operator/contracts/{contract_id}/ip-bindings"): 400,
    ("POST", "/operator/ip-bindings/{binding_id}/delete"): 303,
    ("GET", "/operator/addresses"): 200,
    ("POST", "/operator/addresses"): 400,
    ("GET", "/operator/ip-bindings"): 200,
    ("POST", "/operator/ip-bindings/import"): 200,
    ("GET", "/operator/sms"): 303,  # moved to /operator/notify/outbox
    ("GET", "/operator/fleet"): 200,
    ("GET", "/operator/fleet/{device_id}"): 200,
    ("POST", "/operator/fleet/{device_id}/commands"): 422,  # no command named
    ("GET", "/api/v1/operator/ip-bindings"): 200,
    ("POST", "/api/v1/operator/ip-bindings"): 422,
    ("POST", "/api/v1/operator/ip-bindings/import"): 422,
    ("DELETE", "/api/v1/operator/ip-bindings/{binding_id}"): 204,
    ("GET", "/api/v1/operator/devices"): 200,
    ("GET", "/api/v1/operator/devices/{device_id}"): 200,
    ("POST", "/api/v1/operator/devices/{device_id}/commands"): 422,  # no command body
    ("GET", "/api/v1/operator/devices/{device_id}/commands/{request_id}"): 404,  # request_id "no-such"
    ("POST", "/api/v1/devices/claim"): 422,
    ("GET", "/api/v1/operator/ota/bundles"): 200,
    ("POST", "/api/v1/operator/ota/bundles"): 400,  # empty body: no bundle
    ("POST", "/api/v1/operator/ota/rollouts"): 422,  # no body
    ("GET", "/api/v1/operator/ota/rollouts/{rollout_id}"): 404,
    ("POST", "/api/v1/operator/ota/rollouts/{rollout_id}/resume"): 404,
    ("GET", "/api/v1/cameras"): 200,
    **{
        ("GET", f"/api/v1/cameras/{{camera_id}}/{tail}"): 200  # the camera has video in the window
        for tail in (
            "timeline",
            "snapshot.jpg",
            "archive.m3u8",
            "init/{run_pk}.mp4",
            "segments/{segment_id}.m4s",
            "download",
            "live.m3u8",
            "stream",
            "thumbnails",
            "thumbnails.jpg",
            "events",  # motion events (docs/motion.md): an empty list in the window
        )
    },
    ("GET", "/api/v1/cameras/{camera_id}/events/{event_id}/thumbnail.jpg"): 404,  # no such event
    ("GET", "/api/v1/cameras/{camera_id}/light.m3u8"): 503,  # light live view: this portal has no MQTT link
    ("GET", "/api/v1/cameras/{camera_id}/light/{segment_id}.ts"): 200,  # the fixture's relayed segment
    ("POST", "/api/v1/cameras/{camera_id}/shares"): 422,  # the matrix posts a form; a share wants a JSON body
    ("GET", "/api/v1/shares"): 200,
    ("GET", "/metrics"): 200,
    ("POST", "/cameras/{camera_id}/home-mode"): 303,
    ("GET", "/api/v1/billing/account"): 200,
    ("GET", "/api/v1/billing/tariffs"): 200,
    ("POST", "/api/v1/billing/tariff"): 422,
    ("GET", "/api/v1/billing/entries"): 200,
    ("POST", "/api/v1/billing/promised"): 422,
    ("GET", "/api/v1/billing/offers"): 200,
    ("POST", "/api/v1/billing/offers/{offer_id}/accept"): 200,
    ("GET", "/billing"): 200,
    ("GET", "/billing/tariffs"): 200,
    ("POST", "/billing/tariff"): 400,
    ("GET", "/billing/history"): 200,
    ("GET", "/billing/history.csv"): 200,
    ("POST", "/billing/promised"): 400,
    ("POST", "/billing/offers/{offer_id}/accept"): 200,
    ("GET", "/operator/billing/tariffs"): 200,
    ("POST", "/operator/billing/tariffs"): 400,
    ("POST", "/operator/billing/tariffs/{tariff_id}"): 400,
    ("POST", "/operator/billing/tariffs/{tariff_id}/retire"): 200,
    ("POST", "/operator/billing/settings"): 400,
    ("POST", "/operator/billing/cameras/retention"): 400,
    ("GET", "/operator/billing/contracts/{contract_id}"): 200,
    ("POST", "/operator/billing/contracts/{contract_id}/adjust"): 400,
    ("POST", "/operator/billing/contracts/{contract_id}/tariff"): 400,
    ("GET", "/operator/billing/debtors"): 200,
    ("GET", "/operator/billing/offers"): 200,
    ("POST", "/operator/billing/offers"): 400,
    ("POST", "/operator/billing/offers/{offer_id}/close"): 303,
    ("POST", "/api/v1/billing/payments"): 422,
    ("GET", "/api/v1/billing/payments"): 200,
    (
        "GET",
        "/api/v1/billing/payments/{payment_id}",
    ): 404,  # no payment 1 (tests/payments: ownership)
    ("GET", "/api/v1/billing/autopay"): 200,
    ("POST", "/api/v1/billing/webhooks/yookassa"): 422,
    ("GET", "/billing/topup"): 200,
    ("POST", "/billing/topup"): 400,
    ("GET", "/billing/topup/return"): 303,
    ("GET", "/billing/autopay"): 200,
    ("POST", "/billing/autopay"): 400,
    ("POST", "/billing/autopay/off"): 200,
    (
        "GET",
        "/billing/test-gateway/{payment_id}",
    ): 404,  # no payment 1 (tests/payments: ownership)
    (
        "POST",
        "/billing/test-gateway/{payment_id}/pay",
    ): 404,  # no payment 1 (tests/payments: ownership)
    ("GET", "/operator/payments"): 200,
    ("POST", "/operator/payments/{payment_id}/refund"): 400,
    ("GET", "/api/v1/support/topics"): 200,
    ("GET", "/api/v1/support/bot"): 200,
    ("POST", "/api/v1/support/tickets"): 422,
    ("GET", "/api/v1/support/tickets"): 200,
    ("GET", "/api/v1/support/tickets/{ticket_id}"): 200,
    ("POST", "/api/v1/support/tickets/{ticket_id}/messages"): 422,
    ("POST", "/api/v1/support/bot/{node_id}/tickets"): 422,
    ("GET", "/api/v1/support/attachments/{attachment_id}"): 200,
    ("POST", "/api/v1/support/callback"): 422,
    ("POST", "/api/v1/support/feedback"): 422,
    ("POST", "/api/v1/support/connect"): 422,
    ("GET", "/api/v1/contacts"): 200,
    ("GET", "/support"): 200,
    ("GET", "/support/new"): 200,
    ("POST", "/support/new"): 422,
    ("GET", "/support/tickets/{ticket_id}"): 200,
    ("POST", "/support/tickets/{ticket_id}/reply"): 422,
    ("GET", "/support/bot"): 200,
    ("POST", "/support/bot/{node_id}"): 422,
    ("GET", "/contacts"): 200,
    ("GET", "/support/callback"): 200,
    ("POST", "/support/callback"): 422,
    ("GET", "/support/feedback"): 200,
    ("POST", "/support/feedback"): 422,
    ("GET", "/connect"): 200,
    ("POST", "/connect"): 422,
    ("GET", "/api/v1/support/chat"): 200,
    ("GET", "/api/v1/support/chats/{chat_id}/messages"): 200,
    ("POST", "/api/v1/support/chats/{chat_id}/messages"): 422,
    ("GET", "/support/chat"): 200,
    ("POST", "/support/chat/messages"): 422,
    ("GET", "/operator/support"): 200,
    ("GET", "/operator/support/tickets/{ticket_id}"): 200,
    ("POST", "/operator/support/tickets/{ticket_id}/reply"): 422,
    ("POST", "/operator/support/tickets/{ticket_id}/update"): 303,
    ("GET", "/operator/support/settings"): 200,
    ("POST", "/operator/support/topics"): 422,
    ("POST", "/operator/support/canned"): 422,
    ("POST", "/operator/support/canned/{reply_id}/delete"): 303,
    ("GET", "/operator/support/bot"): 200,
    ("POST", "/operator/support/bot"): 422,
    ("POST", "/operator/support/bot/{node_id}/delete"): 303,
    ("GET", "/operator/support/contacts"): 200,
    ("POST", "/operator/support/contacts/cities"): 422,
    ("POST", "/operator/support/contacts/entries"): 404,
    ("POST", "/operator/support/contacts/entries/{entry_id}/delete"): 303,
    ("POST", "/operator/support/contacts/cities/{city_id}/delete"): 303,
    ("GET", "/operator/support/chats/{chat_id}"): 200,
    ("POST", "/operator/support/chats/{chat_id}/messages"): 422,
    ("POST", "/operator/support/chats/{chat_id}/ticket"): 303,
    ("GET", "/api/v1/operator/support/tickets"): 200,
    ("GET", "/api/v1/operator/support/tickets/{ticket_id}"): 200,
    ("POST", "/api/v1/operator/support/tickets/{ticket_id}/messages"): 422,
    ("GET", "/api/v1/news"): 200,
    ("GET", "/api/v1/messages/active"): 200,
    ("GET", "/api/v1/notifications"): 200,
    ("POST", "/api/v1/notifications/{notice_id}/read"): 404,
    ("GET", "/api/v1/notifications/settings"): 200,
    ("PUT", "/api/v1/notifications/settings"): 422,
    ("GET", "/api/v1/notifications/subscriptions"): 200,
    ("PUT", "/api/v1/notifications/subscriptions"): 422,
    ("GET", "/notify/unsubscribe"): 400,
    ("POST", "/notify/unsubscribe"): 400,
    ("GET", "/notifications"): 200,
    ("POST", "/notifications/settings"): 303,
    ("POST", "/notifications/{notice_id}/read"): 303,
    ("GET", "/operator/notify"): 200,
    ("POST", "/operator/notify"): 422,
    ("GET", "/operator/notify/outbox"): 200,
    ("GET", "/operator/notify/{notice_id}"): 404,
    ("POST", "/operator/notify/{notice_id}/delete"): 303,
    ("GET", "/operator/forpost"): 200,
    ("POST", "/operator/forpost"): 422,
    ("POST", "/operator/forpost/{operator_id}/active"): 404,
    ("GET", "/operator/ota"): 200,
    ("POST", "/operator/ota/bundles"): 422,  # no file chosen
    ("POST", "/operator/ota/rollouts"): 422,  # no bundle chosen
    ("GET", "/operator/ota/rollouts/{rollout_id}"): 404,
    ("POST", "/operator/ota/rollouts/{rollout_id}/resume"): 404,
}


def success(method: str, path: str, who: str) -> set[int]:
    status = SUCCESS[(method, path)]
    return {status[who] if isinstance(status, dict) else status}


@dataclass(frozen=True)
class Rule:
    method: str
    pattern: str  # regex on the route path
    camera: bool = False  # run with private and shared camera
    cells: dict[str, set[int]] | None = None
    cells_shared: dict[str, set[int]] | None = None
    form: tuple[tuple[str, str], ...] = ()


RULES = [
    # /metrics: the matrix talks to a real portal over loopback, which is on the default metrics_allow list.
    Rule("GET", r"/(openapi\.json|docs|docs/oauth2-redirect|redoc|healthz|metrics)", cells=PUBLIC),
    Rule("*", r"/static", cells=PUBLIC),
    # cabinet: login, recovery (public), JSON login
    Rule("POST", r"/api/v1/auth/login", cells=PUBLIC),
    Rule("POST", r"/api/v1/auth/logout", cells=expect({401}, OK, OK, OK, OK)),
    Rule("*", r"/|/login|/logout|/recover(/.*)?", cells=PUBLIC),
    # Password step-up: a password session is sent on (303), an empty password is refused (400).
    Rule("*", r"/login/confirm(/sms|/code)?", cells=expect(PAGE_ANON, {303, 400}, {303, 400}, {303, 400}, {403})),
    Rule("GET", r"/cameras|/favourites|/account/contacts|/account/sessions", cells=SUBSCRIBER_PAGE),
    Rule("POST", r"/account/contacts/(add|confirm)", cells=SUBSCRIBER_PAGE),
    Rule("POST", r"/account/(contacts/phones|contacts/emails|sessions)/\{\w+\}/(delete|revoke)", cells=OWN_ITEM),
    # «Я дома»: only the owner of a private camera; on a shared one even those who see it get 403.
    Rule(
        "POST",
        r"/cameras/\{camera_id\}/home-mode",
        camera=True,
        cells=CAMERA_PAGE_PRIVATE,
        cells_shared=expect(PAGE_ANON, {403}, {404}, {403}, {403}),
        form=(("enable", "1"),),
    ),
    Rule(
        "*",
        r"/cameras/\{camera_id\}(/favourite)?",
        camera=True,
        cells=CAMERA_PAGE_PRIVATE,
        cells_shared=CAMERA_PAGE_SHARED,
    ),
    # operator console (cabinet part) and its API
    Rule("*", r"/operator/(login|logout)", cells=PUBLIC),
    Rule("*", r"/api/v1/operator/.*", cells=OPERATOR_API),
    # archive domain (cameras, timeline, HLS, downloads, snapshots) — the ownership rule
    Rule("GET", r"/api/v1/cameras", cells=expect({401}, OK, OK, OK, OK)),
    Rule(
        "GET",
        r"/api/v1/cameras/\{camera_id\}/.*",
        camera=True,
        cells=CAMERA_API_PRIVATE,
        cells_shared=CAMERA_API_SHARED,
    ),
    # share links (docs/downloads.md): made by the camera's subscriber (password session), opened by token
    Rule(
        "POST",
        r"/api/v1/cameras/\{camera_id\}/shares",
        camera=True,
        cells=expect({401}, OK, CAMERA_DENY, CAMERA_DENY, {403}),
        cells_shared=expect({401}, OK, CAMERA_DENY, OK, {403}),
    ),
    Rule("GET", r"/api/v1/shares", cells=SUBSCRIBER_API),
    # share 999999 is nobody's: the owner's own path is covered in tests/portal_archive/test_shares.py
    Rule("*", r"/api/v1/shares/\{share_id\}(/accesses)?", cells=expect({401}, {404}, {404}, {404}, {403})),
    Rule("*", r"/s/\{token\}(/clip\.mp4)?", cells=TOKEN_URL),
    Rule("*", r"/ingest/v1/.*", cells=DEVICE_ONLY),
    Rule("POST", r"/api/v1/devices/claim", cells=PUBLIC),  # the box's claim code is its credential
    Rule("GET", r"/ota/v1/bundles/\{sha256\}", cells=DEVICE_ONLY),  # OTA bundles: the box's upload token
    # Forpost API and its translations (own session ids and signed tokens)
    Rule("POST", r"/api/\{name\}", cells=FORPOST),
    Rule("*", r"/translations/\{token\}/.*", cells=TOKEN_URL),
    Rule("*", r"/forpost/downloads/\{token\}/clip\.mp4", cells=TOKEN_URL),
    # the System API: its own operator credentials in the parameters (tests/forpost/test_system_api.py)
    Rule("*", r"/system-api/\{name\}", cells=FORPOST),
    Rule("*", r"/operator/forpost(/\{operator_id\}/active)?", cells=OPERATOR_PAGE),
    Rule("*", r"/operator/ota(/.*)?", cells=OPERATOR_PAGE),  # the OTA console (tests/ota/test_console.py)
    Rule("GET", r"/embed/forpost", cells=expect({403}, {403}, {403}, {403}, {403})),  # needs a signed embed link
    # support desk (docs/support.md): A's ticket, attachment and chat are A's alone (and staff's)
    Rule("GET", r"/api/v1/support/(topics|bot)|/api/v1/contacts", cells=PUBLIC),
    Rule("POST", r"/api/v1/support/(callback|feedback|connect)", cells=PUBLIC),
    Rule("*", r"/api/v1/support/(tickets|chat|bot/\{node_id\}/tickets)", cells=SUBSCRIBER_API),
    Rule("*", r"/api/v1/support/tickets/\{ticket_id\}(/messages)?", cells=OWN_TICKET_API),
    Rule("GET", r"/api/v1/support/attachments/\{attachment_id\}", cells=OWN_OR_STAFF_API),
    Rule("*", r"/api/v1/support/chats/\{chat_id\}/messages", cells=OWN_OR_STAFF_API),
    Rule("*", r"/api/v1/support/chats/\{chat_id\}/ws", cells=expect(*[{404}] * 5)),  # a socket; tests/support
    Rule("*", r"/support/(callback|feedback)|/connect|/contacts", cells=PUBLIC),
    Rule("*", r"/support(/new|/bot|/bot/\{node_id\}|/chat|/chat/messages)?", cells=SUBSCRIBER_PAGE),
    Rule("*", r"/support/tickets/\{ticket_id\}(/reply)?", cells=expect(PAGE_ANON, OK, {404}, {404}, {403})),
    Rule("*", r"/operator/support(/.*)?", cells=OPERATOR_PAGE),
    # online payments (docs/payments.md): the subscriber's own; the webhook and the test-mode page are public
    # (nothing in a notification is believed; a test payment's id is its secret, like a provider's page)
    Rule("*", r"/api/v1/billing/(payments(/\{payment_id\})?|autopay)", cells=expect({401}, OK, OK, OK, {403})),
    Rule("POST", r"/api/v1/billing/webhooks/yookassa", cells=PUBLIC),
    Rule("*", r"/billing/(topup|topup/return|autopay|autopay/off)", cells=SUBSCRIBER_PAGE),
    Rule("*", r"/billing/test-gateway/\{payment_id\}(/pay)?", cells=PUBLIC),
    # billing (docs/billing.md): the subscriber's own account; an offer is only for those it is aimed at
    # (the matrix's offer is aimed at A's contract alone: B and C get the handler's "no such offer for you")
    Rule("POST", r"/api/v1/billing/offers/\{offer_id\}/accept", cells=expect({401}, OK, {422}, {422}, {403})),
    Rule("*", r"/api/v1/billing/(account|tariffs|tariff|entries|promised|offers)", cells=SUBSCRIBER_API),
    Rule("POST", r"/billing/offers/\{offer_id\}/accept", cells=expect(PAGE_ANON, OK, {400}, {400}, {403})),
    Rule("*", r"/billing(/tariffs|/tariff|/history|/history\.csv|/promised)?", cells=SUBSCRIBER_PAGE),
    # notification centre (docs/notify.md): a subscriber's own feed and settings; signed unsubscribe links
    Rule(
        "*",
        r"/api/v1/(news|messages/active|notifications(/settings|/subscriptions|/\{notice_id\}/read)?)",
        cells=SUBSCRIBER_API,
    ),  # fmt: skip
    Rule("*", r"/notify/unsubscribe", cells=PUBLIC),
    Rule("*", r"/notifications(/settings|/\{notice_id\}/read)?", cells=SUBSCRIBER_PAGE),
    Rule("*", r"/operator(/.*)?", cells=OPERATOR_PAGE, form=(("address_id", "{addr_a}"),)),
]


def routes(app) -> Iterator[tuple[str, str]]:
    """(method, path) of every route, including routers included with a prefix and mounts ("*")."""

    def walk(items, prefix: str = "") -> Iterator[tuple[str, str]]:
        for route in items:
            if hasattr(route, "original_router"):  # an included router (FastAPI ≥ 0.16x)
                yield from walk(route.original_router.routes, prefix + route.include_context.prefix)
            elif getattr(route, "methods", None):
                for method in sorted(route.methods - {"HEAD"}):
                    yield method, prefix + route.path
            else:
                yield "*", prefix + route.path

    yield from walk(app.routes)


def rule_for(method: str, path: str) -> Rule:
    found = [r for r in RULES if r.method in ("*", method) and re.fullmatch(r.pattern, path)]
    assert found, f"route {method} {path} has no row in the authorisation matrix: classify it in RULES"
    return found[0]


def test_every_route_is_classified(portal) -> None:
    """Every route of app.routes has a rule, and every allowed cell of it an exact status in SUCCESS."""
    unclassified, no_status = [], []
    for method, path in routes(portal.app):
        try:
            rule = rule_for(method, path)
        except AssertionError:
            unclassified.append(f"{method} {path}")
            continue
        cells = [rule.cells] + ([rule.cells_shared] if rule.camera else [])
        if any(c[who] is OK for c in cells for who in WHO) and (method, path) not in SUCCESS:
            no_status.append(f"{method} {path}")
    assert not unclassified, f"routes without a row: {unclassified}"
    assert not no_status, f"allowed routes without an exact status in SUCCESS: {no_status}"


_counter = itertools.count(1)


@dataclass(frozen=True)
class Video:
    """A short run of real video on a camera, uploaded as the box uploads it: allowed cells get 200."""

    run_pk: int
    segment_id: int
    start: datetime
    end: datetime


@pytest.fixture(scope="module")
def video(portal, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Video]:
    media = encode(tmp_path_factory.mktemp("matrix-media"), seconds=30)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=50)  # fresh enough for live
    auth = {"Authorization": f"Bearer {portal.world.upload_token}"}
    videos = {}
    with httpx.Client(base_url=portal.url, timeout=30) as client:
        for suffix, camera in (("a1a1a1", portal.world.private_a), ("b2b2b2", portal.world.shared_a)):
            run = f"{start:%Y%m%dT%H%M%SZ}-{suffix}"
            sent = client.put(init_path(camera, run), content=media.init, headers=auth | {"Content-Type": "video/mp4"})
            assert sent.status_code == 201, sent.text
            t = start
            for seq, body in enumerate(media.segments):
                headers = auth | {
                    "Content-Type": "video/iso.segment",
                    "X-Content-SHA256": media.sha(seq),
                    "X-Segment-Start": format_time(t),
                    "X-Segment-Duration": f"{media.durations[seq]:.3f}",
                }
                sent = client.put(segment_path(camera, run, seq), content=body, headers=headers)
                assert sent.status_code == 201, sent.text
                t += timedelta(seconds=media.durations[seq])
            with portal.db.session() as s:
                run_pk = s.query(ArchiveRun).filter_by(camera_id=camera, run_id=run).one().id
                segment = s.query(ArchiveSegment).filter_by(run_pk=run_pk, seq=0).one()
                videos[camera] = Video(run_pk, segment.id, start, t)
                # A relayed light segment under the same id (docs/live-light.md), dated ahead so it stays within
                # the light store's minute however long the matrix runs.
                s.add(
                    LightSegment(
                        id=segment.id, camera_id=camera, run_id=run, seq=0, duration=1.0, size=len(media.segments[0]),
                        data=media.segments[0], received_at=datetime.now(UTC) + timedelta(hours=1),
                    )
                )  # fmt: skip
    return videos


def _params(portal, path: str, camera: str, video: Video | None = None) -> dict[str, str]:
    """Concrete values for path parameters; A's things are made fresh per request (some routes delete them)."""
    w = portal.world
    n = next(_counter)
    with portal.db.session() as s:
        a = s.get(Contract, w.ids["a"])
        values = {
            "camera_id": camera,
            "camera": camera,
            "contract_id": str(a.id),
            "device_id": w.device,
            "request_id": "no-such",
            "sha256": "0" * 64,
            "rollout_id": "999999",
            "run_pk": str(video.run_pk) if video else "1",
            "segment_id": str(video.segment_id) if video else "1",
            "token": "bogus",
            "name": "GetCameras",
            "run": "20260101T000000Z-abcdef",
            "seq": "1",
            "payment_id": "1",
            "notice_id": "999999",
            "operator_id": "999999",
            "share_id": "999999",
            "event_id": "999999",
            "motion_id": "00000000deadbeef",
        }
        if "{phone_id}" in path:
            phone = ContractPhone(contract_id=a.id, phone=f"+7900{n:07d}")
            s.add(phone)
            s.flush()
            values["phone_id"] = str(phone.id)
        if "{email_id}" in path:
            email = ContractEmail(contract_id=a.id, email=f"m{n}@example.ru")
            s.add(email)
            s.flush()
            values["email_id"] = str(email.id)
        if "{binding_id}" in path:
            values["binding_id"] = str(bind_ip(s, a.id, f"172.{16 + n // 250}.{n % 250}.0/24").id)
        if "{session_id}" in path:
            values["session_id"] = str(open_session(s, contract=a, lifetime=timedelta(hours=1))[1].id)
        values |= _support_params(portal, s, a, path, n)
        values |= _billing_params(s, a, path, n)
    return values


def _support_params(portal, s, a: Contract, path: str, n: int) -> dict[str, str]:
    """A fresh ticket (with an attachment), chat, bot node, canned reply, contact of A's / the desk's."""
    from portal.models.support import BotNode, CannedReply, ContactCity, ContactEntry
    from portal.support import chat, tickets
    from portal.support.files import Upload

    values: dict[str, str] = {}
    if "{ticket_id}" in path or "{attachment_id}" in path:
        storage = portal.app.state.services.storage
        png = Upload("shot.png", "image/png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 16)
        ticket = tickets.open_ticket(
            s, storage, kind="form", first_text="matrix", uploads=[png], author="subscriber", contract_id=a.id
        )
        values["ticket_id"] = str(ticket.id)
        values["attachment_id"] = str(tickets.thread(s, ticket, staff=True)[0][1][0].id)
    if "{chat_id}" in path:
        values["chat_id"] = str(chat.open_chat_of(s, a.id).id)
    if "{node_id}" in path:
        node = BotNode(title=f"matrix {n}", topic_code="other")
        s.add(node)
        s.flush()
        values["node_id"] = str(node.id)
    if "{reply_id}" in path:
        reply = CannedReply(title=f"matrix {n}", text="matrix")
        s.add(reply)
        s.flush()
        values["reply_id"] = str(reply.id)
    if "{city_id}" in path or "{entry_id}" in path:
        city = ContactCity(city=f"Город {n}")
        s.add(city)
        s.flush()
        entry = ContactEntry(city_id=city.id, kind="phone", value="8-384-375-60-00")
        s.add(entry)
        s.flush()
        values["city_id"], values["entry_id"] = str(city.id), str(entry.id)
    return values


def _billing_params(s, a: Contract, path: str, n: int) -> dict[str, str]:
    """A fresh tariff, and a fresh bonus offer aimed at A's contract alone (not at A's entrance, so C
    is not one it is for)."""
    from portal.models.billing import Offer, OfferTarget, Tariff

    values: dict[str, str] = {}
    if "{tariff_id}" in path:
        tariff = Tariff(name=f"matrix {n}", monthly_price_kopecks=15000, archive_days=7)
        s.add(tariff)
        s.flush()
        values["tariff_id"] = str(tariff.id)
    if "{offer_id}" in path:
        offer = Offer(title=f"matrix {n}", kind="bonus", bonus_kopecks=100)
        s.add(offer)
        s.flush()
        s.add(OfferTarget(offer_id=offer.id, contract_id=a.id))
        s.flush()
        values["offer_id"] = str(offer.id)
    return values


def _token(portal, who: str) -> str | None:
    if who == "anon":
        return None
    with portal.db.session() as s:
        if who == "op":
            operator = s.query(Operator).filter_by(login=portal.world.operator).one()
            return open_session(s, operator=operator, lifetime=timedelta(hours=1))[0]
        return open_session(s, contract=s.get(Contract, portal.world.ids[who]), lifetime=timedelta(hours=1))[0]


def _call(
    portal, client: httpx.Client, method: str, path: str, rule: Rule, who: str, camera: str, video: Video | None = None
) -> int:
    values = _params(portal, path, camera, video)
    url = re.sub(r"\{(\w+)(:\w+)?\}", lambda m: values[m.group(1)], path)
    token = _token(portal, who)
    cookies = {CSRF_COOKIE: "matrix-seed"} | ({"dozor_session": token} if token else {})
    from portal.web.csrf import _sign  # the same HMAC the pages embed

    class _Req:  # _sign needs only app.state.services
        app = portal.app

    data = {"csrf": _sign(_Req, "matrix-seed")} | {k: v.format(addr_a=portal.world.ids["addr_a"]) for k, v in rule.form}
    lo, hi = (video.start, video.end) if video else (datetime(2026, 1, 1, tzinfo=UTC),) * 2
    query = {
        "start": format_time(lo),
        "end": format_time(hi),
        "from": format_time(lo),
        "to": format_time(hi + timedelta(hours=1)),
        "duration": "12",
    }
    request = client.build_request(
        method if method != "*" else "GET",
        url,
        params=query,
        cookies=cookies,
        headers={"x-csrf-token": data["csrf"]},  # cookie-authenticated API calls carry the page's CSRF token
        data=data if method in ("POST", "PUT", "DELETE") else None,
    )
    return client.send(request).status_code


def _cases(portal) -> Iterator[tuple[str, str, Rule, str, str, set[int]]]:
    w = portal.world
    for method, path in routes(portal.app):
        rule = rule_for(method, path)
        if path == "/static":
            continue  # a mount: checked below with a real file
        variants = [(w.private_a, rule.cells)] + ([(w.shared_a, rule.cells_shared)] if rule.camera else [])
        for camera, cells in variants:
            for who in WHO:
                yield method, path, rule, who, camera, success(method, path, who) if cells[who] is OK else cells[who]


@pytest.mark.slow  # every route × every kind of caller
def test_authorisation_matrix(portal, video: dict[str, Video]) -> None:
    failures = []
    with httpx.Client(base_url=portal.url, follow_redirects=False, timeout=30) as client:
        for method, path, rule, who, camera, expected in _cases(portal):
            status = _call(portal, client, method, path, rule, who, camera, video.get(camera))
            if status not in expected:
                failures.append(f"{method} {path} [{camera}] as {who}: {status}, expected one of {sorted(expected)}")
        assert client.get("/static/css/dozor.css").status_code == 200
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("who", ["b", "c"])
def test_others_cannot_touch_a_s_things(portal, who: str) -> None:
    """The OWN_ITEM answers above change nothing: A's phone survives B's and C's delete."""
    with httpx.Client(base_url=portal.url, follow_redirects=False) as client:
        values = _params(portal, "/{phone_id}", portal.world.private_a)
        rule = rule_for("POST", "/account/contacts/phones/{phone_id}/delete")
        status = _call(portal, client, "POST", f"/account/contacts/phones/{values['phone_id']}/delete", rule, who, "")
    assert status == 400
    with portal.db.session() as s:
        assert s.get(ContractPhone, int(values["phone_id"])) is not None
