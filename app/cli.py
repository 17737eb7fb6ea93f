"""The `chitieu` command: migrate, seed, serve, worker, parse, import, keys."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from sqlmodel import Session

from app.auth.cli import keys
from app.config import Settings
from app.db import make_engine
from app.exchange.import_cli import import_file

cli = typer.Typer(
    help="chitieu: targets of resolutions and plans, and where they stand. Settings come from the environment "
    "or a .env file in the current directory, as for the server (DATABASE_URL, ...).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

# The commands that use the database as it is (not `migrate` and `grant`, which make it so; `parse`
# only with --apply, which a missing table answers through `main`). `seed` migrates an empty database.
_NEEDS_SCHEMA = {"seed", "keys", "import", "purge", "serve", "worker"}


def fail(message: str, code: int = 1) -> NoReturn:
    """One or two lines on stderr, and a non-zero exit: what is wrong and what to do."""
    typer.echo(f"chitieu: {message}", err=True)
    raise typer.Exit(code)


def _database_problem(url: str, exc: Exception) -> str:
    """A database error in one line: its first line, without SQLAlchemy's background link."""
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return (
        f"cannot use the database {_safe_url(url)} ({reason}).\n"
        "Set DATABASE_URL (in the environment or .env) to sqlite:///path or postgresql://user@host:5432/db."
    )


@cli.callback()
def _check_database(ctx: typer.Context) -> None:
    """Before a command that uses the database: reachable (else the URL and the reason), migrated (else
    `chitieu migrate`); `seed` migrates an empty database itself."""
    if ctx.invoked_subcommand not in _NEEDS_SCHEMA or "--help" in sys.argv[1:]:
        return
    from pydantic import ValidationError
    from sqlalchemy.exc import SQLAlchemyError

    from app.migrate import schema_state, upgrade

    try:
        settings = Settings()
    except ValidationError as exc:
        fail(
            f"a setting is invalid: {exc.errors()[0]['loc'][0]}: {exc.errors()[0]['msg']}. Fix it in the environment or .env.", 2
        )
    url = settings.database_url
    try:
        state = schema_state(url)
    except (SQLAlchemyError, ImportError) as exc:
        fail(_database_problem(url, exc), 2)
    if state == "empty" and ctx.invoked_subcommand == "seed":
        upgrade(settings.migration_database_url or url)
        typer.echo(f"the database {_safe_url(url)} was empty: migrated it (chitieu migrate)")
    elif state == "empty":
        fail(f"the database {_safe_url(url)} has no tables yet: run `chitieu migrate` (or `chitieu seed`) first.")
    elif state == "behind":
        fail(f"the database {_safe_url(url)} is at an older schema: run `chitieu migrate` first.")
    elif state == "unknown":
        fail(f"the database {_safe_url(url)} has a schema revision this version does not know: is it a newer chitieu's?")


