"""Writes the benchmark's generated rows: one COPY per table on PostgreSQL, batched
`executemany` elsewhere (the tests' SQLite); never one save per row."""

from datetime import date, datetime
from decimal import Decimal

from django.db import connection

COPY_BATCH = 5000


class Writer:
    """Writes rows of plain values into a table: COPY on PostgreSQL, executemany elsewhere."""

    def __init__(self, cursor, progress):
        self.cursor = cursor
        self.progress = progress
        self.postgresql = connection.vendor == "postgresql"

    def write(self, model_or_table, columns, rows, label=None, rebuild_indexes=False):
        table = model_or_table if isinstance(model_or_table, str) else model_or_table._meta.db_table
        count = 0
        if self.postgresql:
            sql = f"COPY {connection.ops.quote_name(table)} ({', '.join(columns)}) FROM STDIN"
            rebuild = self._drop_indexes_and_constraints(table) if rebuild_indexes else []
            with self.cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
                    if count % 100_000 == 0:
                        self.progress(label or table, count)
            if rebuild:
                self.progress(f"{label or table}: indexes", 0)
                self.cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
                self._run_pending_checks()
                for statement in rebuild:
                    self.cursor.execute(statement)
        else:
            placeholders = ", ".join(["%s"] * len(columns))
            # Table and column names come from the models above, never from input. A bare nosec:
            # bandit warns about `nosec B608` on any f-string (PyCQA/bandit#1204).
            sql = f"INSERT INTO {connection.ops.quote_name(table)} ({', '.join(columns)}) VALUES ({placeholders})"  # noqa: S608  # nosec
            batch = []
            for row in rows:
                batch.append([self._adapt(value) for value in row])
                count += 1
                if len(batch) == COPY_BATCH:
                    self.cursor.executemany(sql, batch)
                    batch = []
            if batch:
                self.cursor.executemany(sql, batch)
        self.progress(label or table, count, done=True)
        return count

    def _run_pending_checks(self):
        """PostgreSQL alters no table with deferred checks pending (e.g. the foreign keys of rows
        copied earlier in this transaction): run those checks now, then defer again."""
        self.cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        self.cursor.execute("SET CONSTRAINTS ALL DEFERRED")

    def _drop_indexes_and_constraints(self, table):
        """Drop `table`'s indexes and constraints except its primary and foreign keys; return the
        statements that recreate them. Building an index once over a million rows is several times
        faster than maintaining it row by row during the COPY. Everything happens in the
        generator's transaction, so no other session ever sees the table without them. (Foreign
        keys stay: adding one back would alter the referenced tables, which PostgreSQL refuses
        while their own deferred checks from this transaction are pending.)"""
        self._run_pending_checks()
        self.cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
            "AND contype NOT IN ('p', 'f')",
            [table],
        )
        constraints = self.cursor.fetchall()
        quoted = connection.ops.quote_name(table)
        drops = [f"ALTER TABLE {quoted} DROP CONSTRAINT {connection.ops.quote_name(name)}" for name, _ in constraints]
        for statement in drops:
            self.cursor.execute(statement)
        # Indexes left after the constraints went (those of unique/exclusion constraints went with them).
        self.cursor.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
            "WHERE indrelid = %s::regclass AND NOT indisprimary",
            [table],
        )
        indexes = self.cursor.fetchall()
        for name, _definition in indexes:
            self.cursor.execute(f"DROP INDEX {name}")
        return [definition for _name, definition in indexes] + [
            f"ALTER TABLE {quoted} ADD CONSTRAINT {connection.ops.quote_name(name)} {definition}"
            for name, definition in constraints
        ]

    @staticmethod
    def _adapt(value):
        if isinstance(value, datetime):
            return connection.ops.adapt_datetimefield_value(value)
        if isinstance(value, date):
            return connection.ops.adapt_datefield_value(value)
        if isinstance(value, Decimal):
            return str(value)
        return value


def next_free_id(model):
    last = model.objects.order_by("-pk").values_list("pk", flat=True).first()
    return (last or 0) + 1
