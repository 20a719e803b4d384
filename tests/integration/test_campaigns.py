"""Campaigns: windows, deadlines that become due dates, registration by the subject or in bulk, and the
dossiers of registered subjects opening when self-assessment begins."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.campaign_factories import PROVINCE, at, make_campaign, subject, today, user
from tests.helpers import TITLE, self_report

HOUSEHOLD = "DEMO-CK-V1-H01"  # demo-household-ck's household, in Khu vực 1 of Cái Khế


def _dossier_of(code: str, year: int):
    from app.extensions import db
    from app.models import Dossier

    return db.session.scalar(
        select(Dossier).where(
            Dossier.subject_id == subject(code).id, Dossier.title == TITLE, Dossier.year == year
        )
    )


def test_registration_outside_its_window_is_refused_with_a_clear_message(app_ctx):
    from app.services.campaigns import register_subjects
    from app.services.errors import Conflict

    campaign = make_campaign(registration=(5, 20), assessment=(25, 40))
    with pytest.raises(Conflict, match="Chưa đến thời gian đăng ký của đợt này"):
        register_subjects(campaign, [subject(HOUSEHOLD).id], actor=user("demo-village-ck1"), now=at(today()))
    campaign = make_campaign(registration=(-40, -20), assessment=(-10, 20))
    with pytest.raises(Conflict, match="Đã hết thời gian đăng ký của đợt này"):
        register_subjects(campaign, [subject(HOUSEHOLD).id], actor=user("demo-village-ck1"), now=at(today()))
    from app.models import Registration

    assert campaign.id and not app_ctx.extensions["sqlalchemy"].session.scalars(select(Registration)).all()


def test_a_draft_campaign_takes_no_registrations(app_ctx):
    from app.services.campaigns import register_subjects
    from app.services.errors import Conflict

    campaign = make_campaign(status="draft")
    with pytest.raises(Conflict, match="chưa mở đăng ký"):
        register_subjects(campaign, [subject(HOUSEHOLD).id], actor=user("demo-admin"), now=at(today()))


def test_due_dates_follow_the_campaign_deadlines(app_ctx):
    from app.services.campaign_rules import end_of_local_day
    from app.services.dossiers import open_dossier, submit_task
    from forms import MultiDict

    first, second = today() + timedelta(days=5), today() + timedelta(days=12)
    make_campaign(deadlines={"self_report": first, "village_review": second})
    household = user("demo-household-ck")
    dossier = open_dossier(subject(HOUSEHOLD), TITLE, today().year, actor=household, now=at(today()))
    task = next(t for t in dossier.tasks if t.state == "open")
    assert task.name == "self_report"
    assert task.due_at == end_of_local_day(first)
    answers = MultiDict({k: str(v) for k, v in self_report(9).items()})
    dossier = submit_task(task.id, answers, actor=household, now=at(today()))
    review = next(t for t in dossier.tasks if t.state == "open")
    assert review.name == "village_review"
    assert review.due_at == end_of_local_day(second)
    assert dossier.campaign_id is not None


def test_bulk_registration_by_a_village_head_registers_only_the_village(app_ctx):
    from app.models import Registration
    from app.services.campaigns import register_subjects

    campaign = make_campaign(registration=(-5, 20), assessment=(25, 40))
    mine = [subject(f"DEMO-CK-V1-H0{n}").id for n in (1, 2, 3)]
    other_village = subject("DEMO-CK-V2-H01").id
    other_province = subject("DEMO-AH-V1-H01").id
    registered, skipped = register_subjects(
        campaign,
        [*mine, other_village, other_province, 999_999],
        actor=user("demo-village-ck1"),
        now=at(today()),
    )
    assert registered == 3
    assert {s["subject_id"] for s in skipped} == {other_village, other_province, 999_999}
    assert all("không thuộc địa bàn bạn phụ trách" in s["reason"] for s in skipped)
    rows = app_ctx.extensions["sqlalchemy"].session.scalars(select(Registration)).all()
    assert sorted(r.subject_id for r in rows) == sorted(mine)
    # Before self-assessment, the dossiers wait.
    assert all(r.dossier_id is None for r in rows)
    # Again: already registered, said per subject; nothing else changes.
    registered, skipped = register_subjects(
        campaign, mine[:1], actor=user("demo-commune-ck"), now=at(today())
    )
    assert registered == 0 and skipped[0]["code"] == "already_registered"


def test_a_commune_officer_registers_the_commune_and_an_admin_anywhere_in_the_province(app_ctx):
    from app.services.campaigns import register_subjects

    campaign = make_campaign(registration=(-5, 20), assessment=(25, 40))
    ck = [subject("DEMO-CK-V1-H04").id, subject("DEMO-CK-V2-H02").id]
    ab = subject("DEMO-AB-V1-H01").id
    registered, skipped = register_subjects(
        campaign, [*ck, ab], actor=user("demo-commune-ck"), now=at(today())
    )
    assert registered == 2 and [s["subject_id"] for s in skipped] == [ab]
    registered, skipped = register_subjects(
        campaign, [ab, subject("DEMO-AH-V1-H02").id], actor=user("demo-admin"), now=at(today())
    )
    assert registered == 1 and skipped[0]["code"] == "other_province"


def test_registered_dossiers_wait_for_self_assessment_then_the_tick_opens_them(app_ctx):
    from app.jobs import tick
    from app.models import Registration, utcnow
    from app.services.campaigns import register_subjects

    campaign = make_campaign(registration=(-40, -11), assessment=(-10, 30))
    codes = ["DEMO-CK-V1-H02", "DEMO-CK-V1-H03"]
    registered, _ = register_subjects(
        campaign,
        [subject(c).id for c in codes],
        actor=user("demo-village-ck1"),
        now=at(today() - timedelta(days=20)),
    )
    assert registered == 2
    assert all(_dossier_of(c, campaign.year) is None for c in codes)
    assert tick(now=at(today() - timedelta(days=11)))["campaign_openings_planned"] == 0
    result = tick(now=utcnow())
    assert result["campaign_openings_planned"] == 1
    for code in codes:
        dossier = _dossier_of(code, campaign.year)
        assert dossier is not None and dossier.campaign_id == campaign.id
        assert dossier.created_by_id == user("demo-village-ck1").id
    db = app_ctx.extensions["sqlalchemy"]
    assert all(r.dossier_id for r in db.session.scalars(select(Registration)))
    # Idempotent: nothing more to plan, and the job run again opens nothing twice.
    assert tick(now=utcnow())["campaign_openings_planned"] == 0


def test_registering_inside_self_assessment_opens_the_dossiers_at_once(app_ctx):
    from app.services.campaigns import register_subjects

    campaign = make_campaign(registration=(-40, 20), assessment=(-10, 30))
    registered, _ = register_subjects(
        campaign, [subject("DEMO-CK-V2-H03").id], actor=user("demo-village-ck2"), now=at(today())
    )
    assert registered == 1
    assert _dossier_of("DEMO-CK-V2-H03", campaign.year).campaign_id == campaign.id


def test_one_dossier_failing_does_not_block_the_others_and_the_job_fails(app_ctx):
    from app.extensions import db
    from app.models import Registration, utcnow
    from app.services.campaigns import OpeningFailed, open_registered_dossiers

    campaign = make_campaign(registration=(-40, -11), assessment=(-10, 30))
    good, bad = subject("DEMO-AB-V1-H02"), subject("DEMO-AB-V1-H03")
    db.session.add_all(
        [
            Registration(campaign=campaign, subject=bad, registered_by_id=None, registered_at=utcnow()),
            Registration(
                campaign=campaign,
                subject=good,
                registered_by_id=user("demo-admin").id,
                registered_at=utcnow(),
            ),
        ]
    )
    db.session.commit()
    with pytest.raises(OpeningFailed, match="did not open"):
        open_registered_dossiers(campaign.id, now=utcnow())
    assert _dossier_of("DEMO-AB-V1-H02", campaign.year) is not None
    assert _dossier_of("DEMO-AB-V1-H03", campaign.year) is None


def test_closing_a_campaign_stops_new_dossiers(app_ctx):
    from app.services.campaigns import close_campaign
    from app.services.dossiers import open_dossier
    from app.services.errors import Conflict

    campaign = make_campaign()
    close_campaign(campaign, actor=user("demo-admin"), now=at(today()))
    with pytest.raises(Conflict, match="đã kết thúc"):
        open_dossier(
            subject(HOUSEHOLD), TITLE, campaign.year, actor=user("demo-household-ck"), now=at(today())
        )


def test_creating_checks_dates_steps_and_duplicates(app_ctx):
    from app.models import AuditEvent
    from app.services.campaigns import create_campaign, open_campaign, update_campaign
    from app.services.errors import Conflict, Forbidden, InvalidInput

    admin, year = user("demo-admin"), 2031
    good = {
        "registration_from": "2031-01-05",
        "registration_to": "2031-03-31",
        "assessment_from": "2031-11-01",
        "assessment_to": "2031-12-31",
    }
    with pytest.raises(Forbidden):
        create_campaign(PROVINCE, TITLE, year, actor=user("demo-commune-ck"), now=at(today()), **good)
    with pytest.raises(InvalidInput) as bad:
        create_campaign(
            PROVINCE,
            TITLE,
            year,
            actor=admin,
            now=at(today()),
            **{**good, "registration_to": "2030-12-01"},
            deadlines={"no_such_step": "2031-12-01", "self_report": "2031-10-01"},
        )
    assert set(bad.value.errors) == {"registration_to", "deadlines"}
    assert any("no_such_step" in m for m in bad.value.errors["deadlines"])
    assert any("không được trước ngày bắt đầu tự đánh giá" in m for m in bad.value.errors["deadlines"])
    campaign = create_campaign(
        PROVINCE, TITLE, year, actor=admin, now=at(today()), deadlines={"self_report": "2031-11-20"}, **good
    )
    assert campaign.status == "draft" and campaign.evidence_from.isoformat() == "2031-01-01"
    with pytest.raises(Conflict, match="đã có đợt đánh giá"):
        create_campaign(PROVINCE, TITLE, year, actor=admin, now=at(today()), **good)
    update_campaign(campaign, actor=admin, now=at(today()), registration_to="2031-04-15")
    open_campaign(campaign, actor=admin, now=at(today()))
    with pytest.raises(Conflict, match="chỉ sửa được hạn"):
        update_campaign(campaign, actor=admin, now=at(today()), registration_to="2031-04-30")
    update_campaign(campaign, actor=admin, now=at(today()), deadlines={"self_report": "2031-11-25"})
    assert campaign.deadlines == {"self_report": "2031-11-25"}
    db = app_ctx.extensions["sqlalchemy"]
    actions = db.session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.object_type == "campaign", AuditEvent.object_id == str(campaign.id))
        .order_by(AuditEvent.id)
    ).all()
    assert actions == ["campaign.created", "campaign.updated", "campaign.opened", "campaign.updated"]


# ------------------------------------------------------------------------------------------------ pages


def _make(app, **kwargs) -> int:
    with app.app_context():
        return make_campaign(**kwargs).id


def test_an_admin_creates_edits_opens_and_closes_a_campaign_on_the_pages(app, web):
    from app.extensions import db
    from app.models import Campaign

    web.login("demo-admin")
    page = web.get(f"/campaigns/new?province={PROVINCE}&title={TITLE}").get_data(as_text=True)
    assert 'type="date"' in page and "Tự đánh giá" in page and 'name="deadline-village_review"' in page
    form = {
        "province": PROVINCE,
        "title": TITLE,
        "year": "2033",
        "name": "",
        "registration_from": "2033-01-05",
        "registration_to": "2033-03-31",
        "evidence_from": "2033-01-01",
        "evidence_to": "2033-12-31",
        "assessment_from": "2033-11-01",
        "assessment_to": "2033-12-31",
        "deadline-self_report": "2033-10-01",
        "action": "save",
    }
    refused = web.post("/campaigns/new", form)
    assert refused.status_code == 422
    assert "không được trước ngày bắt đầu tự đánh giá" in refused.get_data(as_text=True)
    created = web.post("/campaigns/new", {**form, "deadline-self_report": "2033-11-20"})
    assert created.status_code == 302
    with app.app_context():
        campaign_id = db.session.scalar(select(Campaign.id).where(Campaign.year == 2033))
    shown = web.get(f"/campaigns/{campaign_id}").get_data(as_text=True)
    assert "20/11/2033" in shown and "Dự thảo" in shown
    edited = web.post(
        f"/campaigns/{campaign_id}/edit",
        {**form, "registration_to": "2033-04-15", "deadline-self_report": "2033-11-21"},
    )
    assert edited.status_code == 302
    assert (
        web.post(f"/campaigns/{campaign_id}/open", {}, csrf_from=f"/campaigns/{campaign_id}").status_code
        == 302
    )
    # Closing asks for a confirmation first.
    web.post(f"/campaigns/{campaign_id}/close", {}, csrf_from=f"/campaigns/{campaign_id}")
    with app.app_context():
        assert db.session.get(Campaign, campaign_id).status == "open"
    web.post(f"/campaigns/{campaign_id}/close", {"confirm": "1"}, csrf_from=f"/campaigns/{campaign_id}")
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        assert campaign.status == "closed" and campaign.registration_to.isoformat() == "2033-04-15"
    listed = web.get("/campaigns?year=2033").get_data(as_text=True)
    assert f"/campaigns/{campaign_id}" in listed


def test_officials_may_not_manage_campaigns(app, web):
    campaign_id = _make(app, status="draft")
    web.login("demo-commune-ck")
    assert web.get("/campaigns/new").status_code == 403
    assert web.post(f"/campaigns/{campaign_id}/open", {}, csrf_from="/campaigns").status_code == 403


def test_a_village_head_registers_from_the_list_and_sees_who_was_skipped(app, web):
    from app.extensions import db
    from app.models import Registration

    campaign_id = _make(app, registration=(-5, 20), assessment=(25, 40))
    with app.app_context():
        mine = [subject(f"DEMO-CK-V1-H0{n}").id for n in (2, 3)]
        outside = subject("DEMO-CK-V2-H01").id
    web.login("demo-village-ck1")
    page = web.get(f"/campaigns/{campaign_id}/register").get_data(as_text=True)
    assert "Chọn tất cả" in page and "DEMO-CK-V1-H02" in page and "DEMO-CK-V2-H01" not in page
    response = web.client.post(
        f"/campaigns/{campaign_id}/register",
        data={
            "subject_ids": [str(i) for i in [*mine, outside]],
            "csrf_token": web.csrf(f"/campaigns/{campaign_id}/register"),
        },
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Đã đăng ký: 2 đối tượng." in text and "không thuộc địa bàn bạn phụ trách" in text
    with app.app_context():
        assert sorted(db.session.scalars(select(Registration.subject_id))) == sorted(mine)


def test_the_household_button_registers_in_the_registration_window_and_says_when_the_dossier_opens(app, web):
    from app.extensions import db
    from app.models import Dossier, Registration

    _make(app, registration=(-5, 20), assessment=(25, 40))
    web.login("demo-household-ck")
    with app.app_context():
        subject_id = subject(HOUSEHOLD).id
    response = web.post(
        "/dossiers/new",
        {"subject_id": subject_id, "title": TITLE, "year": str(today().year)},
        csrf_from="/dossiers",
    )
    assert response.status_code == 302
    home = web.get("/dossiers").get_data(as_text=True)
    assert "Hồ sơ tự đánh giá sẽ mở ngày" in home
    with app.app_context():
        assert db.session.scalar(select(Registration.subject_id)) == subject_id
        assert db.session.scalar(select(Dossier.id).where(Dossier.subject_id == subject_id)) is None


def test_the_household_button_opens_the_dossier_inside_self_assessment(app, web):
    from app.extensions import db
    from app.models import Dossier

    _make(app)
    web.login("demo-household-ck")
    with app.app_context():
        subject_id = subject(HOUSEHOLD).id
    response = web.post(
        "/dossiers/new",
        {"subject_id": subject_id, "title": TITLE, "year": str(today().year)},
        csrf_from="/dossiers",
    )
    assert response.status_code == 302 and "/dossiers/" in response.headers["Location"]
    with app.app_context():
        assert db.session.scalar(select(Dossier.campaign_id).where(Dossier.subject_id == subject_id))
