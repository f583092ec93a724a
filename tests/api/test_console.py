"""The curator's web console at /admin, against a live server over its own small knowledge base."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.api.conftest import serve, with_api
from tests.cli.test_cli import galaxy
from tests.conftest import write_doc

if TYPE_CHECKING:
    from playwright.sync_api import ConsoleMessage

ADMIN_KEY = "console-admin-key-0123456789"
FOOTBALL = [
    "Who won the football world cup?",
    "What was the final score of the football match yesterday?",
    "Which team won the champions league football final?",
]
CRYPTO = ["Are there cryptocurrency mining cooperatives in Kenya?", "Any cryptocurrency mining projects in Kenya?"]
SUBMISSION = {
    "title": "Rainwater jars for school gardens",
    "summary": "Ferro-cement jars collect roof rainwater so school gardens grow through the dry season.",
    "body": "Pupils and parents build 2,000-litre ferro-cement jars beside classrooms. " * 4,
    "countries": ["UGA"],
    "sdgs": [6, 4],
    "contact": "jars@example.org",
}


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    """A live server over services with their own data dir (so the gaps are only this module's)."""
    from assistant.container import build_services
    from assistant.settings import load_settings

    root = tmp_path_factory.mktemp("console")
    corpus = root / "corpus"
    write_doc(corpus, "sol-ken-water-kiosks", title="Solar water kiosks in Kisumu", body="Kiosks sell water. " * 20)
    write_doc(
        corpus,
        "sol-sen-fish-ovens",
        title="Improved fish-smoking ovens",
        countries=("SEN",),
        sdgs=(14, 8),
        body="Women processors in Joal use ovens that halve firewood use and smoke exposure. " * 8,
    )
    services = build_services(load_settings(data_dir=root / "data"))
    assert services.kb.ingestor.ingest([corpus], progress=False).failed == 0
    services.refresh()
    services = with_api(services, admin_key=ADMIN_KEY, rate_limit_per_minute=0)
    with serve(services) as server:
        server.services = services
        server.data_dir = root / "data"
        yield server
    services.close()


@pytest.fixture
def http(console):
    with httpx.Client(base_url=console.url, timeout=120) as client:
        yield client


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, html[:500]
    return match.group(1)


def login(http: httpx.Client, key: str = ADMIN_KEY) -> httpx.Response:
    form = http.get("/admin/login")
    assert form.status_code == 200
    return http.post("/admin/login", data={"csrf": csrf_of(form.text), "key": key})


@contextmanager
def signed_in(console) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=console.url, timeout=120) as client:
        assert login(client).status_code == 303
        yield client


def submit(http: httpx.Client, **changes) -> str:
    created = http.post("/v1/submissions", json=SUBMISSION | changes)
    assert created.status_code == 202, created.text
    return created.json()["id"]


def introduce(http: httpx.Client, **changes) -> httpx.Response:
    """An introduction asked from a real conversation (the server takes none from a session it did not start)."""
    body = {
        "session_id": ask(http, "How do solar water kiosks work?")["session_id"],
        "target_kind": "solution",
        "target_id": "sol-ken-water-kiosks",
        "target_name": "Solar water kiosks in Kisumu",
        "need": "We want drinking water kiosks in our town",
        "contact": "amina@example.org",
        "consent": True,
    } | changes
    return http.post("/v1/introductions", json=body, headers={"X-Galaxy-Client": "widget"})


def test_console_is_refused_without_the_key(console, http):
    for path in ("/admin", "/admin/gaps", "/admin/gaps.csv", "/admin/feedback", "/admin/submissions"):
        response = http.get(path)
        assert response.status_code == 303 and response.headers["location"] == "/admin/login", path
    http.cookies.set("galaxy_console", "9999999999.forged.0123abcd", path="/admin")
    assert http.get("/admin/introductions").status_code == 303
    wrong = login(http, "not-the-key")
    assert (
        wrong.status_code == 403 and "not the admin key" in wrong.text and "galaxy_console=" not in str(wrong.headers)
    )
    # The admin key itself is no way in either: only the signed session cookie is.
    assert http.get("/admin/gaps", headers={"X-API-Key": ADMIN_KEY}).status_code == 303


