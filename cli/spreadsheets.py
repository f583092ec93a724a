"""`galaxy ingest`'s spreadsheet options: the column mapping from --map / --mapping, and the --dry-run report."""

from __future__ import annotations

import codecs
import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from assistant.errors import GalaxyError

if TYPE_CHECKING:
    from assistant.knowledge.loaders.csv_mapping import CsvMapping
    from assistant.knowledge.loaders.preview import FilePreview


def curator_options(pairs: list[str], mapping_file: Path | None, encoding: str | None) -> CsvMapping | None:
    """The spreadsheet mapping from --map / --mapping (None: guessed per file); exits 2 on a bad one, or on an
    unknown --encoding."""
    from assistant.knowledge.loaders.csv_mapping import curator_mapping

    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            typer.echo(f"error: unknown encoding '{encoding}' (e.g. utf-8, cp1252, latin-1)", err=True)
            raise typer.Exit(2) from None
    if not pairs and mapping_file is None:
        return None
    try:
        return curator_mapping(pairs, mapping_file)
    except GalaxyError as exc:
        typer.echo(f"error: {exc.user_message}", err=True)
        raise typer.Exit(2) from None


def dry_run_ingest(
    paths: list[Path], fmt: str, csv_mapping: CsvMapping | None, encoding: str | None, as_json: bool
) -> None:
    """Print how each file would be read; nothing is written. Exit 1 only when a file cannot be read."""
    from assistant.knowledge.loaders.preview import preview_paths

    previews = preview_paths(paths, fmt, csv_mapping, encoding)
    if as_json:
        typer.echo(json.dumps([asdict(p) for p in previews], indent=2, ensure_ascii=False))
    else:
        for preview in previews:
            _print_preview(preview)
        if not previews:
            typer.echo(f"failed {', '.join(str(p) for p in paths)}: no supported files in it", err=True)
        typer.echo("dry run: nothing was written to the index")
    if not previews or any(p.error for p in previews):
        raise typer.Exit(1)


def _print_preview(preview: FilePreview) -> None:
    head = f"{preview.path} ({preview.format or 'unknown format'}"
    typer.echo(head + (f", {preview.encoding})" if preview.encoding else ")"))
    if preview.error:
        typer.echo(f"  failed: {preview.error}")
        return
    for name, columns in preview.columns.items():
        typer.echo(f"  {name:<12} <- {', '.join(columns)}")
    kind = "row" if preview.format == "xlsx" else "line"
    for row in preview.rows:
        where = f"{kind} {row.line}: " if row.line is not None else ""
        typer.echo(f"  {where}id={row.id} title={row.title!r}")
        typer.echo(f"      countries={','.join(row.countries) or '-'} sdgs={','.join(map(str, row.sdgs)) or '-'}")
        if row.extra:
            typer.echo(f"      extra={json.dumps(row.extra, ensure_ascii=False)}")
    typer.echo(f"  {preview.documents} documents would be loaded")
    for warning in preview.warnings:
        typer.echo(f"  warning: {warning}")
