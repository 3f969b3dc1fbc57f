"""What the statements of `hot` share: table and column names from the models, values prepared
for the database, and rows built into model instances as the ORM builds them (`_instances`).
"""

from functools import cache
from typing import Any

from django.db import connection


def _table(model: type) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _column(model: type, field: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(field).column)


@cache
def _rows_where(model: type, *fields: str) -> str:
    """`SELECT * FROM model WHERE field = %s AND ...`, for `_instances`."""
    where = " AND ".join(f"{_column(model, field)} = %s" for field in fields)
    # Names from the models, values bound: nothing from input is formatted in.
    return f"SELECT * FROM {_table(model)} WHERE {where}"  # noqa: S608  # nosec B608


@cache
def _converters(model: type, field: str) -> tuple[Any, list[Any]]:
    column = model._meta.get_field(field).get_col(model._meta.db_table)
    # As the ORM's compiler does: the backend's converters, then the field's.
    return column, connection.ops.get_db_converters(column) + column.get_db_converters(connection)


def _from_db(model: type, field: str, value: Any) -> Any:
    column, converters = _converters(model, field)
    for convert in converters:
        value = convert(value, column, connection)
    return value


@cache
def _fields(model: type) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The model's concrete fields in the order its __init__ takes them: attnames, columns."""
    fields = model._meta.concrete_fields
    return tuple(f.attname for f in fields), tuple(f.column for f in fields)


# The column names of each statement `_instances` runs: psycopg makes `cursor.description` anew
# for every query (14 us for the reader's 19 columns; a vote reads 19 and then 16 more).
_names: dict[str, list[str]] = {}


def _instances(model: type, sql: str, params: list[Any]) -> list[tuple[Any, dict[str, Any]]]:
    """The rows of `sql` as instances of `model` (built as the ORM builds them, converters and
    all), each with every column of its row by name (the columns beyond the model's own).

    What `model.objects.raw` does, without compiling a query and matching its columns each
    time: the reader's read took 235 µs that way, 135 µs this way (in-process, bench data S)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
        names = _names.get(sql)
        if names is None or (rows and len(rows[0]) != len(names)):  # new, or the table changed
            names = _names[sql] = [column[0] for column in cursor.description]
    found = []
    for row in rows:
        by_name = dict(zip(names, row, strict=True))
        found.append((_instance(model, by_name), by_name))
    return found


def _instance(model: type, row: dict[str, Any], prefix: str = "") -> Any:
    """An instance of `model` from the row's columns named `prefix` + each column of the model."""
    attnames, columns = _fields(model)
    values = [
        _from_db(model, attname, row[prefix + column])
        for attname, column in zip(attnames, columns, strict=True)
    ]
    return model.from_db(connection.alias, attnames, values)


def _prepared(model: type, field: str, value: Any) -> Any:
    return model._meta.get_field(field).get_db_prep_save(value, connection)
