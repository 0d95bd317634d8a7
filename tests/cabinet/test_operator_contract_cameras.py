"""The operator's contract page lists the subscriber's cameras by the same ownership rule the subscriber is shown
them by (portal/access.py): A sees the entrance camera and the private one, B the other entrance's, C (A's
entrance) the entrance camera only; each row links to its box's console page."""

import re

import httpx

from portal.models import Contract
from tests.cabinet.world import OPERATOR_PASSWORD
from tests.fixtures.forms import csrf_of


def _contract_id(portal, number: str) -> int:
    with portal.db.session() as db:
        return db.query(Contract).filter(Contract.number == number).one().id


def test_contract_page_lists_the_subscribers_cameras_with_their_boxes(portal) -> None:
    w = portal.world
    with httpx.Client(base_url=portal.url) as client:
        login = client.post(
            "/operator/login",
            data={
                "login": w.operator,
                "password": OPERATOR_PASSWORD,
                "csrf": csrf_of(client.get("/operator/login").text),
            },
        )
        assert login.status_code == 303, login.text

        def cameras(number: str) -> dict[str, str]:
            html = client.get(f"/operator/contracts/{_contract_id(portal, number)}").text
            table = html[
                html.index('id="contract-cameras"') : html.index("</table>", html.index('id="contract-cameras"'))
            ]
            rows = re.findall(r'<tr data-camera="([^"]+)">(.*?)</tr>', table, re.S)
            return {camera: ("своя" if "<td>своя</td>" in row else "подъезда") for camera, row in rows}

        assert cameras(w.contract_a) == {w.shared_a: "подъезда", w.private_a: "своя"}
        assert cameras(w.contract_b) == {w.shared_b: "подъезда"}
        assert cameras(w.contract_c) == {w.shared_a: "подъезда"}
        page = client.get(f"/operator/contracts/{_contract_id(portal, w.contract_a)}").text
        assert f'<a href="/operator/fleet/{w.device}">{w.device}</a>' in page
        assert client.get(f"/operator/fleet/{w.device}").status_code == 200
