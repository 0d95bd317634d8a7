"""Runs the portal under uvicorn, failing with one clear sentence when the port is taken."""

import uvicorn

from dozor.netcheck import check_port_free
from portal.config import PortalSettings


def serve(host: str, port: int, workers: int = 1) -> None:
    settings = PortalSettings()
    settings.check_secret_key()  # one sentence here, before uvicorn turns it into a worker traceback
    check_port_free(host, port)
    if workers > 1:
        from portal.metrics import prepare_multiprocess

        prepare_multiprocess(settings.data_dir)  # /metrics sums every worker's counters
    uvicorn.run(
        "portal.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=False,  # X-Forwarded-For is honoured only from configured proxies (portal.auth)
        log_level="info",
        access_log=settings.access_log,
    )
