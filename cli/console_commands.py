"""The console's reports for scripts: `galaxy gaps`, `galaxy feedback`, `galaxy introductions`.

Registered on the main app by `register(app)`; each command builds the services, calls one report, prints it.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated

import typer

from assistant.errors import GalaxyError

Since = Annotated[str, typer.Option("--since", metavar="YYYY-MM-DD", help="Only what happened since this day (UTC).")]
AsJson = Annotated[bool, typer.Option("--json", help="Print as JSON.")]


def _services():
    from cli.main import _services as build

    return build()


def _fail(exc: GalaxyError) -> None:
    typer.echo(f"error: {exc.user_message}", err=True)
    raise typer.Exit(2)


def _counts(table: dict[str, int], limit: int = 6) -> str:
    return ", ".join(f"{k} {n}" for k, n in list(table.items())[:limit]) or "-"


def gaps(
    since: Since = "",
    as_json: AsJson = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print one CSV row per question.")] = False,
) -> None:
    """Questions the knowledge base could not answer (nothing exactly, out of scope, 👎), grouped by topic."""
    from assistant.community.gaps import collect_gaps, parse_since, to_csv

    try:
        start = parse_since(since)
        services = _services()
        report = collect_gaps(services, start)
    except GalaxyError as exc:
        _fail(exc)
        return
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    elif as_csv:
        typer.echo(to_csv(report), nl=False)
    else:
        _print_gaps(report)
    services.close()


def _print_gaps(report) -> None:
    typer.echo(f"{report.total} gap questions in {len(report.groups)} topics")
    for dimension, table in report.counts.items():
        typer.echo(f"  by {dimension}: {_counts(table)}")
    for n, group in enumerate(report.groups, 1):
        typer.echo(f"\n{n}. {group.label} ({len(group.questions)})")
        for q in group.questions[:5]:
            typer.echo(f"   - {q.question} [{q.reason}, {q.channel}]")
        if group.offered:
            typer.echo("   closest offered: " + "; ".join(f"{title} x{times}" for _, title, times in group.offered))


def feedback(since: Since = "", as_json: AsJson = False) -> None:
    """👍/👎 per week and channel, and the rated answers with their question, the worst rated first."""
    from assistant.community.gaps import parse_since
    from assistant.community.reports import collect_feedback

    try:
        start = parse_since(since)
        services = _services()
        report = collect_feedback(services, start)
    except GalaxyError as exc:
        _fail(exc)
        return
    services.close()
    if as_json:
        data = {"weeks": report["weeks"], "answers": [asdict(a) | {"score": a.score} for a in report["answers"]]}
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    for row in report["weeks"]:
        typer.echo(f"{row['week']}  {row['channel']:<9} up {row['up']:>4}  down {row['down']:>4}")
    for item in report["answers"]:
        typer.echo(f"\n[{item.score:+d}] {item.question or '(question not found)'}  ({item.channel})")
        for comment in item.comments:
            typer.echo(f"    “{comment}”")


def introductions(
    status: Annotated[
        str | None, typer.Option(help="Only requests with this status: new, contacted, connected or closed.")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Requests to be introduced to a solution's provider or a partner, newest first (contacts included)."""
    services = _services()
    try:
        items = services.introductions.list(status)
    except GalaxyError as exc:
        _fail(exc)
        return
    finally:
        services.close()
    if as_json:
        typer.echo(json.dumps({"introductions": [i.to_dict() for i in items]}, indent=2, ensure_ascii=False))
        return
    for intro in items:
        typer.echo(f"{intro.id}  {intro.status:<9} {intro.target_kind}: {intro.target_name or intro.target_id}")
        typer.echo(f"    need: {intro.need}")
        typer.echo(f"    contact: {intro.contact or '-'}  ({intro.channel})")


def register(app: typer.Typer) -> None:
    app.command("gaps")(gaps)
    app.command("feedback")(feedback)
    app.command("introductions")(introductions)
