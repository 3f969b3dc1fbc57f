"""`ponder backup FILE`: the whole database in one file, consistent even while Ponder serves.

The file is always an SQLite database with Ponder's schema, whatever the database is:

- on SQLite, it is made with SQLite's online backup API, which copies the pages of one snapshot
  while other processes go on reading and writing;
- on PostgreSQL, the rows are copied into a fresh SQLite file inside one `REPEATABLE READ READ
  ONLY` transaction, so every table is read from the same snapshot.

Why not `pg_dump -Fc`: its archive restores only into PostgreSQL, and only with a `pg_restore` at
least as new as the server, which a machine running Ponder may not have. One format means one
restore path to test, a backup that moves between SQLite and PostgreSQL in both directions, and a
file anyone can open with `sqlite3` to look inside. `ponder restore` loads it (restore.py).
"""

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.apps import apps
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.migrations.executor import MigrationExecutor

# `PRAGMA application_id` of a Ponder backup ("Pond"), so restore can tell one from any SQLite file.
APPLICATION_ID = 0x506F6E64
BACKUP_ALIAS = "ponder_backup"
CHUNK = 2000


def tables_in_order() -> list[type[models.Model]]:
    """Every table Django manages, each after the tables its foreign keys point to."""
    wanted = [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    ]
    ordered: list[type[models.Model]] = []
    seen: set[type[models.Model]] = set()

    def visit(model: type[models.Model]) -> None:
        if model in seen:
            return
        seen.add(model)
        for field in model._meta.concrete_fields:
            target = field.related_model
            if target is not None and target is not model and target in wanted:
                visit(target)  # type: ignore[arg-type]
        ordered.append(model)

    for model in sorted(wanted, key=lambda m: m._meta.label):
        visit(model)
    return ordered


def row_counts(alias: str) -> dict[str, int]:
    """Rows per table, by table name."""
    existing = set(connections[alias].introspection.table_names())
    return {
        model._meta.db_table: model._base_manager.using(alias).count()
        for model in tables_in_order()
        if model._meta.db_table in existing
    }


@contextmanager
def sqlite_alias(path: Path, alias: str = BACKUP_ALIAS) -> Iterator[str]:
    """An extra database connection to an SQLite file, for the ORM to copy rows to or from."""
    configured = connections.configure_settings(
        {
            DEFAULT_DB_ALIAS: connections.databases[DEFAULT_DB_ALIAS],
            alias: {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path)},
        }
    )
    connections.databases[alias] = configured[alias]
    try:
        yield alias
    finally:
        connections[alias].close()
        del connections[alias]
        del connections.databases[alias]


def unapplied_migrations(alias: str) -> list[str]:
    executor = MigrationExecutor(connections[alias])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _ in plan]


def copy_rows(source: str, target: str) -> dict[str, int]:
    """Copy every row of every table from one database to another with the same schema.

    The ORM converts each value between the engines (booleans, times, JSON); ids are kept, so
    every foreign key still points where it did. The target's sequences are set past the ids."""
    copied: dict[str, int] = {}
    ordered = tables_in_order()
    for model in ordered:
        manager = model._base_manager
        batch: list[models.Model] = []
        count = 0
        for row in manager.using(source).order_by("pk").iterator(chunk_size=CHUNK):
            batch.append(row)
            if len(batch) == CHUNK:
                manager.using(target).bulk_create(batch)
                count += len(batch)
                batch = []
        if batch:
            manager.using(target).bulk_create(batch)
            count += len(batch)
        copied[model._meta.db_table] = count
    connection = connections[target]
    statements = connection.ops.sequence_reset_sql(no_style(), ordered)
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
    return copied


def _sqlite_backup(path: Path) -> None:
    """SQLite's online backup API: one consistent snapshot, while others keep writing."""
    connection = connections[DEFAULT_DB_ALIAS]
    connection.ensure_connection()
    target = sqlite3.connect(path)
    try:
        connection.connection.backup(target)
        # One self-contained file: no -wal beside it.
        target.execute("PRAGMA journal_mode=DELETE")
    finally:
        target.close()


