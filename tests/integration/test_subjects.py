"""A subject's page and API: members, links, titles across years and "recognised N years in a row"."""

import json

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Dossier, ProcessDefinition, Subject, User, utcnow
from app.services import decisions
from app.services.dossiers import start_dossier
from app.services.procedures import definition_for
from app.services.streaks import latest_run, run_ending, years_before
from tests.helpers import TITLE

HOUSEHOLD = "DEMO-CK-V1-H01"  # demo-household-ck's household


def _subject(code: str) -> Subject:
    return db.session.scalar(select(Subject).where(Subject.code == code))


def _past(subject: Subject, year: int, status: str, title: str = TITLE) -> Dossier:
    """A dossier of an earlier year, already decided (as if imported from the year it ran)."""
    definition = definition_for(title, subject.unit) or db.session.scalars(select(ProcessDefinition)).first()
    dossier = Dossier(
        code=f"T-{subject.id}-{title[:8]}-{year}",
        title=title,
        year=year,
        subject=subject,
        unit_id=subject.unit_id,
        unit_path=subject.unit.path,
        process_definition=definition,
        state="",
        status=status,
        created_at=utcnow(),
        updated_at=utcnow(),
    )
    db.session.add(dossier)
    db.session.commit()
    return dossier


@pytest.fixture
def history(app_ctx):
    """demo-household-ck's household: recognised 2021, not 2022, then 2023–2025 in a row."""
    subject = _subject(HOUSEHOLD)
    for year, status in (
        (2021, "recognized"),
        (2022, "not_recognized"),
        (2023, "recognized"),
        (2024, "recognized"),
        (2025, "recognized"),
    ):
        _past(subject, year, status)
    return subject.id


def test_runs_count_consecutive_recognised_years():
    assert run_ending({2021, 2023, 2024, 2025}, 2025) == 3
    assert run_ending({2021, 2023, 2024, 2025}, 2022) == 0
    assert run_ending({2021, 2023, 2024, 2025}, 2021) == 1
    assert latest_run({2021, 2023, 2024}) == 2
    assert latest_run(set()) == 0


def test_api_gives_members_title_history_and_years_in_a_row(history, api):
    response = api.get("demo-commune-ck", f"/subjects/{history}")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["code"] == HOUSEHOLD and body["kind"] == "household"
    assert body["unit"]["code"] == "DEMO-CK-V1"
    head = body["members"][0]
    assert head["is_head"] and head["relation"] == "Chủ hộ" and head["gender"] in ("nam", "nu")
    assert [m["is_head"] for m in body["members"]].count(True) == 1
    years = [(t["year"], t["status"]) for t in body["titles"] if t["title"] == TITLE]
    assert years == [
        (2025, "recognized"),
        (2024, "recognized"),
        (2023, "recognized"),
        (2022, "not_recognized"),
        (2021, "recognized"),
    ]
    entry = body["titles"][0]
    assert entry["title_label"] == "Gia đình học tập" and entry["status_label"] == "Được công nhận"
    assert entry["dossier_id"] and entry["code"]
    assert body["years_in_a_row"] == {TITLE: 3}


def test_a_clan_lists_its_families_and_a_family_its_clan(app_ctx, api):
    clan = _subject("DEMO-CK-DH1")
    body = api.get("demo-commune-ck", f"/subjects/{clan.id}").get_json()
    families = body["links"]["members"]
    assert families and {f["relation"] for f in families} == {"clan_member"}
    assert all(f["subject"]["kind"] == "household" for f in families)
    # Member families live in both of the ward's residential areas.
    units = {_subject(f["subject"]["code"]).unit.code for f in families}
    assert units == {"DEMO-CK-V1", "DEMO-CK-V2"}
    family = api.get("demo-commune-ck", f"/subjects/{families[0]['subject']['id']}").get_json()
    assert [b["subject"]["code"] for b in family["links"]["belongs_to"]] == ["DEMO-CK-DH1"]


