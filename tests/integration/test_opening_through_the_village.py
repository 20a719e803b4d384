"""On paper, families and the village itself register through the village head (issue 10): a village
head opens the dossier of a subject without an account in the village, by subject id over the API; not
one of another village, nor one that has its own account (it registers itself)."""

from sqlalchemy import select

from tests.helpers import YEAR


def _subject_id(app, code: str) -> int:
    from app.extensions import db
    from app.models import Subject

    with app.app_context():
        return db.session.scalar(select(Subject.id).where(Subject.code == code))


def _household_without_account(app, village: str) -> int:
    from app.extensions import db
    from app.models import AdminUnit, Subject

    with app.app_context():
        return db.session.scalar(
            select(Subject.id)
            .join(AdminUnit, AdminUnit.id == Subject.unit_id)
            .where(AdminUnit.code == village, Subject.kind == "household", Subject.account_id.is_(None))
            .order_by(Subject.code)
            .limit(1)
        )


def _household_of(app, username: str) -> int:
    from app.extensions import db
    from app.models import Subject, User

    with app.app_context():
        return db.session.scalar(
            select(Subject.id).join(User, User.id == Subject.account_id).where(User.username == username)
        )


def _open(api, user: str, subject_id: int, title: str):
    return api.post(user, "/dossiers", json={"title": title, "year": YEAR, "subject_id": subject_id})


def test_the_village_head_opens_the_villages_learning_community_dossier(app, api):
    village = _subject_id(app, "DEMO-CK-V1-CD")
    response = _open(api, "demo-village-ck1", village, "cong_dong_hoc_tap_thon")
    assert response.status_code == 201, response.get_json()
    dossier = api.dossier("demo-village-ck1", response.get_json()["id"])
    assert dossier["subject"]["id"] == village
    # The village head then does the village's self-assessment from the inbox.
    api.task_for("demo-village-ck1", dossier["id"], "self_assessment")


def test_the_village_head_opens_a_family_dossier_for_a_household_without_an_account(app, api):
    household = _household_without_account(app, "DEMO-CK-V1")
    response = _open(api, "demo-village-ck1", household, "gia_dinh_hoc_tap")
    assert response.status_code == 201, response.get_json()


def test_a_village_head_cannot_open_one_for_another_village_or_a_household_with_an_account(app, api):
    from app.extensions import db
    from app.models import Dossier

    other_village = _household_without_account(app, "DEMO-CK-V2")
    with_account = _household_of(app, "demo-household-ck")
    village = _subject_id(app, "DEMO-CK-V1-CD")
    with app.app_context():
        before = db.session.query(Dossier).count()
    assert _open(api, "demo-village-ck1", other_village, "gia_dinh_hoc_tap").status_code == 404
    assert _open(api, "demo-village-ab1", village, "cong_dong_hoc_tap_thon").status_code == 404
    assert with_account is not None
    assert _open(api, "demo-village-ck1", with_account, "gia_dinh_hoc_tap").status_code == 404
    with app.app_context():
        assert db.session.query(Dossier).count() == before
