"""GET and DELETE /v1/admin/documents: behind the admin key, an unknown id is a 404, a deletion leaves search."""

from __future__ import annotations

import httpx

from assistant.container import build_services
from tests.api.conftest import serve, with_api


def test_admin_lists_and_deletes_documents(settings, small_corpus):
    base = build_services(settings)
    assert base.kb.ingestor.ingest([small_corpus], progress=False).ok
    base.refresh()
    services = with_api(base, admin_key="admin-secret", rate_limit_per_minute=0)
    admin = {"X-API-Key": "admin-secret"}
    with serve(services) as server, httpx.Client(base_url=server.url, timeout=60) as http:
        assert http.get("/v1/admin/documents").status_code == 403
        assert http.delete("/v1/admin/documents/sol-bfa-zai", headers={"X-API-Key": "nope"}).status_code == 403
        ids = {d["id"] for d in http.get("/v1/admin/documents", headers=admin).json()["documents"]}
        assert ids == {"sol-ken-water-kiosks", "sol-sen-fish-ovens", "sol-bfa-zai"}

        assert http.delete("/v1/admin/documents/sol-bfa-zai", headers=admin).status_code == 200
        missing = http.delete("/v1/admin/documents/sol-bfa-zai", headers=admin)
        assert missing.status_code == 404 and missing.json()["detail"]
        hits = http.post("/v1/search", json={"query": "techniques zaï sols compost", "k": 10}).json()["hits"]
        assert "sol-bfa-zai" not in {h["doc_id"] for h in hits}
        ids = {d["id"] for d in http.get("/v1/admin/documents", headers=admin).json()["documents"]}
        assert ids == {"sol-ken-water-kiosks", "sol-sen-fish-ovens"}
    base.close()