def test_console_is_off_when_no_admin_key_is_configured(console):
    with serve(with_api(console.services, admin_key="")) as server:
        assert httpx.get(f"{server.url}/admin/login").status_code == 404
        assert httpx.get(f"{server.url}/admin").status_code == 404


def test_login_sets_a_hardened_session_cookie_and_logout_ends_it(console, http):
    response = login(http)
    assert response.status_code == 303 and response.headers["location"] == "/admin"
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("galaxy_console="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/admin" in cookie
    assert ADMIN_KEY not in cookie
    assert "Secure" not in cookie  # plain http on loopback: a Secure cookie would never come back
    token = http.cookies["galaxy_console"]
    overview = http.get("/admin")
    assert overview.status_code == 200 and "Knowledge base" in overview.text
    assert "script-src" not in overview.headers["content-security-policy"]  # default-src 'none': no script
    http.post("/admin/logout", data={"csrf": csrf_of(overview.text)})
    http.cookies.set("galaxy_console", token, path="/admin")  # replaying the old cookie does not work
    assert http.get("/admin").status_code == 303


def test_cookie_is_secure_behind_a_proxy(console, http):
    form = http.get("/admin/login")
    response = http.post(
        "/admin/login",
        data={"csrf": csrf_of(form.text), "key": ADMIN_KEY},
        headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"},
    )
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("galaxy_console="))
    assert "Secure" in cookie


def test_every_form_rejects_a_post_without_its_csrf_token(console, http):
    sub_id = submit(http)
    intro_id = introduce(http).json()["id"]
    with signed_in(console) as curator:
        forms = {
            "/admin/logout": {},
            f"/admin/submissions/{sub_id}/approve": {},
            f"/admin/submissions/{sub_id}/reject": {"reason": "spam"},
            f"/admin/introductions/{intro_id}/move": {"status": "closed", "note": "x"},
        }
        for path, data in forms.items():
            assert curator.post(path, data=data).status_code == 403, path
            assert curator.post(path, data=data | {"csrf": "0" * 64}).status_code == 403, path
        # nothing moved, and the session still works
        assert console.services.submissions.get(sub_id).status == "pending"
        assert console.services.introductions.get(intro_id).status == "new"
        assert curator.get("/admin").status_code == 200
    # the sign-in form too: without the token that came with it, even the right key is refused
    fresh = httpx.post(f"{console.url}/admin/login", data={"key": ADMIN_KEY})
    assert fresh.status_code == 403 and "galaxy_console=" not in str(fresh.headers)


def test_reject_with_a_reason_and_approve_a_submission(console, http):
    spam, good = submit(http, title="Buy cheap watches online"), submit(http)
    with signed_in(console) as curator:
        page = curator.get(f"/admin/submissions/{good}")
        assert page.status_code == 200
        found = re.search(r'<pre class="preview">(.*?)</pre>', page.text, re.S)
        assert found is not None
        preview = found.group(1)
        assert "1. Rainwater jars for school gardens — Uganda" in preview and "[1]" in preview
        assert "jars@example.org" in page.text  # the contact is shown to the curator
        csrf = csrf_of(page.text)
        rejected = curator.post(f"/admin/submissions/{spam}/reject", data={"csrf": csrf, "reason": "Not a solution."})
        assert rejected.status_code == 303
        approved = curator.post(f"/admin/submissions/{good}/approve", data={"csrf": csrf})
        assert approved.status_code == 303
        listing = curator.get(approved.headers["location"])
        assert f"Approved and published {good}." in listing.text
        again = curator.post(f"/admin/submissions/{good}/approve", data={"csrf": csrf}, follow_redirects=True)
        assert "already approved" in again.text
    assert http.get(f"/v1/submissions/{spam}").json() | {"decided": 0} == {
        "id": spam,
        "status": "rejected",
        "reason": "Not a solution.",
        "decided": 0,
    }
    assert http.get(f"/v1/submissions/{good}").json()["status"] == "approved"
    assert http.get("/v1/submissions/sub-missing").status_code == 404
    hits = http.post("/v1/search", json={"query": "rainwater jars school gardens"}).json()["hits"]
    assert hits[0]["doc_id"] == good


