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


def test_paths_compare_as_bytes_on_postgresql(app_ctx):
    from app.extensions import db

    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite compares text as bytes already")
    collations = db.session.execute(
        db.text(
            "SELECT table_name, column_name, collation_name FROM information_schema.columns "
            "WHERE (table_name, column_name) IN (('admin_unit', 'path'), ('dossier', 'unit_path'), "
            "('human_task', 'unit_path')) ORDER BY table_name"
        )
    ).all()
    assert [tuple(row) for row in collations] == [
        ("admin_unit", "path", "C"),
        ("dossier", "unit_path", "C"),
        ("human_task", "unit_path", "C"),
    ]
