"""Regression tests for the extreme values that answered HTTP 500 before (issue 11, "Hostile input").

Each value is refused at the shared parsing depth: archive times by cloud_sync.parse_time (years outside
1970..2200, impossible dates), path ids by portal.params (beyond the column), Forpost integers and dates by
portal.forpost.params (ErrorCode 3), floats by allow_inf_nan=False. The answer names the field.
"""

import hashlib
from datetime import UTC, datetime

import pytest

from cloud_sync.segments import HEADER_CLOCK_SYNCED, HEADER_DURATION, HEADER_SHA256, HEADER_START, is_run_id, parse_time
from portal.forpost import calls as forpost_calls
from portal.params import small_int
from tests.fuzz.conftest import FuzzPortal

EXTREME_TIMES = [
    "0001-01-01T00:00:00+05:00",  # converting to UTC overflowed
    "9999-12-31T23:59:59-05:00",
    "0001-01-01T00:00:00Z",  # parsed, then arithmetic on it overflowed
    "9999-12-31T23:59:59Z",
    "2026-02-30T00:00:00Z",  # no such day
]
BEYOND_64_BITS = str(2**64 + 1)


def _auth(portal: FuzzPortal, who: str = "subscriber") -> dict[str, str]:
    return {"Authorization": f"Bearer {portal.session_token(who)}"}


def _detail(answer) -> str:
    return str(answer.json()["detail"])


@pytest.mark.parametrize("value", EXTREME_TIMES)
def test_parse_time_refuses_extremes_with_a_value_error(value: str) -> None:
    with pytest.raises(ValueError):
        parse_time(value)


def test_parse_time_keeps_the_range_edges_and_zones() -> None:
    assert parse_time("1970-01-01T00:00:00Z") == datetime(1970, 1, 1, tzinfo=UTC)
    assert parse_time("2199-12-31T23:59:59+05:00") == datetime(2199, 12, 31, 18, 59, 59, tzinfo=UTC)
    with pytest.raises(ValueError, match="1970-01-01"):
        parse_time("1970-01-01T04:59:59+05:00")


def test_a_run_id_needs_a_real_calendar_second() -> None:
    assert is_run_id("20260228T235959Z-abcdef")
    assert not is_run_id("20260230T000000Z-abcdef")
    assert not is_run_id("20261122T250000Z-abcdef")


def test_small_int_takes_only_ascii_digits_within_the_column() -> None:
    assert small_int("42") == 42
    assert small_int("²") is None and small_int("١٢") is None  # isdigit() says yes, int() disagrees
    assert small_int(str(2**31)) is None and small_int("-1") is None and small_int(None) is None


@pytest.mark.parametrize("value", EXTREME_TIMES)
@pytest.mark.parametrize(
    ("route", "field", "query"),
    [
        ("timeline", "from", lambda v: {"from": v, "to": "2026-01-01T01:00:00Z"}),
        ("timeline", "to", lambda v: {"from": "2026-01-01T00:00:00Z", "to": v}),
        ("archive.m3u8", "start", lambda v: {"start": v, "end": "2026-01-01T01:00:00Z"}),
        ("archive.m3u8", "end", lambda v: {"start": "2026-01-01T00:00:00Z", "end": v}),
        ("download", "start", lambda v: {"start": v, "duration": "60"}),
        ("snapshot.jpg", "at", lambda v: {"at": v}),
    ],
)
def test_archive_times_out_of_range_answer_422_naming_the_field(
    fuzz_portal: FuzzPortal, route: str, field: str, query, value: str
) -> None:
    url = f"/api/v1/cameras/{fuzz_portal.world.private_a}/{route}"
    answer = fuzz_portal.client.get(url, params=query(value), headers=_auth(fuzz_portal))
    assert answer.status_code == 422, answer.text
    assert _detail(answer).startswith(f"{field}: ")


@pytest.mark.parametrize("value", ["1e309", "-1e309", "NaN", "inf"])
def test_non_finite_durations_answer_422(fuzz_portal: FuzzPortal, value: str) -> None:
    camera = fuzz_portal.world.private_a
    answer = fuzz_portal.client.get(
        f"/api/v1/cameras/{camera}/download",
        params={"start": "2026-01-01T00:00:00Z", "duration": value},
        headers=_auth(fuzz_portal),
    )
    assert answer.status_code == 422 and "duration" in _detail(answer)
    answer = fuzz_portal.client.get(
        f"/api/v1/cameras/{camera}/timeline",
        params={"from": "2026-01-01T00:00:00Z", "to": "2026-01-01T01:00:00Z", "resolution": value},
        headers=_auth(fuzz_portal),
    )
    assert answer.status_code == 422 and "resolution" in _detail(answer)


