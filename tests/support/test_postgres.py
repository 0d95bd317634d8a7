"""The desk on the production shape: PostgreSQL + S3 (SeaweedFS). The migration's seeded rows must leave the
sequences right, so operators' new rows (bot nodes, topics, canned replies) get fresh ids."""

from pathlib import Path

from fastapi.testclient import TestClient

from portal.app import create_app
from portal.config import PortalSettings
from tests.cabinet.world import provision
from tests.fixtures.keys import TEST_SECRET_KEY
from tests.support.conftest import PNG, Desk, form


def test_ticket_with_attachment_and_tree_edits_on_postgres_and_s3(tmp_path: Path, pg_url: str, s3) -> None:
    settings = PortalSettings(
        data_dir=tmp_path, secret_key=TEST_SECRET_KEY, database_url=pg_url, storage_url=s3.storage_url(s3.new_bucket())
    )
    app = create_app(settings)
    world = provision(app.state.services.db)
    with TestClient(app) as client:
        desk = Desk(app, client, world, tmp_path)
        r = client.post(
            "/api/v1/support/tickets",
            data=form() | {"camera_ids": [world.shared_a]},
            files=[("files", ("screen.png", PNG, "image/png"))],
            headers=desk.auth("a"),
        )
        assert r.status_code == 201, r.text
        detail = client.get(f"/api/v1/support/tickets/{r.json()['id']}", headers=desk.auth("a")).json()
        assert client.get(detail["messages"][0]["attachments"][0]["url"], headers=desk.auth("a")).content == PNG
        assert desk.objects() and all(key.startswith("support/") for key in desk.objects())
        op, csrf = desk.browser("op")
        sections = client.get("/api/v1/support/bot").json()["sections"]
        added = op.post(
            "/operator/support/bot",
            data={"csrf": csrf, "parent_id": sections[0]["id"], "title": "Нет звука", "topic_code": "quality"},
        )
        assert added.status_code == 303, added.text
        assert op.post("/operator/support/canned", data={"csrf": csrf, "title": "T", "text": "X"}).status_code == 303
    app.state.services.db.dispose()
