"""Bulk upserts for PostgreSQL: ``COPY`` into a temporary staging table, then one ``INSERT ... SELECT ... ON CONFLICT``.

Django's ``bulk_create(update_conflicts=True)`` sends one placeholder per value (a page of licence terms is ~6,000),
which psycopg interpolates and PostgreSQL parses on every page, and it cannot return the ids of updated rows, so
the caller selects them again. Here the rows travel as one ``COPY`` stream (psycopg's C writer, no SQL to parse)
and the upsert returns what the caller needs (ids, and whether each row was inserted).

The statement is built from the model's fields, so a column added to the model is covered: columns the caller does
not stage get the field's default (``auto_now``/``auto_now_add``: the time of the call) as one parameter.
PostgreSQL only: callers keep the ORM path for other databases (SQLite, the embedded default, has small data).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from django.db import connection, models, transaction
from django.utils import timezone


def available() -> bool:
    return connection.vendor == "postgresql"


def _columns(model: type[models.Model]) -> list[models.Field]:
    """The columns an INSERT names: not the primary key (an identity), nor what the database computes or fills."""
    return [
        f
        for f in model._meta.concrete_fields
        if not f.primary_key and not getattr(f, "generated", False) and not f.has_db_default()
    ]


def _writer(field: models.Field):
    """How a field's Python value goes into the COPY stream: JSON documents as text (PostgreSQL parses them, as it
    parses what ``JSONField`` sends), with the field's encoder; anything else as psycopg writes it."""
    if not isinstance(field, models.JSONField):
        return None
    encode = (field.encoder or json.JSONEncoder)(ensure_ascii=False).encode
    return lambda value: None if value is None else "[]" if value == [] else encode(value)


def upsert(
    model: type[models.Model],
    rows: Sequence[dict],
    *,
    staged: Sequence[str],
    fixed: dict | None = None,
    conflict: Sequence[str] = (),
    update: Sequence[str] = (),
    returning: Sequence[str] = (),
) -> list[tuple]:
    """Insert ``rows`` (dicts keyed by the field names in ``staged``; foreign keys by ``attname``, e.g.
    ``asset_id``) into ``model``'s table. ``fixed`` are values shared by every row (e.g. the client). On a conflict
    over ``conflict`` the ``update`` fields take the new row's values (none given: the row is left as it is, as
    ``ignore_conflicts`` does). Returns the ``returning`` columns of the rows written, plus ``inserted`` (a bool:
    a new row, not an update) when ``"inserted"`` is asked for."""
    if not rows:
        return []
    fixed = fixed or {}
    now = timezone.now()
    fields = {f.attname: f for f in model._meta.concrete_fields} | {f.name: f for f in model._meta.concrete_fields}
    staged_fields = [fields[name] for name in staged]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    stage = quote(f"stage_{model._meta.db_table}")

    insert_columns, select_terms, params = [], [], []
    staged_columns = {f.column for f in staged_fields}
    for field in _columns(model):
        insert_columns.append(quote(field.column))
        if field.column in staged_columns:
            select_terms.append(f"s.{quote(field.column)}")
            continue
        if field.name in fixed or field.attname in fixed:
            value = fixed.get(field.attname, fixed.get(field.name))
            if isinstance(value, models.Model):
                value = value.pk
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            value = now
        else:
            value = field.get_default()
        select_terms.append(f"%s::{field.db_type(connection)}")
        params.append(field.get_db_prep_save(value, connection))

    # In a transaction, always (the staging table is emptied at each commit); the caller's, if it has one.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        # A temporary table per connection; created again if it is gone (a new connection, or the transaction that
        # created it was rolled back).
        definition = ", ".join(f"{quote(f.column)} {f.db_type(connection)}" for f in staged_fields)
        cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {stage} ({definition}) ON COMMIT DELETE ROWS")
        cursor.execute(f"DELETE FROM {stage}")  # noqa: S608 - a quoted table name; rows of an earlier call
        copy_columns = ", ".join(quote(f.column) for f in staged_fields)
        raw = cursor.cursor  # psycopg's own cursor: Django's wrapper has no COPY
        writers = [(name, _writer(field)) for field, name in zip(staged_fields, staged, strict=True)]
        with raw.copy(f"COPY {stage} ({copy_columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([write(row[name]) if write else row[name] for name, write in writers])
        # Identifiers come from the model's meta (quoted), values travel as parameters or in the COPY stream.
        sql = f"INSERT INTO {table} ({', '.join(insert_columns)}) SELECT {', '.join(select_terms)} FROM {stage} s"  # noqa: S608
        if conflict:
            target = ", ".join(quote(fields[name].column) for name in conflict)
            if update:
                sets = ", ".join(f"{quote(fields[n].column)} = EXCLUDED.{quote(fields[n].column)}" for n in update)
                sql += f" ON CONFLICT ({target}) DO UPDATE SET {sets}"
            else:
                sql += f" ON CONFLICT ({target}) DO NOTHING"
        if returning:
            terms = ["(xmax = 0)" if name == "inserted" else quote(fields[name].column) for name in returning]
            sql += f" RETURNING {', '.join(terms)}"
        cursor.execute(sql, params)
        return list(cursor.fetchall()) if returning else []