@pytest.mark.parametrize(
    ("who", "path", "field"),
    [
        ("subscriber", "/api/v1/cameras/{camera}/init/{big}.mp4", "run_pk"),
        ("subscriber", "/api/v1/cameras/{camera}/segments/{big}.m4s", "segment_id"),
        ("subscriber", "/translations/nope/init/{big}.mp4", "run_pk"),
        ("subscriber", "/translations/nope/seg/{big}.m4s", "segment_id"),
        ("operator", "/operator/contracts/{big32}", "contract_id"),
    ],
)
def test_path_ids_beyond_the_column_answer_422(fuzz_portal: FuzzPortal, who: str, path: str, field: str) -> None:
    url = path.format(camera=fuzz_portal.world.private_a, big=BEYOND_64_BITS, big32=2**31)
    answer = fuzz_portal.client.get(url, headers=_auth(fuzz_portal, who))
    assert answer.status_code == 422, answer.text
    assert field in _detail(answer)


# ---- Forpost: HTTP 200 with ErrorCode 3 naming the parameter -------------------------------------------


@pytest.fixture(scope="module")
def forpost_sid(fuzz_portal: FuzzPortal) -> str:
    from tests.cabinet.world import PASSWORD

    sid = fuzz_portal.client.post("/api/Login", data={"Login": fuzz_portal.world.contract_a, "Password": PASSWORD})
    sid = sid.json()["SessionID"]
    cameras = fuzz_portal.client.post("/api/GetCameras", data={"SessionID": sid}).json()
    assert cameras, "A sees cameras (their numbers are assigned now)"
    return sid


