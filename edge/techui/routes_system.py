"""Network, logs, self-test, enrolment and the technician password."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response

from edge.techui import logs, sysinfo
from edge.techui.auth import require_form_session, require_session
from edge.techui.enrolment import EnrolmentError
from edge.techui.passwords import PasswordError

router = APIRouter()


@router.get("/network", dependencies=[Depends(require_session)])
def network_page(request: Request) -> Response:
    ui = request.app.state.ui
    return request.app.state.render(
        request,
        "network.html",
        interfaces=sysinfo.interfaces(),
        gateway=sysinfo.default_gateway(),
        dns=sysinfo.dns_servers(),
        link=ui.link_state(),
        portal=ui.box.config.portal,
        advertised=ui.advertiser is not None,
    )


@router.get("/logs", dependencies=[Depends(require_session)])
def logs_page(request: Request, lines: int = 200) -> Response:
    ui = request.app.state.ui
    return request.app.state.render(
        request, "logs.html", lines=logs.tail(ui.log_file, lines), count=lines, path=ui.log_file
    )


@router.get("/logs/download", dependencies=[Depends(require_session)])
def logs_download(request: Request) -> Response:
    ui = request.app.state.ui
    if not ui.log_file.is_file():
        return JSONResponse({"detail": f"журнала {ui.log_file} ещё нет"}, status_code=404)
    return FileResponse(
        ui.log_file, media_type="text/plain; charset=utf-8", filename=f"dozor-{ui.device_id}-{ui.log_file.name}"
    )


@router.get("/selftest", dependencies=[Depends(require_session)])
def selftest_page(request: Request) -> Response:
    runner = request.app.state.ui.selftest
    return request.app.state.render(
        request, "selftest.html", running=runner.running, report=runner.report, error=runner.error
    )


@router.get("/selftest.json", dependencies=[Depends(require_session)])
def selftest_json(request: Request) -> Response:
    runner = request.app.state.ui.selftest
    report = runner.report.as_dict() if runner.report else None
    return JSONResponse({"running": runner.running, "error": runner.error, "report": report})


@router.post("/selftest", dependencies=[Depends(require_form_session)])
def selftest_start(request: Request) -> Response:
    request.app.state.ui.selftest.start()
    return RedirectResponse("/selftest", status_code=303)


@router.get("/enrol", dependencies=[Depends(require_session)])
def enrol_page(request: Request) -> Response:
    ui = request.app.state.ui
    return request.app.state.render(
        request, "enrol.html", record=ui.enrolment.record(), error=None, values={}, done=False
    )


@router.post("/enrol", dependencies=[Depends(require_form_session)])
def enrol(request: Request, portal_url: str = Form(""), claim_code: str = Form("")) -> Response:
    ui = request.app.state.ui
    values = {"portal_url": portal_url}
    try:
        ui.enrol(portal_url, claim_code)
    except EnrolmentError as exc:
        return request.app.state.render(
            request, "enrol.html", 400, record=ui.enrolment.record(), error=str(exc), values=values, done=False
        )
    return request.app.state.render(
        request, "enrol.html", record=ui.enrolment.record(), error=None, values=values, done=True
    )


@router.post("/password", dependencies=[Depends(require_form_session)])
def change_password(request: Request, password: str = Form(""), repeat: str = Form("")) -> Response:
    ui = request.app.state.ui
    render = request.app.state.render
    if password != repeat:
        return render(
            request,
            "message.html",
            400,
            title="Пароль не изменён",
            message="Повтор пароля: не совпадает с новым паролем.",
        )
    try:
        ui.passwords.set_password(password)
    except PasswordError as exc:
        return render(request, "message.html", 400, title="Пароль не изменён", message=str(exc))
    ui.sessions.drop_all()
    return RedirectResponse("/login", status_code=303)
