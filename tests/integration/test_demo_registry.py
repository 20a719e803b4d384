"""The demo's registry looks like a real commune's, and its campaigns can be walked today."""

from pathlib import Path

from sqlalchemy import func, select

from app.demo import DEMO_ACTIVATIONS, TWO_TIER_PROVINCE, seed_demo
from app.demo_people import CHILD, FATHER, GRANDCHILD, HEAD, HUSBAND, MIDDLE, MOTHER, WIFE
from app.extensions import db
from app.models import (
    AdminUnit,
    Campaign,
    ProcedureActivation,
    ProcessDefinition,
    RoleAssignment,
    Subject,
    SubjectLink,
    User,
    utcnow,
)
from app.services.campaign_rules import local_day
from app.services.procedures import definition_for
from app.titles import catalogue

RELATIONS = {HEAD, WIFE, HUSBAND, CHILD, FATHER, MOTHER, GRANDCHILD}


def _surname(name: str) -> str:
    return name.split(maxsplit=1)[0]


def _middle(name: str) -> str:
    return name.split()[1]


def _households():
    return db.session.scalars(select(Subject).where(Subject.kind == "household").order_by(Subject.code)).all()


def test_households_have_gendered_names_and_real_relations(app_ctx):
    households = _households()
    assert len(households) == 100
    for household in households:
        members = household.members
        heads = [m for m in members if m.is_head]
        assert len(heads) == 1 and heads[0] is members[0] and heads[0].relation == HEAD
        head = heads[0]
        assert household.name == f"Hộ {head.full_name}"
        for member in members:
            assert member.relation in RELATIONS, member.relation
            assert member.gender in ("nam", "nu")
            assert _middle(member.full_name) in MIDDLE[member.gender], member.full_name
            assert 1920 <= member.birth_year <= 2025
        wives = [m for m in members if m.relation == WIFE]
        husbands = [m for m in members if m.relation == HUSBAND]
        children = [m for m in members if m.relation == CHILD]
        if head.gender == "nam":
            assert not husbands and len(wives) == 1
            wife = wives[0]
            assert wife.gender == "nu" and _surname(wife.full_name) != _surname(head.full_name)
            # Children carry the father's surname and were born while their mother could bear them.
            for child in children:
                assert _surname(child.full_name) == _surname(head.full_name)
                assert 18 <= child.birth_year - wife.birth_year <= 45
        else:
            assert not wives
            for husband in husbands:
                assert husband.gender == "nam"
                for child in children:
                    assert _surname(child.full_name) == _surname(husband.full_name)
        for parent in (m for m in members if m.relation in (FATHER, MOTHER)):
            assert parent.birth_year <= head.birth_year - 18
            assert parent.gender == ("nam" if parent.relation == FATHER else "nu")
        for grandchild in (m for m in members if m.relation == GRANDCHILD):
            assert grandchild.birth_year >= head.birth_year + 36
    # Both kinds of household and the relations beyond husband, wife and children occur.
    relations = {m.relation for h in households for m in h.members}
    assert relations >= {HEAD, WIFE, CHILD, MOTHER, GRANDCHILD}
    assert any(h.members[0].gender == "nu" for h in households)


def test_each_commune_has_its_communities_clans_organisations_and_citizens(app_ctx):
    communes = db.session.scalars(select(AdminUnit).where(AdminUnit.level_code == "commune")).all()
    demo = [c for c in communes if c.code.startswith("DEMO-")]
    assert len(demo) == 6
    for commune in demo:
        subjects = db.session.scalars(
            select(Subject).where(Subject.code.startswith(f"{commune.code}-"))
        ).all()
        by_kind = {}
        for subject in subjects:
            by_kind.setdefault(subject.kind, []).append(subject)
        assert [(s.unit_id, s.name) for s in by_kind["commune"]] == [(commune.id, commune.name)]
        villages = db.session.scalars(select(AdminUnit).where(AdminUnit.parent_id == commune.id)).all()
        assert sorted(s.unit_id for s in by_kind["village"]) == sorted(v.id for v in villages)
        # Two clans, each with member families in both villages, headed by men of its surname.
        assert len(by_kind["clan"]) == 2
        for clan in by_kind["clan"]:
            assert clan.account_id is not None
            roles = db.session.scalars(
                select(RoleAssignment.role).where(RoleAssignment.user_id == clan.account_id)
            )
            assert list(roles) == ["applicant"]
            families = db.session.scalars(
                select(Subject)
                .join(SubjectLink, SubjectLink.child_id == Subject.id)
                .where(SubjectLink.parent_id == clan.id, SubjectLink.relation == "clan_member")
            ).all()
            assert {f.unit_id for f in families} == {v.id for v in villages}
            surname = clan.name.split()[2]
            assert all(
                f.members[0].gender == "nam" and _surname(f.members[0].full_name) == surname for f in families
            )
        # A school, the People's Committee office and an enterprise, each with staff citizens.
        assert sorted(o.category for o in by_kind["organisation"]) == ["agency", "enterprise", "school"]
        for organisation in by_kind["organisation"]:
            staff = db.session.scalars(
                select(Subject)
                .join(SubjectLink, SubjectLink.child_id == Subject.id)
                .where(SubjectLink.parent_id == organisation.id, SubjectLink.relation == "staff")
            ).all()
            assert len(staff) == 4
            assert {(s.kind, s.category) for s in staff} == {("citizen", "can_bo_doanh_nhan")}
            assert all(18 <= 2026 - s.birth_year <= 65 and s.gender in ("nam", "nu") for s in staff)
        groups = {s.category for s in by_kind["citizen"]}
        assert groups >= {"can_bo_doanh_nhan", "nguoi_dan", "nguoi_lao_dong"}
    students = db.session.scalar(select(func.count()).where(Subject.category == "hoc_sinh_sinh_vien"))
    assert students > 0


