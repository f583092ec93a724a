from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from assistant.community.feedback import FeedbackStore
from assistant.community.submissions import SubmissionQueue
from assistant.errors import InvalidInput, NotFound
from tests.conftest import ROOT

GOOD = {
    "title": "Bicycle ambulances for rural clinics",
    "summary": "Trailers pulled by bicycles carry patients.",
    "countries": ["Malawi", "ZMB"],
    "sdgs": ["SDG 3", 10],
    "contact": "ambulance@example.org",
}


def test_submission_is_validated_queued_and_published_once(tmp_path, database):
    queue = SubmissionQueue(database, tmp_path / "published")
    sub = queue.submit(GOOD, source="telegram")
    assert sub.status == "pending" and sub.countries == ["MWI", "ZMB"] and sub.sdgs == [3, 10] and sub.language == "en"
    assert [s.id for s in queue.list()] == [sub.id]
    path = queue.approve(sub.id)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n") and "Bicycle ambulances" in text and "MWI" in text
    assert queue.get(sub.id).status == "approved" and queue.list() == []
    with pytest.raises(InvalidInput):
        queue.approve(sub.id)  # already published
    with pytest.raises(InvalidInput):
        queue.reject(sub.id)
    with pytest.raises(NotFound):
        queue.approve("sub-missing")


@pytest.mark.parametrize(
    "bad, reason",
    [
        ({**GOOD, "title": "abc"}, "title"),
        ({**GOOD, "countries": ["Atlantis"]}, "Atlantis"),
        ({**GOOD, "contact": "call me maybe"}, "contact"),
        ({**GOOD, "url": "javascript:alert(1)"}, "url"),
        ({**GOOD, "summary": "", "body": "short"}, "20 characters"),
        ({**GOOD, "body": "x" * 20001}, "body"),
    ],
)
def test_bad_submissions_are_refused_with_a_reason(tmp_path, database, bad, reason):
    queue = SubmissionQueue(database, tmp_path / "published")
    with pytest.raises(InvalidInput) as info:
        queue.submit(bad)
    assert reason in info.value.user_message
    assert queue.list(None) == []


def test_feedback_is_durable_and_validated(tmp_path):
    from tests.conftest import sqlite_database

    database = sqlite_database(tmp_path / "galaxy.sqlite3")
    store = FeedbackStore(database)
    store.add("s1", "a1", "up", "useful")
    with pytest.raises(InvalidInput):
        store.add("s1", "a1", "sideways")
    store.close()
    database.close()
    database = sqlite_database(tmp_path / "galaxy.sqlite3")  # a restart
    again = FeedbackStore(database)
    assert [(f.answer_id, f.rating, f.comment) for f in again.list()] == [("a1", "up", "useful")]
    database.close()


def test_cli_moderation_publishes_into_the_index(tmp_path, small_corpus):
    env = {**os.environ, "GALAXY_DATA_DIR": str(tmp_path / "data"), "GALAXY_LOG_LEVEL": "WARNING"}

    def galaxy(*args):
        return subprocess.run(
            [sys.executable, "-m", "cli.main", *args], env=env, capture_output=True, text=True, cwd=ROOT, timeout=600
        )

    assert galaxy("ingest", str(small_corpus)).returncode == 0
    from assistant.settings import SQLITE_FILE
    from tests.conftest import sqlite_database

    database = sqlite_database(tmp_path / "data" / SQLITE_FILE)  # the file the CLI opens under its data directory
    queue = SubmissionQueue(database, tmp_path / "data" / "submissions")
    sub = queue.submit(GOOD)
    listed = galaxy("submissions", "list", "--json")
    assert [item["id"] for item in json.loads(listed.stdout)] == [sub.id]
    approved = galaxy("submissions", "approve", sub.id)
    assert approved.returncode == 0 and "1 added" in approved.stdout, approved.stderr
    found = json.loads(galaxy("search", "bicycle ambulance trailers for patients", "--json").stdout)
    assert found["hits"][0]["doc_id"] == sub.id
    again = galaxy("submissions", "approve", sub.id)
    assert again.returncode == 2 and "already approved" in again.stderr
    database.close()


def test_a_failed_publication_leaves_the_submission_pending_and_no_file(tmp_path, database):
    queue = SubmissionQueue(database, tmp_path / "published")
    sub = queue.submit(GOOD, source="api")

    def store_down(path):
        assert path.exists()  # the ingestion sees the whole document...
        raise ConnectionError("chroma went away")

    with pytest.raises(ConnectionError):
        queue.approve(sub.id, publish=store_down)
    assert queue.get(sub.id).status == "pending"  # ...but a failure publishes nothing
    assert list((tmp_path / "published").glob("*.md")) == []
    published = []
    path = queue.approve(sub.id, publish=published.append)
    assert published == [path] and queue.get(sub.id).status == "approved"
