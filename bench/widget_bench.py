"""Widget budget: what it costs to load, and how long a weak connection waits for the first words.

Starts `galaxy serve`'s app on a loopback port over the shipped corpus (ingested into a temporary data dir, or
an existing index with --data-dir), then:
  size   widget.js as served: raw and gzipped bytes (budget: <= 12 KB gzipped), and every byte the demo page's
         widget fetches before the first question
  ttft   with Playwright + Debian's Chromium under DevTools throttling (250 kbit/s each way, 300 ms latency):
         from pressing Enter to the first streamed words on screen; median of --runs questions

Usage: python bench/widget_bench.py [--data-dir DIR] [--runs 5] [--screenshot OUT.png] [--json OUT]
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BUDGET_GZIP_BYTES = 12 * 1024
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SLOW_NETWORK = {
    "offline": False,
    "latency": 300,
    "downloadThroughput": 250 * 1024 / 8,
    "uploadThroughput": 250 * 1024 / 8,
}
QUESTIONS = [
    "How do solar water kiosks work in Kenya?",
    "Comment fumer le poisson avec moins de bois ?",
    "¿Cómo se registran tierras con drones?",
    "Que soluções existem para restaurar mangais em Moçambique?",
    "community seed banks for rice farmers",
]
FIRST_WORDS = (
    "() => { const t = [...document.querySelector('galaxy-assistant').shadowRoot"
    ".querySelectorAll('.m.a .t')].pop(); return t && /\\p{L}{3}/u.test(t.textContent); }"
)


def start_server(data_dir: Path):
    import httpx
    import uvicorn

    from api.app import create_app
    from assistant.container import build_services
    from assistant.settings import load_settings

    services = build_services(load_settings(data_dir=data_dir))
    if services.kb.store.count_chunks() == 0:
        print(f"ingesting {ROOT / 'corpus'} into {data_dir} ...", flush=True)
        services.kb.ingestor.ingest([ROOT / "corpus"], progress=False)
        services.refresh()
    # Unlimited rate: the bench asks in a burst from one address.
    settings = services.settings
    api = type(settings.api).model_validate(settings.api.model_dump() | {"rate_limit_per_minute": 0})
    services = dataclasses.replace(services, settings=settings.model_copy(update={"api": api}))
    config = uvicorn.Config(
        create_app(services), host="127.0.0.1", port=0, loop="asyncio", log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    httpx.get(f"{url}/healthz").raise_for_status()
    return server, thread, url


def measure_size(url: str) -> dict:
    import httpx

    raw = httpx.get(f"{url}/widget.js", headers={"Accept-Encoding": "identity"}).content
    served = httpx.get(f"{url}/widget.js", headers={"Accept-Encoding": "gzip"})
    return {
        "raw_bytes": len(raw),
        "gzip_bytes_served": int(served.headers["content-length"]),
        "gzip9_bytes": len(gzip.compress(raw, 9)),
        "budget_bytes": BUDGET_GZIP_BYTES,
    }


def measure_browser(url: str, runs: int, screenshot: Path | None) -> dict:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        loaded_bytes = None
        first_words: list[float] = []
        answers: list[float] = []
        for i in range(runs):
            context = browser.new_context(locale="en-US", viewport={"width": 360, "height": 640})
            page = context.new_page()
            fetched: list = []
            page.on("requestfinished", fetched.append)
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
            cdp.send("Network.emulateNetworkConditions", SLOW_NETWORK)
            page.goto(url + "/")
            page.locator("galaxy-assistant button.l").click()
            page.wait_for_load_state("networkidle")
            if loaded_bytes is None:  # what the widget costs before any question (the page itself excluded)
                loaded_bytes = {
                    r.url.removeprefix(url): r.sizes()["responseBodySize"] + r.sizes()["responseHeadersSize"]
                    for r in fetched
                    if r.url != url + "/"
                }
            box = page.locator("galaxy-assistant textarea")
            box.fill(QUESTIONS[i % len(QUESTIONS)])
            started = time.perf_counter()
            box.press("Enter")
            page.wait_for_function(FIRST_WORDS, timeout=60_000)
            first_words.append(time.perf_counter() - started)
            page.locator("galaxy-assistant button[aria-label=Helpful]").last.wait_for(timeout=60_000)
            answers.append(time.perf_counter() - started)
            if screenshot and i == 0:
                page.screenshot(path=str(screenshot))
            context.close()
        browser.close()
    return {
        "before_first_question": loaded_bytes,
        "throttled_first_words_s": {"median": statistics.median(first_words), "all": first_words},
        "throttled_full_answer_s": {"median": statistics.median(answers), "all": answers},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, help="An index of the corpus to reuse (default: a fresh one).")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--screenshot", type=Path, help="Save the first answer at 360x640 to this PNG.")
    parser.add_argument("--json", type=Path, help="Also write the results here.")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="widget-bench-") as tmp:
        server, thread, url = start_server(args.data_dir or Path(tmp))
        try:
            results = {"size": measure_size(url)}
            size = results["size"]
            verdict = "within" if size["gzip_bytes_served"] <= BUDGET_GZIP_BYTES else "OVER"
            print(
                f"widget.js: {size['raw_bytes']} bytes raw, {size['gzip_bytes_served']} bytes gzipped as served "
                f"({verdict} the {BUDGET_GZIP_BYTES}-byte budget)",
                flush=True,
            )
            if Path(CHROMIUM).exists():
                results.update(measure_browser(url, args.runs, args.screenshot))
                loaded = results["before_first_question"]
                print(
                    f"loaded before the first question: {sum(loaded.values())} bytes "
                    f"({', '.join(f'{k} {v}' for k, v in loaded.items())}; headers included)"
                )
                ttft = results["throttled_first_words_s"]
                full = results["throttled_full_answer_s"]
                print(
                    f"250 kbit/s + 300 ms: first words after {ttft['median']:.2f} s (median of {args.runs}; "
                    f"{', '.join(f'{t:.2f}' for t in ttft['all'])}), full answer after {full['median']:.2f} s"
                )
            else:
                print(f"{CHROMIUM} not found: browser timings skipped (apt-get install -y chromium)")
        finally:
            server.should_exit = True
            thread.join(timeout=10)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
