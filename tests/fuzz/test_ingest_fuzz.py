"""Property: the ingest routes answer every header and path value without a 5xx, and a refusal names what
was wrong (the header, the path part, the body or the token).

The box's real upload token is used (unless the example drops or garbles it), so the headers are parsed;
segment bodies are random bytes whose checksum is right or wrong, sent with right or wrong content types.
"""

import hashlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloud_sync.segments import (
    HEADER_CLOCK_SYNCED,
    HEADER_DURATION,
    HEADER_SHA256,
    HEADER_START,
    INIT_CONTENT_TYPE,
    SEGMENT_CONTENT_TYPE,
)
from tests.fuzz.conftest import FuzzPortal

SETTINGS = settings(
    max_examples=200, derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)
# Header values: printable ASCII (what the HTTP client sends), hostile samples weighted in.
header_text = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E))
TIMES = [
    "2026-11-22T08:00:00.000Z", "2026-11-22T08:00:00+07:00", "0001-01-01T00:00:00+05:00",
    "9999-12-31T23:59:59-05:00", "9999-12-31T23:59:59Z", "2026-02-30T00:00:00Z", "2026-11-22T08:00:00",
    "1969-12-31T23:59:59Z", "2026-11-22T08:00:00+24:00", "nan", "", " ",
]  # fmt: skip
DURATIONS = ["2", "2.0", "0", "-1", "60", "60.0001", "1e309", "-1e309", "NaN", "inf", "1e-320", "0x10", "²", "", " "]
SYNCED = ["1", "0", "", "true", "2", " 1 ", "١"]
RUNS = [
    "20261122T080000Z-abcdef", "20260230T080000Z-abcdef", "20261322T080000Z-abcdef", "99999999T999999Z-ffffff",
    "20261122T080000Z-ABCDEF", "x", "..", "%2e%2e",
]  # fmt: skip
SEQS = ["0", "1", "-1", str(2**63 - 1), str(2**63), str(2**64), "1e3", "x", "01"]
NAMES = (HEADER_START, HEADER_DURATION, HEADER_SHA256, HEADER_CLOCK_SYNCED, "run", "seq", "camera")
NAMES_OTHER = ("body", "Content-Type", "Content-Length", "Authorization", "upload token", "camera", "already uploaded")


def _maybe(valid: str, samples: list[str]):
    """Mostly the valid value (so the other headers get parsed too), else absent, hostile or random."""
    return st.one_of(
        st.just(valid), st.just(valid), st.none(), st.sampled_from(samples), header_text.map(lambda t: t.strip()[:80])
    )


def _names_what(answer) -> bool:
    detail = answer.json().get("detail")
    if answer.status_code == 404 and detail == "Not Found":  # no such route at all (e.g. ".." in the path)
        return True
    if isinstance(detail, list):  # FastAPI's validation: each error has its location
        return all(isinstance(e, dict) and e.get("loc") for e in detail)
    text = str(detail)
    return any(name.lower() in text.lower() for name in NAMES + NAMES_OTHER)


@st.composite
def uploads(draw):
    body = draw(st.binary(max_size=64))
    sha = draw(
        st.one_of(
            st.just(hashlib.sha256(body).hexdigest()),
            st.just(hashlib.sha256(body).hexdigest().upper()),
            st.sampled_from(["", "0" * 64, "g" * 64, "0" * 63]),
            header_text.map(lambda t: t.strip()[:80]),
        )
    )
    headers = {
        HEADER_START: draw(_maybe(TIMES[0], TIMES)),
        HEADER_DURATION: draw(_maybe("2.0", DURATIONS)),
        HEADER_SHA256: draw(st.one_of(st.just(sha), st.none())),
        HEADER_CLOCK_SYNCED: draw(_maybe("1", SYNCED)),
    }
    kind = draw(st.sampled_from(["segment", "segment", "init"]))
    right_type = INIT_CONTENT_TYPE if kind == "init" else SEGMENT_CONTENT_TYPE
    headers["Content-Type"] = draw(
        st.sampled_from([right_type, right_type, right_type, "application/octet-stream", "", "video/*"])
    )
    return {
        "kind": kind,
        "run": draw(
            st.one_of(
                st.just(RUNS[0]), st.sampled_from(RUNS), header_text.filter(lambda t: "/" not in t and "?" not in t)
            )
        ),
        "seq": draw(st.one_of(st.integers(min_value=0, max_value=10**6).map(str), st.sampled_from(SEQS))),
        "token": draw(st.sampled_from(["real", "real", "real", "real", "none", "bogus"])),
        "headers": {k: v for k, v in headers.items() if v is not None},
        "body": body,
    }


@pytest.mark.slow
def test_ingest_never_5xx_and_refusals_name_the_field(fuzz_portal: FuzzPortal) -> None:
    world = fuzz_portal.world
    tokens = {"real": f"Bearer {world.upload_token}", "bogus": "Bearer nope", "none": None}

    @SETTINGS
    @given(upload=uploads(), camera=st.sampled_from([world.private_a] * 6 + [world.shared_b, "..", "a" * 80, "x%00"]))
    def put(upload, camera: str) -> None:
        headers = dict(upload["headers"])
        if tokens[upload["token"]]:
            headers["Authorization"] = tokens[upload["token"]]
        path = f"/ingest/v1/cameras/{camera}/runs/{upload['run']}"
        path += "/init" if upload["kind"] == "init" else f"/segments/{upload['seq']}"
        raw = {k: v.encode() for k, v in headers.items()}  # UTF-8 bytes on the wire for "²" and the like
        answer = fuzz_portal.client.put(path, content=upload["body"], headers=raw)
        described = f"PUT {path} {headers!r}: {answer.status_code} {answer.text[:300]}"
        assert answer.status_code < 500, described
        if answer.status_code >= 400 and answer.headers.get("content-type", "").startswith("application/json"):
            assert _names_what(answer), described

    put()


@st.composite
def segment_headers(draw):
    """Only the segment headers vary (valid token, camera, run and type): each header meets its parser."""
    body = draw(st.binary(min_size=1, max_size=32))
    return body, {
        HEADER_START: draw(st.one_of(st.sampled_from(TIMES), header_text)),
        HEADER_DURATION: draw(
            st.one_of(st.sampled_from(DURATIONS), st.floats().map(repr), st.integers().map(str), header_text)
        ),
        HEADER_SHA256: draw(st.one_of(st.just(hashlib.sha256(body).hexdigest()), header_text)),
        HEADER_CLOCK_SYNCED: draw(st.one_of(st.sampled_from(SYNCED), header_text)),
        "Content-Type": SEGMENT_CONTENT_TYPE,
    }


def test_segment_headers_never_5xx_and_refusals_name_the_header(fuzz_portal: FuzzPortal) -> None:
    world = fuzz_portal.world
    seqs = iter(range(10**6, 2 * 10**6))  # a fresh seq each time: a stored one answers before the headers

    @SETTINGS
    @given(upload=segment_headers())
    def put(upload) -> None:
        body, headers = upload
        headers = {k: v.encode() for k, v in headers.items()} | {"Authorization": f"Bearer {world.upload_token}"}
        path = f"/ingest/v1/cameras/{world.private_a}/runs/{RUNS[0]}/segments/{next(seqs)}"
        answer = fuzz_portal.client.put(path, content=body, headers=headers)
        described = f"PUT {path} {headers!r}: {answer.status_code} {answer.text[:300]}"
        assert answer.status_code in (200, 201, 400, 409), described
        if answer.status_code == 400:
            assert any(name in answer.json()["detail"] for name in NAMES[:4]), described

    put()