def test_an_organisation_lists_its_staff_with_positions(app_ctx, api):
    school = _subject("DEMO-CK-TH")
    body = api.get("demo-commune-ck", f"/subjects/{school.id}").get_json()
    assert body["kind"] == "organisation" and body["category"] == "school"
    staff = body["links"]["members"]
    assert [s["position"] for s in staff if s["position"] == "Hiệu trưởng"] == ["Hiệu trưởng"]
    citizen = api.get("demo-commune-ck", f"/subjects/{staff[0]['subject']['id']}").get_json()
    assert citizen["kind"] == "citizen" and citizen["category"] == "can_bo_doanh_nhan"
    assert citizen["gender"] in ("nam", "nu") and citizen["birth_year"]
    assert citizen["links"]["belongs_to"][0]["subject"]["code"] == "DEMO-CK-TH"


@pytest.mark.parametrize(
    ("username", "status"),
    [
        ("demo-household-ck", 200),  # its own account
        ("demo-admin", 200),
        ("demo-commune-ck", 200),
        ("demo-village-ck1", 200),
        ("demo-association", 200),  # Hội Khuyến học of the ward
        ("demo-province", 200),
        ("demo-village-ck2", 404),  # the other residential area
        ("demo-commune-ab", 404),  # another ward
        ("demo-household", 404),  # another household
        ("demo-city", 404),  # the other province tree
    ],
)
def test_who_may_read_a_subject(app_ctx, api, username, status):
    subject = _subject(HOUSEHOLD)
    response = api.get(username, f"/subjects/{subject.id}")
    assert response.status_code == status, (username, response.get_json())
    if status == 404:
        assert "Không tìm thấy" in response.get_json()["error"]["message"]


def test_unknown_subject_is_404(api):
    assert api.get("demo-admin", "/subjects/999999").status_code == 404


def test_page_shows_titles_by_year_and_the_run(history, web):
    web.login("demo-commune-ck")
    response = web.get(f"/subjects/{history}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Danh hiệu qua các năm" in page and "Được công nhận 3 năm liền" in page
    assert page.count('data-testid="title-history"') == 1
    for year in (2021, 2022, 2023, 2024, 2025):
        assert f"<td>{year}</td>" in page
    assert "Thành viên hộ gia đình" in page and "Chủ hộ" in page
    assert 'data-testid="belongs-to"' in page  # its clan


def test_page_is_404_outside_jurisdiction(history, web):
    web.login("demo-commune-ab")
    assert web.get(f"/subjects/{history}").status_code == 404


def test_dossier_page_and_inbox_link_to_the_subject(app_ctx, api, web):
    dossier_id = api.open_dossier("demo-household-ck")
    subject_id = db.session.get(Dossier, dossier_id).subject_id
    web.login("demo-household-ck")
    page = web.get(f"/dossiers/{dossier_id}").get_data(as_text=True)
    assert f'href="/subjects/{subject_id}"' in page


def test_start_data_carries_the_run_before_the_year(history, app_ctx):
    """What a procedure reads: ``years_in_a_row`` in the data its first step starts with."""
    subject = db.session.get(Subject, history)
    assert years_before(subject.id, TITLE, 2026) == 3
    assert years_before(subject.id, TITLE, 2025) == 2
    actor = db.session.scalar(select(User).where(User.username == "demo-household-ck"))
    dossier = start_dossier(subject, TITLE, 2026, actor=actor, now=utcnow())
    state = json.loads(db.session.get(Dossier, dossier.id).state)
    found = []

    def walk(node):
        if isinstance(node, dict):
            if "years_in_a_row" in node:
                found.append(node["years_in_a_row"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(state)
    assert found and set(found) == {3}


def test_commendation_filter_counts_the_dossiers_own_year(app_ctx):
    """ "At least N years in a row" for a recognised 2026 dossier counts 2026 itself: recognised 2024–2026
    is three in a row, not four."""
    subject = _subject("DEMO-CK-V1-H02")
    for year in (2024, 2025):
        _past(subject, year, "recognized")
    this_year = _past(subject, 2026, "recognized")
    chairman = db.session.scalar(select(User).where(User.username == "demo-chairman-ck"))

    def ids(n):
        query = decisions.candidates(chairman, kind="commendation", title=TITLE, year=2026, years_in_a_row=n)
        return set(db.session.scalars(query.with_only_columns(Dossier.id)))

    assert this_year.id in ids(1)
    assert this_year.id in ids(3)
    assert this_year.id not in ids(4)