def _postgresql_backup(path: Path) -> None:
    """Rows of one snapshot copied into a fresh SQLite file with the same schema."""
    pending = unapplied_migrations(DEFAULT_DB_ALIAS)
    if pending:
        raise CommandError(
            f"The database lacks {len(pending)} migration(s) of this Ponder version "
            f"({pending[0]}, ...). Run `ponder migrate` first, then back up."
        )
    with sqlite_alias(path) as alias:
        call_command("migrate", database=alias, interactive=False, verbosity=0)
        target = connections[alias]
        with target.cursor() as cursor:
            # The migration filled these in; the copy brings the source's own, with their ids.
            for model in ("auth_permission", "django_content_type"):
                cursor.execute(f"DELETE FROM {model}")  # noqa: S608 - fixed table names  # nosec B608
        with (
            transaction.atomic(using=DEFAULT_DB_ALIAS),
            transaction.atomic(using=alias),
        ):
            with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            copy_rows(DEFAULT_DB_ALIAS, alias)


def check_backup_file(path: Path) -> None:
    """Raise CommandError unless the file is a readable, intact Ponder backup."""
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            (application_id,) = db.execute("PRAGMA application_id").fetchone()
            if application_id != APPLICATION_ID:
                raise CommandError(f"{path} is not a Ponder backup (made by `ponder backup`).")
            (result,) = db.execute("PRAGMA integrity_check").fetchone()
    except sqlite3.DatabaseError as error:
        raise CommandError(f"{path} is not a Ponder backup: {error}.") from error
    if result != "ok":
        raise CommandError(f"{path} is damaged (SQLite integrity check: {result}).")


class Command(BaseCommand):
    help = (
        "Write the whole database (SQLite or PostgreSQL) to one file, consistently, while Ponder "
        "keeps serving. The file is an SQLite database; `ponder restore FILE` loads it into an "
        "empty SQLite or PostgreSQL database."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", type=Path, help="the backup file to write")
        parser.add_argument(
            "--force", action="store_true", help="replace the file if it exists already"
        )

    def handle(self, *args: Any, file: Path, force: bool, **options: Any) -> None:
        started = time.perf_counter()
        path = file.expanduser().resolve()
        if path.exists() and not force:
            raise CommandError(f"{path} exists already. Choose a new name, or add --force.")
        if not path.parent.is_dir():
            raise CommandError(f"The folder {path.parent} does not exist.")
        vendor = connections[DEFAULT_DB_ALIAS].vendor
        if vendor not in {"sqlite", "postgresql"}:
            raise CommandError(f"Ponder backs up SQLite and PostgreSQL, not {vendor}.")
        # Written beside the target and renamed at the end: a failed backup never leaves a
        # half-written file under the name of a good one.
        partial = path.with_name(f".{path.name}.partial")
        partial.unlink(missing_ok=True)
        try:
            if vendor == "sqlite":
                _sqlite_backup(partial)
            else:
                _postgresql_backup(partial)
            with sqlite3.connect(partial) as db:
                db.execute(f"PRAGMA application_id={APPLICATION_ID}")
            db.close()
            check_backup_file(partial)
            os.replace(partial, path)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        with sqlite_alias(path) as alias:
            counts = row_counts(alias)
        summary = ", ".join(
            f"{counts.get(table, 0)} {label}"
            for table, label in (
                ("questions_question", "questions"),
                ("questions_idea", "ideas"),
                ("questions_argument", "arguments"),
                ("questions_vote", "votes"),
                ("questions_comment", "comments"),
            )
        )
        size = path.stat().st_size / 1e6
        seconds = time.perf_counter() - started
        self.stdout.write(
            f"Backed up the {vendor} database to {path} ({size:.1f} MB, {summary}) "
            f"in {seconds:.1f} s."
        )
