"""A unit's subtree is a range of paths that an index reads, and it holds exactly the paths below the unit
on both databases (on PostgreSQL whatever language the database sorts text in: paths compare as bytes)."""

import pytest

PATHS = ["/1/", "/1/7/", "/1/7/19/", "/1/7/190/", "/1/70/", "/1/8/", "/10/", "/2/"]


@pytest.mark.parametrize(
    ("unit", "subtree"),
    [
        ("/1/7/", ["/1/7/", "/1/7/19/", "/1/7/190/"]),
        ("/1/", ["/1/", "/1/7/", "/1/7/19/", "/1/7/190/", "/1/70/", "/1/8/"]),
        ("/1/7/19/", ["/1/7/19/"]),
        ("/9/", []),
    ],
)
@pytest.mark.parametrize("indexed", [True, False])
def test_a_subtree_holds_the_paths_below_its_unit_and_no_other(app_ctx, unit, subtree, indexed):
    from app.extensions import db
    from app.models import AdminUnit
    from app.models.unit import under

    for number, path in enumerate(PATHS):
        db.session.add(AdminUnit(code=f"PATH-{number}", name=path, level_code="village", path=path))
    db.session.flush()
    found = db.session.scalars(
        db.select(AdminUnit.path).where(
            AdminUnit.code.like("PATH-%"), under(AdminUnit.path, unit, indexed=indexed)
        )
    ).all()
    assert sorted(found) == subtree
    db.session.rollback()


def test_an_empty_path_is_no_subtree(app_ctx):
    from app.models import AdminUnit
    from app.models.unit import under

    with pytest.raises(ValueError, match="never empty"):
        under(AdminUnit.path, "")


def test_paths_compare_as_bytes_in_the_migrated_schema(app_ctx):
    # A range of paths is a subtree only when "/" sorts as a byte: PostgreSQL's columns say so with the
    # C collation; SQLite's say nothing, which is its byte-wise BINARY comparison.
    from app.extensions import db

    columns = (("admin_unit", "path"), ("dossier", "unit_path"), ("human_task", "unit_path"))
    if db.engine.dialect.name == "postgresql":
        found = {
            (row.table_name, row.column_name): row.collation_name
            for row in db.session.execute(
                db.text(
                    "SELECT table_name, column_name, collation_name FROM information_schema.columns "
                    "WHERE table_schema = current_schema()"
                )
            )
        }
        assert [found[column] for column in columns] == ["C", "C", "C"]
    else:
        for table, column in columns:
            declared = db.session.execute(
                db.text(f"SELECT type FROM pragma_table_xinfo('{table}') WHERE name = '{column}'")  # noqa: S608
            ).scalar_one()
            schema = db.session.execute(
                db.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :t"), {"t": table}
            ).scalar_one()
            definition = next(line for line in schema.splitlines() if line.strip().startswith(column))
            assert declared.startswith("VARCHAR") and "COLLATE" not in definition.upper()
