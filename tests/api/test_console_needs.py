"""The console's saved-needs page: recent needs with their matches, behind the sign-in, never a chat id."""

from __future__ import annotations

import numpy as np

from assistant.community.needs import NewDocument
from assistant.knowledge.documents import KnowledgeDocument
from tests.api.test_console import console, http, signed_in  # noqa: F401 - fixtures

CHAT_ID = 987654321012


def test_saved_needs_page_lists_needs_and_matches_only_when_signed_in(console, http):  # noqa: F811
    needs = console.services.needs
    seeker = needs.save(
        session_id="tg-console-needs",
        question="Beekeeping cooperatives for honey in Ethiopia",
        channel="telegram",
        chat_id=CHAT_ID,
        language="en",
    )
    vector = np.asarray(needs.embed(seeker.question), dtype=np.float32)
    doc = KnowledgeDocument(id="sol-console-bees", title="Hive cooperatives of Tigray", countries=["ETH"])
    (match,) = [
        m for m in needs.match([NewDocument(doc, (vector / np.linalg.norm(vector))[None, :])]) if m.need_id == seeker.id
    ]
    other = needs.save(session_id="s-console-needs", question="Tele-dentistry for rural Bolivia", channel="api")
    needs.unsubscribe(other.token)

    refused = http.get("/admin/needs")
    assert refused.status_code == 303 and refused.headers["location"] == "/admin/login"

    with signed_in(console) as client:
        page = client.get("/admin/needs")
        assert page.status_code == 200
        html = page.text
        assert 'href="/admin/needs" aria-current="page">Saved needs</a>' in html
        assert "Beekeeping cooperatives for honey in Ethiopia" in html and "ETH" in html and "telegram" in html
        assert "Hive cooperatives of Tigray" in html and "pending" in html
        assert "Tele-dentistry for rural Bolivia" in html and "closed" in html
        needs.mark_sent([match.id])
        assert ">sent</span>" in client.get("/admin/needs").text
        # No contact beyond the channel: neither the chat nor the need's unsubscribe token.
        assert str(CHAT_ID) not in html and seeker.token not in html and seeker.session_id not in html
