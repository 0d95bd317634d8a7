"""The portal's startup heap is out of the garbage collector's sight once it serves (portal.app)."""

import json
import subprocess
import sys
from pathlib import Path

from tests.fixtures.keys import TEST_SECRET_KEY

SCRIPT = """
import gc, json, sys
from pathlib import Path
from fastapi.testclient import TestClient
from portal.app import create_app
from portal.config import PortalSettings
settings = PortalSettings(data_dir=Path(sys.argv[1]), retention_sweep_seconds=0, mqtt_url="", secret_key=sys.argv[2])
before = gc.get_freeze_count()
with TestClient(create_app(settings)) as client:
    assert client.get("/healthz").status_code == 200
    print(json.dumps({"before": before, "frozen": gc.get_freeze_count(), "tracked": len(gc.get_objects())}))
"""


def test_the_heap_built_at_startup_is_frozen_once_the_app_serves(tmp_path: Path) -> None:
    out = subprocess.run(  # a process of its own: a test process has frozen its heap at its first app already
        [sys.executable, "-c", SCRIPT, str(tmp_path), TEST_SECRET_KEY],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    counts = json.loads(out.stdout.strip().splitlines()[-1])
    assert counts["before"] == 0
    assert counts["frozen"] > 100_000  # modules, routes, ORM metadata: what a full collection no longer scans
    assert counts["tracked"] < counts["frozen"] // 10  # what collections still scan: made after the start
