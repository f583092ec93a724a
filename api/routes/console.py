"""/admin: the curator's web console (server-rendered, no JavaScript), behind the admin key.

Pages read the services through the same calls as the CLI (`assistant.community.gaps`, `.reports`); forms post
url-encoded bodies, each with its CSRF token (see `api.console_auth`).
"""

# No `from __future__ import annotations`: FastAPI reads the route signatures at run time.
import datetime as dt
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qsl, quote, unquote

import jinja2
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.console_auth import LOGIN_COOKIE, SESSION_COOKIE, SESSION_TTL_S, ConsoleAuth, clear_cookie, set_cookie
from api.console_charts import bar_chart
from api.deps import ServicesDep, WorkersDep
from api.security import same_secret
from assistant.community.gaps import collect_gaps, parse_since, to_csv
from assistant.community.introductions import STATUSES
from assistant.community.reports import collect_feedback, collect_usage, submission_preview
from assistant.container import Services
from assistant.errors import GalaxyError
from assistant.stats import collect_stats

NAV = [
    ("overview", "/admin", "Overview"),
    ("gaps", "/admin/gaps", "Gaps"),
    ("feedback", "/admin/feedback", "Feedback"),
    ("submissions", "/admin/submissions", "Submissions"),
    ("introductions", "/admin/introductions", "Introductions"),
    ("needs", "/admin/needs", "Saved needs"),
]
#: No script may run on these pages; styles are inline in the base template, charts are inline SVG.
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
Id = Annotated[str, PathParam(max_length=100)]
Since = Annotated[str, Query(max_length=10)]


