"""The per-village counts the progress report reads (app/models/counts.py) follow every change made through
the ORM, in the same transaction: subjects inserted, moved, re-kinded and deleted; dossiers inserted, walked
through the real workflow by the API, and deleted; and ``recount()`` (what the migration and bulk loads run)
gives the very counts the events kept after a mixed history."""

import pytest
from sqlalchemy import event, select

from tests.helpers import city, commune_return, self_report, walk

TITLE, YEAR = "gia_dinh_hoc_tap", 2026


def _subject_counts() -> dict:
    from app.extensions import db
    from app.models import SubjectCount

    rows = db.session.execute(select(SubjectCount.unit_id, SubjectCount.kind, SubjectCount.n))
    return {(unit_id, kind): n for unit_id, kind, n in rows if n}


def _dossier_counts() -> dict:
    from app.extensions import db
    from app.models import DossierCount

    c = DossierCount
    rows = db.session.execute(select(c.unit_id, c.title, c.year, c.status, c.n))
    return {(unit_id, title, year, status): n for unit_id, title, year, status, n in rows if n}


@pytest.fixture
def villages(app_ctx):
    from app.extensions import db
    from app.services.units import ensure_levels, ensure_unit

    ensure_levels()
    province, _ = ensure_unit("K-P", "Tỉnh Đếm", "province")
    commune, _ = ensure_unit("K-C", "Xã Đếm", "commune", province)
    one, _ = ensure_unit("K-V1", "Thôn Một", "village", commune)
    two, _ = ensure_unit("K-V2", "Thôn Hai", "village", commune)
    db.session.commit()
    return one, two


def test_subject_counts_follow_inserts_moves_kinds_and_deletes(villages):
    from app.extensions import db
    from app.models import Subject

    one, two = villages
    a = Subject(code="K-S1", kind="household", name="Hộ A", unit_id=one.id)
    b = Subject(code="K-S2", kind="household", name="Hộ B", unit=one)  # unit_id set by the relationship
    db.session.add_all([a, b])
    db.session.flush()
    assert _subject_counts().get((one.id, "household")) == 2

    db.session.commit()  # expires both: the moves below must still know where they came from
    a.unit_id = two.id
    b.kind = "citizen"
    db.session.commit()
    counts = _subject_counts()
    assert counts.get((one.id, "household")) is None
    assert counts.get((two.id, "household")) == 1
    assert counts.get((one.id, "citizen")) == 1

    a.name = "Hộ A mới"  # not a counted column: nothing changes
    db.session.flush()
    assert _subject_counts() == counts

    db.session.delete(b)
    db.session.flush()
    assert _subject_counts().get((one.id, "citizen")) is None
    db.session.rollback()  # the counts roll back with the rows
    assert _subject_counts().get((one.id, "citizen")) == 1


def test_dossier_counts_follow_inserts_status_changes_and_deletes(villages):
    from app.extensions import db
    from app.models import Dossier, ProcessDefinition, Subject

    one, two = villages
    subject = Subject(code="K-S9", kind="household", name="Hộ C", unit_id=one.id)
    db.session.add(subject)
    db.session.flush()
    dossier = Dossier(
        code="K-D1",
        title=TITLE,
        year=YEAR,
        subject_id=subject.id,
        unit_id=one.id,
        unit_path=one.path,
        process_definition_id=db.session.scalar(select(ProcessDefinition.id).limit(1)),
        state="",
    )  # status left to the column default
    db.session.add(dossier)
    db.session.commit()
    assert _dossier_counts().get((one.id, TITLE, YEAR, "in_progress")) == 1

    dossier.status = "recognized"
    db.session.commit()
    counts = _dossier_counts()
    assert counts.get((one.id, TITLE, YEAR, "in_progress")) is None
    assert counts.get((one.id, TITLE, YEAR, "recognized")) == 1

    dossier.year, dossier.unit_id = YEAR + 1, two.id
    db.session.commit()
    counts = _dossier_counts()
    assert counts.get((one.id, TITLE, YEAR, "recognized")) is None
    assert counts.get((two.id, TITLE, YEAR + 1, "recognized")) == 1

    db.session.delete(dossier)
    db.session.commit()
    assert (two.id, TITLE, YEAR + 1, "recognized") not in _dossier_counts()


def _household_unit() -> int:
    from app.extensions import db
    from app.models import Subject, User

    account = db.session.scalar(select(User.id).where(User.username == "demo-household"))
    return db.session.scalar(select(Subject.unit_id).where(Subject.account_id == account))


class _Statements:
    """The statements that write ``dossier_count`` while the block runs."""

    def __init__(self):
        from app.extensions import db

        self.engine, self.seen = db.engine, []

    def _seen(self, _conn, _cursor, statement, *_args):
        if "dossier_count" in statement:
            self.seen.append(statement)

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *_exc):
        event.remove(self.engine, "before_cursor_execute", self._seen)


def test_status_changes_through_the_workflow_and_only_they_write_counts(api, app_ctx):
    from app.extensions import db

    unit = _household_unit()

    def count(status):
        db.session.rollback()  # see what the API's requests committed
        return _dossier_counts().get((unit, TITLE, YEAR, status), 0)

    before = {s: count(s) for s in ("in_progress", "returned", "recognized")}
    with _Statements() as opening:
        dossier_id = api.open_dossier()
    assert len(opening.seen) == 1
    assert count("in_progress") == before["in_progress"] + 1

    with _Statements() as step:
        api.complete("demo-household", dossier_id, "self_report", self_report(9))
    assert step.seen == [], "a step that leaves the status alone writes no count"

    api.complete("demo-commune", dossier_id, "commune_scoring", commune_return("Thiếu học bạ"))
    assert count("in_progress") == before["in_progress"]
    assert count("returned") == before["returned"] + 1

    api.complete("demo-household", dossier_id, "self_report", self_report(10))
    assert (count("in_progress"), count("returned")) == (before["in_progress"] + 1, before["returned"])
    walked = walk(api, to="none", year=YEAR + 1)  # a second dossier, next year, to the end
    assert api.dossier("demo-household", walked)["status"] == "recognized"
    assert _dossier_counts().get((unit, TITLE, YEAR + 1, "recognized"), 0) >= 1


def test_recount_equals_the_maintained_counts_after_a_mixed_history(api, app_ctx, villages):
    from app.extensions import db
    from app.models import Subject, recount
    from tests.helpers import commune_accept

    one, two = villages
    people = [Subject(code=f"K-M{i}", kind="household", name=f"Hộ {i}", unit_id=one.id) for i in range(6)]
    db.session.add_all(people)
    db.session.commit()
    people[0].unit_id = two.id
    people[1].kind = "citizen"
    db.session.delete(people[2])
    db.session.commit()

    returned = api.open_dossier()
    api.complete("demo-household", returned, "self_report", self_report(9))
    api.complete("demo-commune", returned, "commune_scoring", commune_return())
    finished = walk(api, to="city_commendation", year=YEAR + 1)
    api.complete("demo-city", finished, "city_commendation", city())
    failed = api.open_dossier(year=YEAR + 2)
    api.complete("demo-household", failed, "self_report", self_report(9))
    api.complete("demo-commune", failed, "commune_scoring", commune_accept(8, c2a=3, c2b=3, c2c=3))
    walk(api, to="district_verification", year=YEAR + 3)  # left in progress

    db.session.rollback()
    kept = (_subject_counts(), _dossier_counts())
    assert kept[1], "the demo and the walks left dossiers to count"
    recount(db.session)
    assert (_subject_counts(), _dossier_counts()) == kept
    db.session.rollback()