def test_a_citizen_is_a_member_of_a_household(app_ctx):
    for citizen in db.session.scalars(select(Subject).where(Subject.kind == "citizen")):
        code, number = citizen.code.rsplit("-C", 1)
        household = db.session.scalar(select(Subject).where(Subject.code == code))
        member = household.members[int(number) - 1]
        assert (member.full_name, member.gender, member.birth_year) == (
            citizen.name,
            citizen.gender,
            citizen.birth_year,
        )
        assert citizen.unit_id == household.unit_id


def test_area_accounts_and_subject_accounts(app_ctx):
    def roles(username):
        user = db.session.scalar(select(User).where(User.username == username))
        return {(a.role, a.unit.code) for a in user.roles}

    assert roles("demo-association") == {("association", "DEMO-CK")}
    assert roles("demo-province") == {("province_officer", "DEMO-CT25")}
    for username, code in (
        ("demo-school-ck", "DEMO-CK-TH"),
        ("demo-office-ck", "DEMO-CK-UB"),
        ("demo-company-ab", "DEMO-AB-DN"),
        ("demo-clan-ck1", "DEMO-CK-DH1"),
    ):
        subject = db.session.scalar(select(Subject).where(Subject.code == code))
        assert subject.account_id == db.session.scalar(select(User.id).where(User.username == username))
        assert {role for role, _unit in roles(username)} == {"applicant"}
    teacher = db.session.scalar(
        select(Subject).join(User, User.id == Subject.account_id).where(User.username == "demo-teacher-ck")
    )
    assert teacher.kind == "citizen" and teacher.category == "can_bo_doanh_nhan"
    resident = db.session.scalar(
        select(Subject).join(User, User.id == Subject.account_id).where(User.username == "demo-citizen-ck")
    )
    assert resident.kind == "citizen" and resident.category == "nguoi_dan"


def test_shipped_packages_are_activated_where_the_demo_runs_them(app_ctx, app):
    shipped = {
        p.name for p in Path(app.config["PROCEDURES_DIR"]).iterdir() if (p / "procedure.json").exists()
    }
    for key, province in DEMO_ACTIVATIONS.items():
        if key not in shipped:
            continue
        definition = db.session.scalars(
            select(ProcessDefinition)
            .where(ProcessDefinition.key == key)
            .order_by(ProcessDefinition.version.desc())
        ).first()
        scope_id = (
            db.session.scalar(select(AdminUnit.id).where(AdminUnit.code == province)) if province else None
        )
        active = db.session.scalar(
            select(ProcedureActivation.process_definition_id).where(
                ProcedureActivation.scope == ProcedureActivation.scope_of(scope_id),
                ProcedureActivation.title == definition.title_key,
            )
        )
        assert active == definition.id, key


def test_this_years_campaigns_are_open_in_their_assessment_window(app_ctx):
    today = local_day(utcnow())
    province = db.session.scalar(select(AdminUnit).where(AdminUnit.code == TWO_TIER_PROVINCE[0]))
    campaigns = {
        c.title: c
        for c in db.session.scalars(
            select(Campaign).where(Campaign.province_id == province.id, Campaign.year == today.year)
        )
    }
    active = {title for title in catalogue() if definition_for(title, province) is not None}
    assert "gia_dinh_hoc_tap" in active and set(campaigns) == active
    for campaign in campaigns.values():
        assert campaign.status == "open"
        assert (campaign.registration_from.month, campaign.registration_from.day) == (1, 1)
        assert (campaign.registration_to.month, campaign.registration_to.day) == (3, 31)
        assert campaign.assessment_from <= today <= campaign.assessment_to
        assert campaign.deadlines
        assert all(campaign.assessment_from.isoformat() <= day for day in campaign.deadlines.values())
        assert min(campaign.deadlines.values()) > today.isoformat()


def test_seeding_again_changes_nothing(app_ctx):
    def counts():
        return [
            db.session.scalar(select(func.count()).select_from(model))
            for model in (Subject, SubjectLink, User, RoleAssignment, Campaign)
        ]

    before = counts()
    assert seed_demo(now=utcnow()) == {"households_added": 0, "procedures_deployed": 0}
    assert counts() == before