@cli.command()
def migrate(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Brings the database schema up to date (Alembic).

    Uses MIGRATION_DATABASE_URL when set (the tables' owner), else DATABASE_URL; with
    DATABASE_APP_ROLE set (PostgreSQL), then grants that role the API's privileges.
    """
    from app.migrate import upgrade

    settings = Settings()
    url = settings.migration_database_url or settings.database_url
    upgrade(url, revision)
    typer.echo(f"database at revision {revision}: {_safe_url(url)}")
    if settings.database_app_role:
        _grant(url, settings.database_app_role)


@cli.command()
def grant(role: Annotated[str, typer.Argument(help="The PostgreSQL role the API connects as.")]) -> None:
    """Grants ROLE the API's privileges (INSERT/SELECT only on the append-only tables); run as the tables' owner."""
    settings = Settings()
    _grant(settings.migration_database_url or settings.database_url, role)


def _grant(url: str, role: str) -> None:
    from sqlalchemy import create_engine

    from app.dbroles import grant_api_role

    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            tables = grant_api_role(conn, role)
    finally:
        engine.dispose()
    typer.echo(f"granted role {role} the API's privileges on {len(tables)} tables")


@cli.command()
def purge() -> None:
    """Deletes expired idempotency records (workers also do it every IDEMPOTENCY_PURGE_SECONDS)."""
    from app.idempotency.store import purge_expired

    engine = make_engine(Settings())
    try:
        typer.echo(f"deleted {purge_expired(engine)} expired idempotency records")
    finally:
        engine.dispose()


@cli.command()
def seed(
    samples: Annotated[bool, typer.Option("--samples/--no-samples", help="Also load the illustrative sample figures.")] = True,
) -> None:
    """Loads seed_data/ (the Lạng Sơn 2019 plan); safe to run again."""
    from app.seed import seed as run_seed

    settings = Settings()
    engine = make_engine(settings)
    with Session(engine) as session:
        report = run_seed(session, samples=samples)
    created = ", ".join(f"{n} {k}" for k, n in report.created.items())
    typer.echo(
        f"seed loaded into {_safe_url(settings.database_url)} (created: {created}){'' if samples else '; samples left out'}"
    )


@cli.command()
def parse(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A text file (UTF-8) of a resolution or report.")],
    plan: Annotated[str | None, typer.Option(help="With --apply: the code of the plan to add the drafts to.")] = None,
    apply: Annotated[bool, typer.Option(help="Store every draft as a target of --plan.")] = False,
) -> None:
    """Reads a resolution's text into draft targets (and with --apply stores them)."""
    from sqlmodel import select

    from app.common.crud import transaction
    from app.exchange.parse_service import apply_drafts, parse_text
    from app.plans.models import Plan

    result = parse_text(path.read_text(encoding="utf-8"))
    for line in result.lines():
        typer.echo(line)
    for piece in result.unrecognised:
        typer.echo(f"unrecognised: {piece.text!r} ({piece.reason})")
    typer.echo(f"{len(result.drafts)} drafts, {len(result.unrecognised)} unrecognised, {len(result.skipped)} skipped")
    if apply:
        if not plan:
            raise typer.BadParameter("--apply needs --plan CODE")
        with Session(make_engine(Settings()), expire_on_commit=False) as session, transaction(session):
            row = session.exec(select(Plan).where(Plan.code == plan)).first()
            if row is None:
                raise typer.BadParameter(f"no plan with code {plan!r}")
            created = apply_drafts(session=session, plan=row, result=result, accept=None)
        typer.echo(f"created {len(created)} targets in plan {plan}: {', '.join(t.code for t in created)}")


@cli.command()
def worker(
    once: Annotated[bool, typer.Option(help="Deliver what is due now, then exit (else run until SIGINT/SIGTERM).")] = False,
) -> None:
    """Delivers webhooks (and checks overdue reports): claims due deliveries from the database; stateless,
    so several may run on PostgreSQL. `make run` starts one beside the server."""
    import logging
    import signal
    import threading

    from app.webhooks.worker import run

    settings = Settings()
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request is the delivery log's job
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())  # finish the batch in hand, then exit
    engine = make_engine(settings)
    try:
        done = run(engine, settings, stop=stop, once=once)
    finally:
        engine.dispose()
    typer.echo(f"worker stopped after {done} delivery attempts")


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
) -> None:
    """Serves the API with uvicorn (without a Server header), on the database the settings name."""
    import uvicorn

    base = f"http://{host}:{port}"
    typer.echo(
        f"chitieu: serving the database {_safe_url(Settings().database_url)} at {base}/api/v1 (documentation: {base}/docs)"
    )
    uvicorn.run("app.main:create_app", factory=True, host=host, port=port, server_header=False)


def _safe_url(url: str) -> str:
    """The URL to print: its password hidden; a URL that does not parse, as written, quoted."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return repr(url)


# `import` is a Python keyword, so the command is registered by name; it lives beside the importer.
cli.command("import")(import_file)
cli.add_typer(keys, name="keys")


def main() -> None:
    """The `chitieu` command. A database error that the checks before the command did not foresee (a table
    dropped meanwhile, a lost connection) is one line and exit 1, never a traceback."""
    from pydantic import ValidationError
    from sqlalchemy.exc import SQLAlchemyError

    from app.audit.recorder import set_default_actor
    from app.webhooks.status_changes import install as install_status_changes

    set_default_actor("cli")  # audit events of writes made here name the command line
    install_status_changes()  # figures written here (import, seed) tell target.status_changed too
    try:
        cli(standalone_mode=True)
    except ValidationError as exc:  # Settings() in a command: DATABASE_URL, TIMEZONE, ...
        error = exc.errors()[0]
        typer.echo(
            f"chitieu: a setting is invalid: {error['loc'][0]}: {error['msg']}. Fix it in the environment or .env.", err=True
        )
        sys.exit(2)
    except SQLAlchemyError as exc:
        url = Settings().database_url
        if "no such table" in str(exc) or "does not exist" in str(exc):
            typer.echo(f"chitieu: the database {_safe_url(url)} is missing tables: run `chitieu migrate` first.", err=True)
        else:
            typer.echo(f"chitieu: {_database_problem(url, exc)}", err=True)
        sys.exit(1)
