"""The `galaxy` command line. Each command parses, calls one service, and prints the result."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from assistant.errors import GalaxyError
from assistant.knowledge.loaders import FORMATS
from assistant.settings import Settings, load_settings
from cli.console_commands import register as register_console_commands

if TYPE_CHECKING:
    from assistant.knowledge.ingest import IngestSummary

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Galaxy Assistant: South-South solutions, answered.")
log = logging.getLogger("galaxy")


def _settings() -> Settings:
    settings = load_settings()
    logging.basicConfig(
        level=getattr(logging, settings.log_level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("chromadb", "httpx", "urllib3", "opentelemetry", "bm25s"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    from assistant.logsafe import install_log_redaction

    install_log_redaction(settings)
    return settings


def _fail(exc: GalaxyError) -> None:
    typer.echo(f"error: {exc.user_message}", err=True)
    raise typer.Exit(2)


def _print_table(rows: list[tuple[str, object]], title: str) -> None:
    width = max((len(k) for k, _ in rows), default=0)
    typer.echo(title)
    for key, value in rows:
        typer.echo(f"  {key.ljust(width)}  {value}")


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to ingest.")],
    format: Annotated[str, typer.Option("--format", "-f", help=f"One of: {', '.join(FORMATS)}.")] = "auto",
    prune: Annotated[bool, typer.Option(help="Remove documents whose source disappeared from these paths.")] = False,
    rebuild: Annotated[bool, typer.Option(help="Drop the whole index first (after changing embedding model).")] = False,
    if_missing: Annotated[
        bool, typer.Option("--if-missing", help="Do nothing when the index already holds documents.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    map_: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            metavar="FIELD=COLUMN",
            help="Read spreadsheet column COLUMN as FIELD (title, summary, body, countries, sdgs, id, themes, "
            "provider, url, language...); repeatable. Fields left out are guessed from the header; columns no "
            "field reads are kept as extra metadata.",
        ),
    ] = None,
    mapping: Annotated[
        Path | None,
        typer.Option("--mapping", metavar="FILE.yaml", help="A saved column mapping (field: column); --map wins."),
    ] = None,
    encoding: Annotated[
        str | None,
        typer.Option(help="Text encoding of CSV files (e.g. cp1252). Default: UTF-8, else detected and reported."),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Show how each file's first rows would be read, with warnings; writes nothing. Exits 0 even with "
            "warnings, 1 only when a file cannot be read.",
        ),
    ] = False,
    no_backfill: Annotated[
        bool,
        typer.Option(
            "--no-backfill",
            help="After a fast first ingest (searchable by the fast encoder), leave e5's vectors to a running "
            "server or `galaxy backfill` instead of computing them now.",
        ),
    ] = False,
) -> None:
    """Load, chunk, embed and store documents; unchanged documents cost nothing."""
    if format not in FORMATS:
        typer.echo(f"error: unknown format '{format}'; choose one of {', '.join(FORMATS)}", err=True)
        raise typer.Exit(2)
    settings = _settings()
    from cli.spreadsheets import curator_options, dry_run_ingest

    csv_mapping = curator_options(map_ or [], mapping, encoding)
    if dry_run:
        dry_run_ingest(list(paths), format, csv_mapping, encoding, as_json)
        return
    from assistant.container import build_database, build_knowledge_base
    from assistant.knowledge.store import drop_index

    try:
        database = build_database(settings)
        if rebuild:
            drop_index(settings, database)
        kb = build_knowledge_base(settings, database)
        if if_missing and kb.store.count_chunks() > 0:
            typer.echo(f"index present ({kb.store.count_chunks()} chunks in {settings.data_dir}); nothing to do")
            return
        summary = kb.ingestor.ingest(
            list(paths),
            fmt=format,
            prune=prune,
            on_failure=None if as_json else lambda p, r: typer.echo(f"failed {p}: {r}", err=True),
            csv_mapping=csv_mapping,
            encoding=encoding,
        )
    except GalaxyError as exc:
        _fail(exc)
        return
    if as_json:
        typer.echo(json.dumps(summary.as_dict(), indent=2))
    else:
        _print_ingest_summary(summary)
    if summary.deferred and not no_backfill:
        try:
            _backfill(kb, quiet=as_json)
        except GalaxyError as exc:  # searchable already; the vectors wait for `galaxy backfill` or a server
            _fail(exc)
    if not summary.ok:
        raise typer.Exit(1)


def _backfill(kb, quiet: bool = False) -> None:
    """Compute the e5 vectors a fast first ingest left, with a bar on a terminal; an interruption loses nothing."""
    pending = kb.store.primary_pending()
    if not pending:
        return
    if not quiet:
        typer.echo(
            f"searchable now (by the fast encoder); computing e5 vectors for {pending} chunks. Interrupting is "
            "safe: `galaxy backfill` or a running server resumes.",
            err=True,
        )
    bar = None
    if sys.stderr.isatty() and not quiet:
        from tqdm import tqdm

        bar = tqdm(total=pending, unit="chunk", desc="e5 vectors", file=sys.stderr)

    def advance(done: int, total: int) -> None:
        if bar is not None:
            bar.total = total
            bar.update(done - bar.n)

    try:
        summary = kb.backfill().run(on_progress=advance)
    finally:
        if bar is not None:
            bar.close()
    if quiet:
        return
    if not summary.ran:
        typer.echo(f"another process is computing the e5 vectors ({summary.remaining} chunks left)", err=True)
    else:
        typer.echo(f"e5 vectors: {summary.embedded} chunks in {summary.seconds:.1f} s; searched by both encoders")


@app.command()
def backfill(as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False) -> None:
    """Compute the e5 vectors a fast first ingest (or an interrupted backfill) left; resumable."""
    settings = _settings()
    from assistant.container import build_knowledge_base

    try:
        kb = build_knowledge_base(settings)
        if as_json:
            typer.echo(json.dumps(kb.backfill().run().as_dict(), indent=2))
            return
        if not kb.store.primary_pending():
            typer.echo("no chunk is waiting for its e5 vector")
            return
        _backfill(kb)
    except GalaxyError as exc:
        _fail(exc)


def _print_ingest_summary(summary: IngestSummary) -> None:
    _print_table(
        [
            ("added", summary.added),
            ("updated", summary.updated),
            ("unchanged", summary.unchanged),
            ("failed", summary.failed),
            ("pruned", summary.pruned),
            ("chunks written", summary.chunks),
            ("e5 vectors deferred", summary.deferred),
            ("seconds", f"{summary.seconds:.2f}"),
        ],
        "ingest summary",
    )
    if summary.recovered:
        typer.echo(f"  (recovered {summary.recovered} documents left by an interrupted run)")


@app.command()
def stats(as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False) -> None:
    """Documents and chunks by kind, language, country and SDG."""
    settings = _settings()
    from assistant.container import build_knowledge_base
    from assistant.stats import collect_stats

    try:
        data = collect_stats(build_knowledge_base(settings))
    except GalaxyError as exc:
        _fail(exc)
        return
    if as_json:
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    _print_table(
        [
            ("documents", data["documents"]),
            ("chunks", data["chunks"]),
            ("generation", data["generation"]),
            ("embedding model", data["embedding_model"]),
            ("e5 vectors pending", _pending_note(data["primary_pending"])),
        ],
        "knowledge base",
    )
    _print_table(
        [(k, f"{v['documents']} documents, {v['chunks']} chunks") for k, v in data["by_kind"].items()], "by kind"
    )
    _print_table(list(data["by_language"].items()), "by language")
    _print_table(list(data["by_country"].items())[:20], "by country (top 20)")
    _print_table([(f"SDG {k}", v) for k, v in data["by_sdg"].items()], "by SDG")


def _pending_note(pending: int) -> str:
    if not pending:
        return "0"
    return f"{pending} (searched by the fast encoder alone until they are computed: `galaxy backfill` or a server)"


def _services():
    settings = _settings()
    from assistant.container import build_services

    return build_services(settings)


def _retriever():
    """Only the knowledge base and the retriever: a one-shot search needs no answer engine, LLM or stores. The
    snapshot saved by the last search or server over this data directory, while it is current, spares reading
    the store (and importing llama-index and chromadb)."""
    settings = _settings()
    from assistant.retrieval.saved import open_saved_retriever

    saved = open_saved_retriever(settings)
    if saved is not None:
        return saved
    from assistant.container import build_knowledge_base, build_retriever
    from assistant.knowledge.store import data_dir_guard

    kb = build_knowledge_base(settings)
    with data_dir_guard(settings.data_dir):
        return build_retriever(kb)


def _filters(country: list[str], sdg: list[int], region: str | None, kind: list[str], language: str | None):
    from assistant.retrieval.retriever import Filters
    from assistant.text.geo import country_code

    codes = []
    for value in country:
        code = country_code(value)
        if code is None:
            typer.echo(f"error: unknown country '{value}'", err=True)
            raise typer.Exit(2)
        codes.append(code)
    bad = [k for k in kind if k not in ("solution", "organisation", "funding")]
    if bad or any(not 1 <= s <= 17 for s in sdg):
        typer.echo("error: --kind takes solution/organisation/funding and --sdg a number from 1 to 17", err=True)
        raise typer.Exit(2)
    return Filters(countries=codes, sdgs=list(sdg), region=region, kinds=list(kind), language=language)


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    k: Annotated[int, typer.Option("--k", min=1, max=50, help="How many results.")] = 10,
    country: Annotated[list[str] | None, typer.Option(help="Only these countries (ISO3 or name); repeatable.")] = None,
    sdg: Annotated[list[int] | None, typer.Option(help="Only these SDGs (1-17); repeatable.")] = None,
    region: Annotated[str | None, typer.Option(help="Only this region, e.g. 'West Africa'.")] = None,
    kind: Annotated[list[str] | None, typer.Option(help="solution, organisation or funding; repeatable.")] = None,
    language: Annotated[str | None, typer.Option(help="Only documents in this language.")] = None,
    open_source: Annotated[
        bool | None, typer.Option("--open-source/--ip-protected", help="Only DIY / open source (or IP protected).")
    ] = None,
    stage: Annotated[str | None, typer.Option(help="Only 'prototype' or 'product' solutions.")] = None,
    min_trl: Annotated[int | None, typer.Option(min=1, max=9, help="Technology Readiness Level at least this.")] = None,
    trains_others: Annotated[
        bool | None, typer.Option("--trains-others", help="Only solutions whose holder can train others.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print {hits: [...]} as JSON.")] = False,
) -> None:
    """Hybrid search over the knowledge base."""
    if stage is not None and stage not in ("prototype", "product"):
        typer.echo("error: --stage takes prototype or product", err=True)
        raise typer.Exit(2)
    try:
        retriever = _retriever()
        filters = _filters(country or [], sdg or [], region, kind or [], language)
        filters.open_source, filters.stage, filters.min_trl = open_source, stage, min_trl
        filters.trains_others = trains_others
        result = retriever.search(query, k=k, filters=filters)
    except GalaxyError as exc:
        _fail(exc)
        return
    if as_json:
        typer.echo(json.dumps({"hits": [h.to_dict() for h in result.hits]}, ensure_ascii=False, indent=2))
        return
    for i, hit in enumerate(result.hits, 1):
        where = ",".join(hit.doc.countries) + (f" ({hit.place_match})" if hit.place_match else "")
        typer.echo(f"{i:>2}. {hit.doc.title}  [{hit.doc.id}; {hit.doc.kind}; {where}]  score {hit.score:.3f}")
        typer.echo(f"    {hit.snippet}")


def _print_answer(answer) -> None:
    typer.echo(answer.text)
    if answer.citations:
        typer.echo("")
        for c in answer.citations:
            typer.echo(f"[{c.n}] {c.title} ({c.doc_id}){' ' + c.url if c.url else ''}")
    if answer.partners:
        typer.echo("")
        for p in answer.partners:
            typer.echo(f"* {p['name']}: {p['reason']}")


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="Your question, in any language.")],
    session: Annotated[str | None, typer.Option("--session", help="Conversation id, to ask follow-ups.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer object as JSON.")] = False,
) -> None:
    """Answer a question with citations (remembers the conversation with --session)."""
    try:
        answer = _services().engine.ask(question, session_id=session)
    except GalaxyError as exc:
        _fail(exc)
        return
    if as_json:
        typer.echo(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
    else:
        _print_answer(answer)


@app.command()
def chat(session: Annotated[str | None, typer.Option("--session", help="Conversation id to resume.")] = None) -> None:
    """Interactive conversation with memory; an empty line or Ctrl-D quits."""
    import uuid

    services = _services()
    session = session or uuid.uuid4().hex[:12]
    typer.echo(f"session {session}: ask anything; empty line to quit")
    while True:
        try:
            question = input("> ").strip()
        except EOFError:
            break
        if not question:
            break
        try:
            _print_answer(services.engine.ask(question, session_id=session))
        except GalaxyError as exc:
            typer.echo(f"error: {exc.user_message}", err=True)
        typer.echo("")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Serve the HTTP API, the chat widget and its demo page."""
    settings = _settings()
    import uvicorn

    # The CLI is the composition root: it builds the services once and hands them to the web edge.
    from api.security import check_rate_limit_storage
    from assistant.container import build_services

    try:
        # A bad or unreachable rate limit Redis: one line now, before anything loads, not tracebacks later.
        check_rate_limit_storage(settings.api)
        services = build_services(settings)
    except GalaxyError as exc:
        _fail(exc)
        return
    try:
        from api.app import create_app
    except ImportError:
        typer.echo("The HTTP API is not installed in this build; knowledge base ready:", err=True)
        stats(as_json=False)
        return
    hook = None
    if settings.telegram.token.get_secret_value() and settings.telegram.webhook_secret.get_secret_value():
        from bots.app import build_bot
        from bots.webhook import TelegramWebhook

        hook = TelegramWebhook(build_bot(services))
    from api.server import server_config

    # Timeouts, the connection cap, and no proxy headers read by uvicorn: the app trusts only
    # GALAXY_API__TRUSTED_PROXIES (api.proxies).
    config = server_config(
        create_app(services, telegram_webhook=hook, watch_index=True),
        settings.api,
        host,
        port,
        log_level=settings.log_level.lower(),
    )
    uvicorn.Server(config).run()