def _when(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d %H:%M UTC") if timestamp else ""


_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent.parent / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
_env.filters["when"] = _when


def _html(name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("flash", "")
    context.setdefault("error", "")
    context.setdefault("nav", NAV if "csrf" in context else [])
    context.setdefault("page", "")
    return HTMLResponse(_env.get_template(name).render(**context), status_code=status_code, headers=HEADERS)


def _admin_key(services: Services) -> str:
    key = services.settings.api.admin_key.get_secret_value()
    if not key:  # no admin key configured: the console is off, not open
        raise HTTPException(404, "Not Found")
    return key


FLASH_COOKIE = "galaxy_console_flash"


def _to(path: str, flash: str = "", request: Request | None = None) -> RedirectResponse:
    """A redirect after a form (post/redirect/get); `flash` is shown once on the next page."""
    response = RedirectResponse(path, status_code=303, headers=HEADERS)
    if flash and request is not None:
        set_cookie(request, response, FLASH_COOKIE, quote(flash[:300]), 60)
    return response


async def _form(request: Request) -> dict[str, str]:
    body = (await request.body()).decode("utf-8", "replace")
    return dict(parse_qsl(body, keep_blank_values=True))


router = APIRouter(prefix="/admin", include_in_schema=False)


def _auth(request: Request) -> ConsoleAuth:
    """The sign-in state of this app (revoked sessions, wrong-key counts), created with its first request."""
    state = request.app.state
    if getattr(state, "console_auth", None) is None:
        state.console_auth = ConsoleAuth()
    return state.console_auth


def _session(request: Request, services: Services) -> str | None:
    token = request.cookies.get(SESSION_COOKIE)
    return token if _auth(request).valid(token, _admin_key(services)) else None


def _page(request: Request, services: Services, name: str, **context: Any) -> Response:
    token = _session(request, services)
    if token is None:
        return _to("/admin/login")
    flash = unquote(request.cookies.get(FLASH_COOKIE, ""))
    response = _html(
        f"{name}.html", csrf=_auth(request).csrf(token, _admin_key(services)), page=name, flash=flash, **context
    )
    if flash:
        clear_cookie(request, response, FLASH_COOKIE)
    return response


async def _checked(request: Request, services: Services) -> dict[str, str]:
    """The posted form of a signed-in curator whose CSRF token matches; 403 otherwise."""
    token = _session(request, services)
    form = await _form(request)
    if token is None or not same_secret(form.get("csrf"), _auth(request).csrf(token, _admin_key(services))):
        raise HTTPException(403, "Sign in again: the form has expired or did not come from the console.")
    return form


# -- signing in and out ---------------------------------------------------------------------------------
@router.get("/login")
async def login_form(request: Request, services: ServicesDep) -> Response:
    _admin_key(services)
    if _session(request, services):
        return _to("/admin")
    return _login(request)


@router.post("/login")
async def login(request: Request, services: ServicesDep) -> Response:
    key = _admin_key(services)
    client = request.client.host if request.client else "?"
    form = await _form(request)
    if not same_secret(form.get("csrf"), request.cookies.get(LOGIN_COOKIE, "")):
        return _login(request, "The sign-in form expired: please try again.", 403)
    if _auth(request).blocked(client):
        return _login(request, "Too many wrong keys: wait a few minutes.", 429)
    if not same_secret(form.get("key"), key):
        _auth(request).failed(client)
        return _login(request, "That is not the admin key.", 403)
    response = _to("/admin")
    set_cookie(request, response, SESSION_COOKIE, _auth(request).issue(key), SESSION_TTL_S)
    clear_cookie(request, response, LOGIN_COOKIE)
    return response


@router.post("/logout")
async def logout(request: Request, services: ServicesDep) -> Response:
    await _checked(request, services)
    _auth(request).revoke(request.cookies.get(SESSION_COOKIE, ""))
    response = _to("/admin/login")
    clear_cookie(request, response, SESSION_COOKIE)
    return response


# -- pages ----------------------------------------------------------------------------------------------
@router.get("")
async def overview(request: Request, services: ServicesDep, workers: WorkersDep) -> Response:
    if _session(request, services) is None:
        return _to("/admin/login")
    stats = await workers.run(collect_stats, services.kb)
    usage = await workers.run(collect_usage, services)
    return _page(
        request,
        services,
        "overview",
        title="Overview",
        stats=stats,
        usage=usage,
        per_day=bar_chart(usage["per_day"][-30:], short=True),
        pending=len(services.submissions.list("pending")),
        new_intros=services.introductions.count("new"),
    )


@router.get("/gaps")
async def gaps(request: Request, services: ServicesDep, workers: WorkersDep, since: Since = "") -> Response:
    if _session(request, services) is None:
        return _to("/admin/login")
    report = await workers.run(collect_gaps, services, parse_since(since))
    weeks = bar_chart(report.weeks)
    return _page(request, services, "gaps", title="Knowledge gaps", report=report, weeks=weeks, since=since)


@router.get("/gaps.csv")
async def gaps_csv(request: Request, services: ServicesDep, workers: WorkersDep, since: Since = "") -> Response:
    if _session(request, services) is None:
        return _to("/admin/login")
    report = await workers.run(collect_gaps, services, parse_since(since))
    headers = {**HEADERS, "Content-Disposition": 'attachment; filename="galaxy-gaps.csv"'}
    return Response(to_csv(report), media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/feedback")
async def feedback(request: Request, services: ServicesDep, workers: WorkersDep) -> Response:
    if _session(request, services) is None:
        return _to("/admin/login")
    report = await workers.run(collect_feedback, services)
    return _page(request, services, "feedback", title="Feedback", report=report)


@router.get("/submissions")
async def submissions(
    request: Request,
    services: ServicesDep,
    status: Annotated[str, Query(pattern="^(pending|approved|rejected|all)$")] = "pending",
) -> Response:
    if _session(request, services) is None:
        return _to("/admin/login")
    items = services.submissions.list(None if status == "all" else status)
    return _page(request, services, "submissions", title="Submissions", submissions=items, status=status)


@router.get("/submissions/{submission_id}")
async def submission(request: Request, services: ServicesDep, submission_id: Id) -> Response:
    if _session(request, services) is None:
        return _to("/admin/login")
    sub = services.submissions.get(submission_id)  # NotFound: 404
    preview = submission_preview(sub)
    return _page(request, services, "submission", title=sub.title, sub=sub, preview=preview)


@router.post("/submissions/{submission_id}/approve")
async def approve(request: Request, services: ServicesDep, workers: WorkersDep, submission_id: Id) -> Response:
    await _checked(request, services)
    try:
        await workers.run(services.approve_submission, submission_id)
    except GalaxyError as exc:
        return _to(f"/admin/submissions/{quote(submission_id)}", f"Not approved: {exc.user_message}", request)
    return _to("/admin/submissions", f"Approved and published {submission_id}.", request)


@router.post("/submissions/{submission_id}/reject")
async def reject(request: Request, services: ServicesDep, workers: WorkersDep, submission_id: Id) -> Response:
    form = await _checked(request, services)
    try:
        await workers.run(services.submissions.reject, submission_id, form.get("reason", ""))
    except GalaxyError as exc:
        return _to(f"/admin/submissions/{quote(submission_id)}", f"Not rejected: {exc.user_message}", request)
    return _to("/admin/submissions", f"Rejected {submission_id}.", request)


@router.get("/introductions")
async def introductions(
    request: Request,
    services: ServicesDep,
    status: Annotated[str, Query(pattern="^(all|new|contacted|connected|closed)$")] = "all",
) -> Response:
    if _session(request, services) is None:
        return _to("/admin/login")
    items = services.introductions.list(None if status == "all" else status)
    totals = {s: services.introductions.count(s) for s in STATUSES}
    context = dict(introductions=items, status=status, statuses=STATUSES, totals=totals)
    return _page(request, services, "introductions", title="Introductions", **context)


def _saved_needs(services: Services, limit: int = 100) -> list[tuple[Any, list[Any]]]:
    """Recent saved needs with their matches (read by token, so delivery state is not touched)."""
    return [services.needs.get(need.token) for need in services.needs.recent(limit)]


@router.get("/needs")
async def needs(request: Request, services: ServicesDep, workers: WorkersDep) -> Response:
    if _session(request, services) is None:
        return _to("/admin/login")
    items = await workers.run(_saved_needs, services)
    return _page(request, services, "needs", title="Saved needs", needs=items)


@router.post("/introductions/{intro_id}/move")
async def move(request: Request, services: ServicesDep, workers: WorkersDep, intro_id: Id) -> Response:
    form = await _checked(request, services)
    try:
        intro = await workers.run(services.introductions.move, intro_id, form.get("status", ""), form.get("note", ""))
    except GalaxyError as exc:
        return _to("/admin/introductions", f"Not saved: {exc.user_message}", request)
    return _to("/admin/introductions", f"{intro.id} is now {intro.status}.", request)


def _login(request: Request, error: str = "", status: int = 200) -> HTMLResponse:
    token = _auth(request).issue("login-form")  # random and short-lived; only compared with its cookie
    response = _html("login.html", status, title="Sign in", login_csrf=token, error=error)
    set_cookie(request, response, LOGIN_COOKIE, token, 3600)
    return response
