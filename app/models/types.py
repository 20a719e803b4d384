from datetime import UTC, datetime
from functools import cache

from sqlalchemy import DateTime, Table, bindparam, text
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes on every backend (SQLite keeps no zone, so it is restored on load)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use aware UTC datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


@cache
def insert_on_conflict(
    table: Table, columns: tuple[str, ...], conflict: tuple[str, ...], *, add: str | None = None
) -> TextClause:
    """``INSERT … ON CONFLICT (conflict) DO NOTHING RETURNING id``, or with ``add`` ``DO UPDATE`` adding the
    new row's ``add`` to the existing one; values are bound by column name.

    SQLite and PostgreSQL spell it alike. Written as text because SQLAlchemy does not cache its dialects'
    ON CONFLICT constructs: each execution compiled the statement again, on every notice and count of a
    step. Text with typed parameters is compiled once per process and converts values like the columns do.
    """

    def quoted(name: str) -> str:
        return '"' + name + '"'

    action = (
        f"DO UPDATE SET {quoted(add)} = {quoted(table.name)}.{quoted(add)} + excluded.{quoted(add)}"
        if add
        else "DO NOTHING RETURNING id"
    )
    into = f"{quoted(table.name)} ({', '.join(map(quoted, columns))})"
    values = ", ".join(":" + name for name in columns)
    keys = ", ".join(map(quoted, conflict))
    # Names come from the table's metadata and every value is bound.
    statement = text(f"INSERT INTO {into} VALUES ({values}) ON CONFLICT ({keys}) {action}")  # noqa: S608
    return statement.bindparams(*(bindparam(name, type_=table.c[name].type) for name in columns))
