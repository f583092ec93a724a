"""The embeddable widget in a real browser (Debian's headless Chromium through Playwright) against a live server.

Playwright's CSS locators pierce open shadow roots, so `page.locator("galaxy-assistant [role=dialog]")` reaches
inside the widget.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.api.conftest import XSS_TITLE, serve, with_api

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium)"
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# DevTools throttling: about 250 kbit/s each way and 300 ms of latency, like a weak mobile link.
SLOW_NETWORK = {
    "offline": False,
    "latency": 300,
    "downloadThroughput": 250 * 1024 / 8,
    "uploadThroughput": 250 * 1024 / 8,
}

LAUNCHER = "galaxy-assistant button.l"
PANEL = "galaxy-assistant [role=dialog]"
INPUT = "galaxy-assistant textarea"
ANSWER = "galaxy-assistant .m.a .t"


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser):
    contexts = []

    def make(**options):
        context = browser.new_context(locale="en-US", **options)
        context.set_default_timeout(30_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture(scope="module")
def sandbox_server(sandbox_services):
    with serve(with_api(sandbox_services, rate_limit_per_minute=0)) as server:
        yield server


def ask(page, question: str) -> None:
    page.locator(LAUNCHER).click()
    page.locator(INPUT).fill(question)
    page.locator(INPUT).press("Enter")


def wait_for_answer(page) -> None:
    """The final answer is rendered once its feedback buttons are there."""
    page.locator("galaxy-assistant button[aria-label=Helpful]").last.wait_for()


def shadow(page, expression: str):
    return page.evaluate(
        f"() => {{ const root = document.querySelector('galaxy-assistant').shadowRoot; return {expression}; }}"
    )


def test_question_streams_an_answer_with_citations_and_feedback_is_stored(new_page, corpus_server):
    page = new_page()
    asks = []
    page.on("request", lambda r: asks.append(r) if r.url.endswith("/v1/ask") else None)
    page.goto(corpus_server.url + "/")
    ask(page, "solar water kiosks in Kenya")

    page.wait_for_function(
        "() => { const t = document.querySelector('galaxy-assistant').shadowRoot"
        ".querySelector('.m.a .t'); return t && t.textContent.length > 20; }"
    )
    wait_for_answer(page)
    assert asks and asks[0].post_data_json["stream"] is True
    assert asks[0].response().headers["content-type"].startswith("text/event-stream")
    assert "water kiosks" in page.locator(ANSWER).last.text_content()
    link = page.locator("galaxy-assistant ol a").first
    assert link.get_attribute("href").startswith("https://")
    assert link.get_attribute("rel") == "noopener noreferrer" and link.get_attribute("target") == "_blank"

    before = corpus_server.services.feedback.count()
    page.locator("galaxy-assistant button[aria-label=Helpful]").click()
    page.get_by_text("Thanks for your feedback!").wait_for()
    assert page.locator("galaxy-assistant button[aria-label=Helpful]").is_disabled()
    session = page.evaluate("() => Object.entries(localStorage).find(([k]) => k.startsWith('galaxy-session'))[1]")
    stored = corpus_server.services.feedback.list(limit=1)[0]
    assert corpus_server.services.feedback.count() == before + 1
    assert (stored.session_id, stored.rating, stored.source) == (session, "up", "widget")  # X-Galaxy-Client


def test_hostile_document_content_stays_text(new_page, sandbox_server):
    page = new_page(bypass_csp=True)  # most host pages have no CSP to stop an injected handler
    page.goto(sandbox_server.url + "/")
    ask(page, "mangrove honey beekeeping cooperative")
    wait_for_answer(page)

    assert page.evaluate("() => window.__xss") is None
    assert XSS_TITLE in page.locator(ANSWER).last.text_content()  # shown literally, not parsed
    assert shadow(page, "root.querySelectorAll('img, script:not([src])').length") == 0
    hrefs = shadow(page, "[...root.querySelectorAll('a')].map(a => a.getAttribute('href'))")
    assert all(h.startswith(("http://", "https://")) for h in hrefs)
    sources = page.locator("galaxy-assistant ol li")
    hostile = sources.filter(has_text="Mangrove beekeeping cooperative")
    assert hostile.count() == 1 and hostile.locator("a").count() == 0  # javascript: URL: plain text


def test_panel_fills_a_small_phone_screen(new_page, corpus_server, tmp_path):
    page = new_page(viewport={"width": 360, "height": 640}, is_mobile=True, has_touch=True)
    page.goto(corpus_server.url + "/")
    page.locator(LAUNCHER).click()
    page.locator(PANEL).wait_for()
    shot = tmp_path / "widget-360x640.png"
    page.screenshot(path=str(shot))
    box = page.locator(PANEL).bounding_box()
    assert shot.stat().st_size > 1000
    assert box["width"] >= 0.95 * 360 and box["height"] >= 0.95 * 640


def test_desktop_panel_sits_bottom_right(new_page, corpus_server):
    page = new_page(viewport={"width": 1280, "height": 800})
    page.goto(corpus_server.url + "/")
    page.locator(LAUNCHER).click()
    box = page.locator(PANEL).bounding_box()
    assert (box["width"], box["height"]) == (380, 600)
    assert box["x"] + box["width"] > 1200 and box["y"] + box["height"] > 750


def test_first_words_arrive_on_a_slow_connection(new_page, corpus_server):
    page = new_page()
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", SLOW_NETWORK)
    page.goto(corpus_server.url + "/")
    page.locator(LAUNCHER).click()
    page.locator(INPUT).fill("How do solar water kiosks work in Kenya?")
    started = time.monotonic()
    page.locator(INPUT).press("Enter")
    page.wait_for_function(
        "() => { const t = [...document.querySelector('galaxy-assistant').shadowRoot"
        ".querySelectorAll('.m.a .t')].pop(); return t && /[a-z]{3}/i.test(t.textContent); }",
        timeout=30_000,
    )
    first_words = time.monotonic() - started
    wait_for_answer(page)
    print(f"throttled time to first words: {first_words:.2f}s")
    assert first_words < 20


def test_network_failures_show_retrying_then_fall_back_to_json(new_page, corpus_server):
    page = new_page()
    seen = []

    def flaky(route):
        body = route.request.post_data_json
        seen.append(body.get("stream", False))
        if body.get("stream") or len(seen) < 3:
            route.abort("internetdisconnected")  # the stream is blocked, then the link drops once more
        else:
            route.continue_()

    page.route("**/v1/ask", flaky)
    page.goto(corpus_server.url + "/")
    ask(page, "How do solar water kiosks work in Kenya?")
    page.get_by_text("Connection problem, retrying").wait_for()
    wait_for_answer(page)
    assert seen[0] is True and seen[1:] == [False, False]
    assert "kiosk" in page.locator(ANSWER).last.text_content().lower()


def test_after_retries_an_error_with_a_retry_button(new_page, corpus_server):
    page = new_page()
    page.route("**/v1/ask", lambda route: route.abort("internetdisconnected"))
    page.goto(corpus_server.url + "/")
    ask(page, "How do solar water kiosks work in Kenya?")
    retry = page.locator("galaxy-assistant button", has_text="Try again")
    retry.wait_for(timeout=30_000)
    assert "Could not reach the assistant" in page.locator(ANSWER).last.text_content()
    page.unroute("**/v1/ask")
    retry.click()
    wait_for_answer(page)


def test_without_readable_streams_it_asks_for_json(new_page, corpus_server):
    page = new_page()
    page.add_init_script("delete window.ReadableStream")
    asks = []
    page.on("request", lambda r: asks.append(r.post_data_json) if r.url.endswith("/v1/ask") else None)
    page.goto(corpus_server.url + "/")
    ask(page, "How do solar water kiosks work in Kenya?")
    wait_for_answer(page)
    assert asks and all("stream" not in body for body in asks)


def test_keyboard_only_use(new_page, corpus_server):
    page = new_page()
    page.goto(corpus_server.url + "/")
    page.locator(LAUNCHER).wait_for()
    launcher_focused = "() => document.activeElement?.shadowRoot?.activeElement?.classList.contains('l') === true"
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate(launcher_focused):
            break
    assert page.evaluate(launcher_focused), "the launcher is not reachable with Tab"
    assert page.locator(LAUNCHER).get_attribute("aria-label")

    page.keyboard.press("Enter")
    panel = page.locator(PANEL)
    assert panel.is_visible()
    assert panel.get_attribute("aria-label") == "Galaxy Assistant" and panel.get_attribute("aria-modal") == "true"
    assert page.locator("galaxy-assistant [aria-live]").get_attribute("aria-live") == "polite"
    assert shadow(page, "root.activeElement && root.activeElement.tagName") == "TEXTAREA"
    for _ in range(6):  # focus stays inside the modal dialog
        page.keyboard.press("Tab")
        assert shadow(page, "root.activeElement !== null")

    page.keyboard.press("Escape")
    assert not panel.is_visible()
    assert page.evaluate(launcher_focused)


def test_new_conversation_forgets_the_session(new_page, corpus_server):
    page = new_page()
    page.goto(corpus_server.url + "/")
    ask(page, "How do solar water kiosks work in Kenya?")
    wait_for_answer(page)
    stored = "() => Object.keys(localStorage).filter(k => k.startsWith('galaxy-session')).length"
    assert page.evaluate(stored) == 1
    page.locator("galaxy-assistant button", has_text="New conversation").click()
    assert page.evaluate(stored) == 0
    assert page.locator("galaxy-assistant .m.u").count() == 0


def test_arabic_page_is_right_to_left(new_page, corpus_server):
    page = new_page(viewport={"width": 1280, "height": 800})
    page.goto(corpus_server.url + "/?lang=ar")
    assert page.locator(LAUNCHER).get_attribute("aria-label") == "افتح المساعد"
    page.locator(LAUNCHER).click()
    panel = page.locator(PANEL)
    assert panel.get_attribute("dir") == "rtl" and panel.get_attribute("lang") == "ar"
    assert panel.bounding_box()["x"] < 640  # the panel opens on the left, the reading start


def test_french_interface_from_the_data_attribute(new_page, corpus_server):
    page = new_page()
    page.goto(corpus_server.url + "/?lang=fr")
    page.locator(LAUNCHER).click()
    assert page.locator(INPUT).get_attribute("placeholder").startswith("Posez votre question")
    assert page.locator(PANEL).get_attribute("dir") == "ltr"


def test_host_page_styles_do_not_leak_in(new_page, corpus_server):
    page = new_page(bypass_csp=True)  # the demo page's CSP would block the hostile inline style
    page.goto(corpus_server.url + "/")
    page.add_style_tag(
        content="button, div, textarea { display: none !important; color: red !important; }"
        " * { font-size: 40px !important; }"
    )
    page.locator(LAUNCHER).click()
    assert page.locator(PANEL).is_visible() and page.locator(INPUT).is_visible()
    assert page.locator(INPUT).evaluate("e => getComputedStyle(e).fontSize") == "16px"


# -- the seeker's side of the loop: Connect me, a comment with 👎, saved needs ------------------------------------
def test_connect_me_sends_the_need_and_only_a_consented_contact(new_page, corpus_server):
    page = new_page(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    sent = []
    page.on("request", lambda r: sent.append(r) if "/v1/" in r.url else None)
    page.goto(corpus_server.url + "/")
    ask(page, "solar water kiosks in Kenya")
    wait_for_answer(page)
    page.locator("galaxy-assistant button", has_text="Connect me").click()
    form = page.locator("galaxy-assistant form.c")
    form.locator("textarea").fill("We want kiosks like these in our district.")
    form.locator("input[autocomplete=email]").fill("amina@example.org")
    page.screenshot(path="/tmp/widget-connect.png")
    form.locator("button[type=submit]").click()
    page.get_by_text("Tick the box to share your contact").wait_for()  # no contact without consent
    form.locator("input[type=checkbox]").check()
    form.locator("button[type=submit]").click()
    page.get_by_text("The Galaxy team has your request").wait_for()

    intro = corpus_server.services.introductions.list()[0]
    assert (intro.need, intro.contact, intro.consent, intro.channel) == (
        "We want kiosks like these in our district.",
        "amina@example.org",
        True,
        "widget",
    )
    assert sent and all(r.headers.get("x-galaxy-client") == "widget" for r in sent)


def test_a_thumbs_down_carries_an_optional_comment(new_page, corpus_server):
    page = new_page()
    page.goto(corpus_server.url + "/")
    ask(page, "fog catchers for drinking water in Peru")
    wait_for_answer(page)
    page.locator("galaxy-assistant button[aria-label='Not helpful']").click()
    page.locator("galaxy-assistant form.c input").fill("It does not say what it costs.")
    page.locator("galaxy-assistant form.c button[type=submit]").click()
    page.get_by_text("Thanks for your feedback!").wait_for()
    stored = corpus_server.services.feedback.list(limit=1)[0]
    assert (stored.rating, stored.comment, stored.source) == ("down", "It does not say what it costs.", "widget")


def test_a_saved_need_shows_the_new_solution_when_the_widget_opens_again(new_page, corpus_server):
    services = corpus_server.services
    page = new_page()
    page.goto(corpus_server.url + "/")
    ask(page, "beekeeping for honey income in Ethiopia")
    wait_for_answer(page)
    page.locator("galaxy-assistant button", has_text="Tell me when a solution appears").click()
    page.get_by_text("Saved.").wait_for()
    (token,) = page.evaluate(
        "() => JSON.parse(Object.entries(localStorage).find(([k]) => k.startsWith('galaxy-needs'))[1])"
    )
    assert services.needs.get(token)[0].channel == "widget"

    before = set(services.retriever.documents)
    title = "Beekeeping cooperatives that raise honey income in Tigray"
    submission = services.submissions.submit(
        {
            "title": title,
            "countries": ["Ethiopia"],
            "summary": "Women's beekeeping cooperatives in Ethiopia use modern hives and shared honey processing "
            "to double household income from honey sales.",
        },
        source="api",
    )
    services.approve_submission(submission.id)
    try:
        page.reload()
        page.locator(LAUNCHER).click()
        page.locator("galaxy-assistant li", has_text=title).wait_for()  # a submission without a url: no link
        page.locator("galaxy-assistant button", has_text="Stop alerts").click()
        page.locator("galaxy-assistant button", has_text="Stop alerts").wait_for(state="detached")
        assert services.needs.get(token)[0].status == "closed"
    finally:
        services.delete_documents(list(set(services.retriever.documents) - before))


def test_an_arabic_exchange_reads_right_to_left_and_an_english_one_left_to_right(new_page, corpus_server):
    page = new_page(viewport={"width": 390, "height": 800})
    page.goto(corpus_server.url + "/")
    ask(page, "ما هي حلول المياه في كينيا؟")
    wait_for_answer(page)
    direction = "(m) => getComputedStyle(m).direction"
    last = "root.querySelectorAll('.m.a')[root.querySelectorAll('.m.a').length - 1]"
    assert shadow(page, f"({direction})({last})") == "rtl"
    assert shadow(page, f"({direction})(root.querySelector('.m.u'))") == "rtl"
    assert "كينيا" in page.locator(ANSWER).last.text_content()
    page.locator(INPUT).fill("How do solar water kiosks work?")
    page.locator(INPUT).press("Enter")
    page.wait_for_function(
        "() => document.querySelector('galaxy-assistant').shadowRoot.querySelectorAll('button[aria-label=Helpful]')"
        ".length >= 2"
    )
    assert shadow(page, f"({direction})({last})") == "ltr"