@app.command()
def bot(
    set_webhook: Annotated[
        str | None,
        typer.Option("--set-webhook", help="Register https://HOST/telegram/webhook with Telegram instead of polling."),
    ] = None,
) -> None:
    """Run the Telegram bot (long polling), or register its webhook."""
    settings = _settings()
    from bots.cli import register_webhook, run_bot

    try:
        if set_webhook:
            register_webhook(settings, set_webhook)
        else:
            run_bot(settings)
    except GalaxyError as exc:
        _fail(exc)


@app.command()
def partners(
    need: Annotated[str, typer.Argument(help="What you need, in any language.")],
    country: Annotated[str | None, typer.Option("--country", help="Your country (ISO3 or name).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print {partners: [...], funding: [...]} as JSON.")] = False,
) -> None:
    """Suggest organisations, labs or countries that could help, with reasons and sources."""
    from cli.render import partners_command_output

    try:
        typer.echo(partners_command_output(_services(), need, country, as_json))
    except GalaxyError as exc:
        _fail(exc)


@app.command()
def delete(
    ids: Annotated[list[str], typer.Argument(help="Ids of the documents to remove (see `galaxy list`).")],
) -> None:
    """Remove documents from the knowledge base; running servers stop citing them within seconds."""
    settings = _settings()
    from assistant.container import build_knowledge_base

    try:
        deleted = build_knowledge_base(settings).ingestor.delete(list(ids))
    except GalaxyError as exc:
        _fail(exc)
        return
    typer.echo(f"deleted {len(deleted)} document(s): {', '.join(deleted)}")