def test_introductions_land_in_the_console_and_move_along(console, http):
    refused = introduce(http, consent=False)
    assert refused.status_code == 422 and "consent" in refused.text
    assert introduce(http, target_kind="person").status_code == 422
    created = introduce(http)
    assert created.status_code == 201 and created.json()["status"] == "new"
    intro_id = created.json()["id"]
    with signed_in(console) as curator:
        page = curator.get("/admin/introductions?status=new")
        assert intro_id in page.text and "amina@example.org" in page.text and "widget" in page.text
        moved = curator.post(
            f"/admin/introductions/{intro_id}/move",
            data={"csrf": csrf_of(page.text), "status": "contacted", "note": "Wrote to the kiosk operator"},
            follow_redirects=True,
        )
        assert f"{intro_id} is now contacted." in moved.text and "Wrote to the kiosk operator" in moved.text
        bad = curator.post(f"/admin/introductions/{intro_id}/move", data={"csrf": csrf_of(page.text), "status": "done"})
        assert bad.status_code == 303
    intro = console.services.introductions.get(intro_id)
    assert intro.status == "contacted" and intro.notes[0].text == "Wrote to the kiosk operator"


def ask(http: httpx.Client, question: str, client: str = "") -> dict:
    headers = {"X-Galaxy-Client": client} if client else {}
    response = http.post("/v1/ask", json={"question": question}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def gap_sections(html: str) -> list[str]:
    return re.findall(r'<section class="gap">(.*?)</section>', html, re.S)


def test_unanswered_questions_are_grouped_on_the_gaps_page_and_in_the_cli(console, http):
    answer_ids = {ask(http, q, "widget" if i == 0 else "")["answer_id"] for i, q in enumerate(FOOTBALL + CRYPTO)}
    recorded = [e.meta for e in console.services.conversations.exchanges() if e.meta["answer_id"] in answer_ids]
    assert [m["outcome"] for m in recorded] == ["out_of_scope"] * 3 + ["nothing_exact"] * 2
    assert [m["channel"] for m in recorded] == ["widget"] + ["api"] * 4 and all(m["latency_ms"] >= 0 for m in recorded)
    with signed_in(console) as curator:
        page = curator.get("/admin/gaps")
        assert page.status_code == 200 and "<svg" in page.text
        football, crypto = gap_sections(page.text)[:2]
        assert all(q.replace("'", "&#39;") in football for q in FOOTBALL)
        assert all(q in crypto for q in CRYPTO) and "KEN · 2" in crypto
        assert "Solar water kiosks in Kisumu" in crypto  # the closest solution offered
        assert "widget · 1" in page.text
        exported = curator.get("/admin/gaps.csv")
        assert exported.headers["content-type"].startswith("text/csv")
        assert all(q in exported.text for q in FOOTBALL + CRYPTO)

    result = galaxy(console.data_dir, "gaps", "--json")
    assert result.returncode == 0, result.stderr
    groups = json.loads(result.stdout)["groups"]
    assert {q["question"] for q in groups[0]["questions"]} == set(FOOTBALL)
    assert {q["question"] for q in groups[1]["questions"]} == set(CRYPTO)
    assert groups[1]["counts"]["country"] == {"KEN": 2}


def test_feedback_page_tells_channels_apart_worst_first(console, http):
    good = ask(http, "How do solar water kiosks work?")
    bad = ask(http, "Improved fish-smoking ovens for women processors?", "widget")
    for answer, rating, client, comment in ((good, "up", "", ""), (bad, "down", "widget", "Not in my country")):
        ids = {"session_id": answer["session_id"], "answer_id": answer["answer_id"]}
        headers = {"X-Galaxy-Client": client} if client else {}
        sent = http.post("/v1/feedback", json=ids | {"rating": rating, "comment": comment}, headers=headers)
        assert sent.status_code == 201, sent.text
    with signed_in(console) as curator:
        page = curator.get("/admin/feedback").text
    rated = re.findall(r'<section class="rated">(.*?)</section>', page, re.S)
    assert "Improved fish-smoking ovens for women processors?" in rated[0] and "Not in my country" in rated[0]
    assert "widget" in rated[0] and "How do solar water kiosks work?" in rated[-1]
    assert re.search(r"<td>widget</td><td class=\"n up\">0</td><td class=\"n down\">1</td>", page)
    result = galaxy(console.data_dir, "feedback", "--json")
    answers = json.loads(result.stdout)["answers"]
    assert answers[0]["answer_id"] == bad["answer_id"] and answers[0]["channel"] == "widget"


CHROMIUM = "/usr/bin/chromium"
SCREENSHOT = "/tmp/console-360.png"


@pytest.fixture(scope="module")
def phone(console):
    """A Chromium page at 360x740 (a small phone), collecting console errors and failed requests."""
    from pathlib import Path

    if not Path(CHROMIUM).exists():
        pytest.skip("needs Debian's chromium at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    from tests.api.test_widget_browser import CHROMIUM_ARGS

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(viewport={"width": 360, "height": 740}, locale="en-US")
        context.set_default_timeout(60_000)
        page = context.new_page()
        errors: list[str] = []

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                errors.append(message.text)

        page.on("console", on_console)
        page.on("pageerror", lambda error: errors.append(str(error)))
        yield page, errors
        context.close()
        browser.close()


def test_a_curator_on_a_phone_reads_every_page_approves_and_moves_an_introduction(console, http, phone):
    sub_id = submit(http, title="Solar dryers for mango growers", countries=["BFA"], sdgs=[2, 7])
    intro_id = introduce(http, need="Connect us with the solar kiosk operator").json()["id"]
    for question in FOOTBALL[:2]:
        ask(http, question)
    page, errors = phone
    page.goto(f"{console.url}/admin")
    assert page.url.endswith("/admin/login")
    page.fill("#key", ADMIN_KEY)
    page.click("button[type=submit]")
    page.wait_for_url(f"{console.url}/admin")
    for label in ("Gaps", "Feedback", "Submissions", "Introductions", "Overview"):
        page.click(f"nav >> text={label}")
        assert page.locator("h1").first.is_visible()
        # readable on the phone: nothing wider than the screen
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, label
        page.screenshot(path=f"/tmp/console-360-{label.lower()}.png", full_page=True)
    page.goto(f"{console.url}/admin/gaps")
    page.screenshot(path=SCREENSHOT, full_page=False)

    page.goto(f"{console.url}/admin/submissions/{sub_id}")
    page.click("text=Approve and publish")
    assert page.locator(".flash").inner_text() == f"Approved and published {sub_id}."
    assert console.services.submissions.get(sub_id).status == "approved"

    page.goto(f"{console.url}/admin/introductions")
    form = page.locator(f"form[action='/admin/introductions/{intro_id}/move']")
    form.locator("select").select_option("connected")
    form.locator("textarea").fill("Introduced by e-mail")
    form.locator("button").click()
    assert page.locator(".flash").inner_text() == f"{intro_id} is now connected."
    assert console.services.introductions.get(intro_id).status == "connected"

    page.click("text=Sign out")
    page.wait_for_url(f"{console.url}/admin/login")
    assert errors == []
