"""A data directory on a full or read-only disk, at start: a clear error naming the path, never a traceback.

Real file systems, not mocks: each case mounts a small tmpfs (so the test needs root, as in CI, and skips
cleanly where mounting is not allowed). Running as root, chmod cannot make a folder read-only; a read-only
mount can.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.cli.test_cli import galaxy


@pytest.fixture
def tmpfs(tmp_path):
    mounted: list[Path] = []

    def mount(name: str, size: str, *options: str) -> Path:
        point = tmp_path / name
        point.mkdir()
        opts = ",".join((f"size={size}", *options))
        result = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(point)], capture_output=True, text=True
        )
        if result.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip()}")
        mounted.append(point)
        return point

    yield mount
    for point in reversed(mounted):
        subprocess.run(["umount", "-l", str(point)], capture_output=True)


def fill(folder: Path) -> None:
    """Write until the file system refuses: no byte left."""
    fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        while os.write(fd, b"\0" * 4096):
            pass
    except OSError:
        pass
    finally:
        os.close(fd)


def assert_clear_error(result: subprocess.CompletedProcess, data_dir: Path, reason: str) -> None:
    assert result.returncode == 2, result.stderr
    assert f"The data directory {data_dir} cannot be used" in result.stderr
    assert reason in result.stderr.lower()
    assert "Traceback" not in result.stderr and "╭" not in result.stderr  # neither plain nor rich tracebacks


def test_read_only_mount_at_start(tmpfs):
    data_dir = tmpfs("ro", "1m", "ro") / "data"
    for command in (["serve", "--port", "0"], ["ingest", "corpus"]):
        assert_clear_error(galaxy(data_dir, *command), data_dir, "read-only file system")


def test_index_on_a_disk_remounted_read_only(tmpfs, small_corpus):
    """The usual way a disk goes read-only: the index was built, then the kernel remounted it after an error."""
    point = tmpfs("remounted", "64m")
    data_dir = point / "data"
    built = galaxy(data_dir, "ingest", str(small_corpus))
    assert built.returncode == 0, built.stderr
    subprocess.run(["mount", "-o", "remount,ro", str(point)], check=True)
    for command in (["serve", "--port", "0"], ["ingest", str(small_corpus)]):
        assert_clear_error(galaxy(data_dir, *command), data_dir, "read-only file system")


def test_disk_already_full_at_start(tmpfs):
    point = tmpfs("full", "64k")
    fill(point)
    data_dir = point / "data"
    assert_clear_error(galaxy(data_dir, "ingest", "corpus"), data_dir, "no space left on device")


def test_disk_filling_up_during_the_first_ingest(tmpfs):
    """Room for the folder but not for the databases: SQLite's and Chroma's own errors are recognised too."""
    data_dir = tmpfs("small", "256k") / "data"
    assert_clear_error(galaxy(data_dir, "ingest", "corpus"), data_dir, "disk is full")
