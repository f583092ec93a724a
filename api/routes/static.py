"""GET /widget.js (the embeddable widget) and GET / (its demo page)."""

# No `from __future__ import annotations`: FastAPI reads the route signatures at run time.
import base64
import hashlib
import re
from html import escape
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Header
from fastapi.responses import HTMLResponse, Response

from assistant.text.language import SUPPORTED

STATIC = Path(__file__).parent.parent / "static"
UI_LANGUAGES = SUPPORTED


class Pages:
    """The widget and the demo page, read once; the page's inline style is allowed by hash in its CSP."""

    def __init__(self, public_key: str):
        self.widget = (STATIC / "widget.js").read_bytes()
        self.widget_etag = '"' + hashlib.sha256(self.widget).hexdigest()[:20] + '"'
        self.page = (STATIC / "index.html").read_text(encoding="utf-8")
        self.key_attr = f' data-key="{escape(public_key)}"' if public_key else ""
        styles = re.findall(r"<style>(.*?)</style>", self.page, re.S)
        hashes = " ".join(
            "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'" for s in styles
        )
        self.csp = (
            f"default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self' {hashes}; "
            "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        )

    def demo(self, lang: str | None) -> str:
        lang_attr = f' data-lang="{lang}"' if lang in UI_LANGUAGES else ""
        return self.page.replace("{{lang_attr}}", lang_attr).replace("{{key_attr}}", self.key_attr)


def router(public_key: str) -> APIRouter:
    pages = Pages(public_key)
    routes = APIRouter(include_in_schema=False)

    @routes.get("/widget.js")
    async def widget(if_none_match: Annotated[str | None, Header()] = None) -> Response:
        headers = {
            "Cache-Control": "public, max-age=86400",
            "ETag": pages.widget_etag,
            "Cross-Origin-Resource-Policy": "cross-origin",
        }
        if if_none_match and pages.widget_etag in if_none_match:
            return Response(status_code=304, headers=headers)
        return Response(pages.widget, media_type="text/javascript; charset=utf-8", headers=headers)

    @routes.get("/", response_class=HTMLResponse)
    async def demo(lang: str | None = None) -> HTMLResponse:
        headers = {"Content-Security-Policy": pages.csp, "Referrer-Policy": "no-referrer", "Cache-Control": "no-cache"}
        return HTMLResponse(pages.demo(lang), headers=headers)

    return routes