@app.command("list")
def list_documents(
    kind: Annotated[str | None, typer.Option(help="Only solution, organisation or funding.")] = None,
    country: Annotated[str | None, typer.Option(help="Only documents about this country (ISO3 or name).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """The documents in the knowledge base, with their ids."""
    settings = _settings()
    from assistant.container import build_knowledge_base
    from assistant.text.geo import country_code

    code = country_code(country) if country else None
    if country and code is None:
        typer.echo(f"error: unknown country '{country}'", err=True)
        raise typer.Exit(2)
    try:
        docs = build_knowledge_base(settings).catalogue_now()
    except GalaxyError as exc:
        _fail(exc)
        return
    rows = [
        d
        for d in sorted(docs.values(), key=lambda d: d.id)
        if (kind is None or d.kind == kind) and (code is None or code in d.countries)
    ]
    if as_json:
        items = [
            {"id": d.id, "title": d.title, "kind": d.kind, "countries": d.countries, "source": d.source} for d in rows
        ]
        typer.echo(json.dumps(items, ensure_ascii=False, indent=2))
        return
    for d in rows:
        typer.echo(f"{d.id}  [{d.kind}; {','.join(d.countries)}]  {d.title}")


submissions_app = typer.Typer(help="Moderate solutions shared through the API or the Telegram bot.")
app.add_typer(submissions_app, name="submissions")
register_console_commands(app)  # galaxy gaps, feedback, introductions


@submissions_app.command("list")
def submissions_list(
    status: Annotated[str, typer.Option(help="pending, approved, rejected or all.")] = "pending",
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """List submissions waiting for moderation (or all of them)."""
    services = _services()
    items = services.submissions.list(None if status == "all" else status)
    if as_json:
        typer.echo(json.dumps([i.to_dict() for i in items], ensure_ascii=False, indent=2))
        return
    if not items:
        typer.echo(f"no {status} submissions")
    for item in items:
        typer.echo(f"{item.id}  [{item.status}; {item.source}; {','.join(item.countries)}]  {item.title}")


@submissions_app.command("approve")
def submissions_approve(submission_id: Annotated[str, typer.Argument(help="Submission id (sub-...).")]) -> None:
    """Publish a submission into the knowledge base (written as Markdown under the data dir, then ingested)."""
    services = _services()
    try:
        summary = services.approve_submission(submission_id)
    except GalaxyError as exc:
        _fail(exc)
        return
    typer.echo(f"approved {submission_id}: {summary.added} added, {summary.updated} updated, {summary.chunks} chunks")


@submissions_app.command("reject")
def submissions_reject(
    submission_id: Annotated[str, typer.Argument(help="Submission id (sub-...).")],
    reason: Annotated[str, typer.Option(help="Why, told to the submitter.")] = "",
) -> None:
    """Drop a submission."""
    services = _services()
    try:
        services.submissions.reject(submission_id, reason)
    except GalaxyError as exc:
        _fail(exc)
        return
    typer.echo(f"rejected {submission_id}")


def main(argv: list[str] | None = None) -> None:
    app(args=argv, prog_name="galaxy")


if __name__ == "__main__":
    main()