def _forpost(portal: FuzzPortal, call: str, **params: str) -> dict:
    answer = portal.client.post(f"/api/{call}", data=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _first_camera(portal: FuzzPortal, sid: str) -> str:
    return str(_forpost(portal, "GetCameras", SessionID=sid)[0]["CameraID"])


@pytest.mark.parametrize(
    ("call", "param", "value"),
    [
        ("GetTranslationURL", "CameraID", BEYOND_64_BITS),
        ("GetTranslationURL", "TS", BEYOND_64_BITS),  # datetime.fromtimestamp overflowed
        ("GetTranslationURL", "TS", "99999999999"),  # the future
        ("GetTranslationURL", "TZ", BEYOND_64_BITS),  # the Integer column overflowed
        ("GetTranslationURL", "TZ", str(15 * 3600)),  # no zone is 15 hours off UTC
        ("GetEvents", "CameraID", BEYOND_64_BITS),
        ("GetEvents", "Count", BEYOND_64_BITS),
        ("GetEvents", "LowerDate", "0001-01-01 00:00:00"),
        ("GetEvents", "UpperDate", "9999-12-31 23:59:59"),
        ("GetEvents", "UpperDate", "2026-02-30 00:00:00"),
        ("ToggleFavCamera", "CameraID", BEYOND_64_BITS),
        ("ToggleFavCamera", "CameraID", "²"),
        ("CallControlledDevice", "ControlledDeviceID", BEYOND_64_BITS),
        ("GetEmbedClient", "CameraID", BEYOND_64_BITS),
        ("StopTranslation", "URL", "http://[x"),  # urlsplit raised ValueError
    ],
)
def test_forpost_extremes_answer_error_code_3(
    fuzz_portal: FuzzPortal, forpost_sid: str, call: str, param: str, value: str
) -> None:
    params = {"SessionID": forpost_sid, "CameraID": _first_camera(fuzz_portal, forpost_sid), "Format": "HLS"}
    params |= {"CustomerLogin": fuzz_portal.world.contract_a, param: value}
    answer = _forpost(fuzz_portal, call, **params)
    assert answer.get("ErrorCode") == 3, answer
    assert param in answer["Error"]


def test_forpost_malformed_body_answers_an_error_code(fuzz_portal: FuzzPortal) -> None:
    answer = fuzz_portal.client.post(
        "/api/GetCameras",
        content=b'--x\r\nContent-Disposition: form-data; name="SessionID"\r\n\r\nabc',  # never closed
        headers={"content-type": "multipart/form-data; boundary=x"},
    )
    assert answer.status_code == 200
    assert answer.json()["ErrorCode"] in (2, 3)


def test_an_unexpected_failure_in_a_call_answers_error_code_1(
    fuzz_portal: FuzzPortal, forpost_sid: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last resort: a defect inside a call is logged and answered as ErrorCode 1, never HTTP 500."""

    def broken(ctx):
        raise RuntimeError("a defect")

    monkeypatch.setitem(forpost_calls.CALLS, "getcurrenttime", broken)
    answer = _forpost(fuzz_portal, "GetCurrentTime", SessionID=forpost_sid)
    assert answer["ErrorCode"] == 1 and answer["Error"]


# ---- Ingest: 400/422 naming the header -----------------------------------------------------------------


@pytest.mark.parametrize("value", EXTREME_TIMES)
def test_ingest_segment_start_out_of_range_answers_400_naming_the_header(fuzz_portal: FuzzPortal, value: str) -> None:
    body = b"segment"
    headers = {
        "Authorization": f"Bearer {fuzz_portal.world.upload_token}",
        "Content-Type": "video/iso.segment",
        HEADER_START: value,
        HEADER_DURATION: "2",
        HEADER_SHA256: hashlib.sha256(body).hexdigest(),
        HEADER_CLOCK_SYNCED: "1",
    }
    url = f"/ingest/v1/cameras/{fuzz_portal.world.private_a}/runs/20261122T080000Z-abcdef/segments/7"
    answer = fuzz_portal.client.put(url, content=body, headers=headers)
    assert answer.status_code == 400, answer.text
    assert _detail(answer).startswith(HEADER_START)


def test_ingest_run_with_an_impossible_date_answers_400(fuzz_portal: FuzzPortal) -> None:
    url = f"/ingest/v1/cameras/{fuzz_portal.world.private_a}/runs/20260230T000000Z-abcdef/init"
    headers = {"Authorization": f"Bearer {fuzz_portal.world.upload_token}", "Content-Type": "video/mp4"}
    answer = fuzz_portal.client.put(url, content=b"init", headers=headers)
    assert answer.status_code == 400 and _detail(answer).startswith("run: ")


@pytest.mark.parametrize(
    ("route", "method", "field", "body"),
    [
        ("gaps", "POST", "start",
         {"gaps": [{"start": EXTREME_TIMES[0], "end": "2026-01-01T00:00:00Z", "reason": "stalled"}]}),
        ("holdings", "PUT", "reported_at", {"ranges": [], "reported_at": EXTREME_TIMES[1]}),
        ("holdings", "PUT", "start", {"ranges": [{"start": "2026-01-01T00:00:00", "end": "2026-01-01T01:00:00Z"}],
                             "reported_at": "2026-01-01T01:00:00Z"}),  # no zone
    ],
)  # fmt: skip
def test_ingest_json_times_out_of_range_answer_422(
    fuzz_portal: FuzzPortal, route: str, method: str, field: str, body
) -> None:
    url = f"/ingest/v1/cameras/{fuzz_portal.world.private_a}/{route}"
    answer = fuzz_portal.client.request(
        method, url, json=body, headers={"Authorization": f"Bearer {fuzz_portal.world.upload_token}"}
    )
    assert answer.status_code == 422, answer.text
    assert [error["loc"][-1] for error in answer.json()["detail"]] == [field]


def test_a_snapshot_of_bytes_that_do_not_decode_answers_404(fuzz_portal: FuzzPortal) -> None:
    """A box may upload bytes that are no video: the snapshot says so (404) instead of a decoder's 500."""
    camera, run = fuzz_portal.world.shared_a, "20261122T080000Z-0badf0"
    auth = {"Authorization": f"Bearer {fuzz_portal.world.upload_token}"}
    put = fuzz_portal.client.put
    assert put(f"/ingest/v1/cameras/{camera}/runs/{run}/init", content=b"no mp4", headers=auth | {
        "Content-Type": "video/mp4"}).status_code in (200, 201)  # fmt: skip
    body = b"not a segment either"
    headers = auth | {
        "Content-Type": "video/iso.segment",
        HEADER_START: "2026-11-22T08:00:00Z",
        HEADER_DURATION: "6",
        HEADER_SHA256: hashlib.sha256(body).hexdigest(),
    }
    assert put(f"/ingest/v1/cameras/{camera}/runs/{run}/segments/0", content=body, headers=headers).status_code in (
        200,
        201,
    )
    answer = fuzz_portal.client.get(
        f"/api/v1/cameras/{camera}/snapshot.jpg", params={"at": "2026-11-22T08:00:01Z"}, headers=_auth(fuzz_portal)
    )
    assert answer.status_code == 404, answer.text
    assert "cannot be decoded" in _detail(answer)
