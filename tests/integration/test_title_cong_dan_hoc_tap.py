"""Công dân học tập end to end through the API in the two-tier demo province (DEMO-CT25): each target
group fills its own form; residents and workers are reviewed in their village and recognised by the
commune chairman; officials, employees and students are recognised by the organisation they belong to,
whose account acts on that step and sees that dossier only."""

import pytest

from tests.helpers import ApiClient
from tests.title_factories_citizen_unit import (
    CITIZEN_TITLE,
    YEAR,
    add_staff,
    citizen_self_report,
    decision,
    ensure_active,
    ensure_campaign,
    make_citizen,
    make_organisation,
)

PASSWORD = "matkhau123"


@pytest.fixture
def cdht(app, api: ApiClient):
    ensure_active(app, CITIZEN_TITLE, "cong_dan_hoc_tap", "DEMO-CT25")
    ensure_campaign(app, CITIZEN_TITLE, "DEMO-CT25")
    people = {
        "resident": make_citizen(
            app, "cd-nguoi-dan", "DEMO-CK-V1", "nguoi_dan", name="Nguyễn Văn Lâm", password=PASSWORD
        ),
        "worker": make_citizen(
            app,
            "cd-lao-dong",
            "DEMO-CK-V2",
            "nguoi_lao_dong",
            name="Trần Thị Hoa",
            gender="nu",
            birth_year=1992,
            password=PASSWORD,
        ),
        "teacher": make_citizen(
            app, "cd-can-bo", "DEMO-CK-V1", "can_bo_doanh_nhan", name="Lê Văn Minh", password=PASSWORD
        ),
        "colleague": make_citizen(
            app,
            "cd-dong-nghiep",
            "DEMO-CK-V1",
            "can_bo_doanh_nhan",
            name="Phạm Thị Thu",
            gender="nu",
            password=PASSWORD,
        ),
        "student": make_citizen(
            app,
            "cd-hoc-sinh",
            "DEMO-CK-V2",
            "hoc_sinh_sinh_vien",
            name="Võ Minh Khang",
            birth_year=2008,
            password=PASSWORD,
        ),
        "school": make_organisation(
            app, "truong-cai-khe", "DEMO-CK", name="Trường THCS Cái Khế", password=PASSWORD
        ),
        "other_school": make_organisation(
            app, "truong-an-binh", "DEMO-AB", name="Trường THCS An Bình", password=PASSWORD
        ),
    }
    add_staff(app, people["school"], people["teacher"], "Giáo viên")
    add_staff(app, people["school"], people["colleague"], "Giáo viên")
    add_staff(app, people["school"], people["student"], "Học sinh lớp 9A")
    for person in people.values():
        api.token(person.username, PASSWORD)
    return people


def open_dossier(api: ApiClient, username: str) -> int:
    response = api.post(username, "/dossiers", json={"title": CITIZEN_TITLE, "year": YEAR})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["code"].startswith(f"CDHT-{YEAR}-")
    return response.get_json()["id"]


def current(result: dict) -> list[str]:
    return [t["name"] for t in result["current_tasks"]]


def test_a_resident_is_reviewed_in_the_village_and_recognised_by_the_commune_chairman(api, cdht):
    resident = cdht["resident"].username
    dossier_id = open_dossier(api, resident)
    assert current(api.dossier(resident, dossier_id)) == ["self_report_nguoi_dan"]

    seen = []
    result = api.complete(
        resident, dossier_id, "self_report_nguoi_dan", citizen_self_report(api, resident, dossier_id, 9)
    )
    seen += current(result)
    assert result["score"] == 90
    # Only the head of the resident's own village holds the review; another ward's sees nothing.
    assert api.get("demo-village-ab1", f"/dossiers/{dossier_id}").status_code == 404
    result = api.complete(
        "demo-village-ck1", dossier_id, "village_review", {"decision": "propose", "review_date": "2026-12-01"}
    )
    seen += current(result)
    assert api.get("demo-chairman-ab", f"/dossiers/{dossier_id}").status_code == 404
    result = api.complete("demo-chairman-ck", dossier_id, "recognition_decision", decision("approve"))
    assert seen == ["village_review", "recognition_decision"]
    assert result["status"] == "recognized" and current(result) == []
    assert {e["action"] for e in result["history"]} >= {"dossier.opened", "dossier.recognized"}


def test_a_worker_fills_the_workers_form_and_an_indicator_under_five_is_not_recognised(api, cdht):
    worker = cdht["worker"].username
    dossier_id = open_dossier(api, worker)
    assert current(api.dossier(worker, dossier_id)) == ["self_report_nguoi_lao_dong"]
    # 85 points in all, but indicator 4 has 4 points: the title needs every indicator at 5 or more.
    answers = citizen_self_report(api, worker, dossier_id, 9, i4=4)
    result = api.complete(worker, dossier_id, "self_report_nguoi_lao_dong", answers)
    assert result["score"] == 85
    assert result["status"] == "not_recognized" and current(result) == []
    assert api.get("demo-village-ck2", "/tasks").get_json()["total"] == 0


def test_a_total_under_eighty_is_not_recognised(api, cdht):
    resident = cdht["resident"].username
    dossier_id = open_dossier(api, resident)
    answers = citizen_self_report(api, resident, dossier_id, 7)
    result = api.complete(resident, dossier_id, "self_report_nguoi_dan", answers)
    assert result["score"] == 70 and result["status"] == "not_recognized"


def test_an_official_is_recognised_by_the_organisation_whose_staff_they_are(api, cdht):
    teacher, school = cdht["teacher"].username, cdht["school"].username
    dossier_id = open_dossier(api, teacher)
    # Before the organisation holds a step, its account sees nothing of its teacher's dossier.
    assert api.get(school, f"/dossiers/{dossier_id}").status_code == 404
    result = api.complete(
        teacher,
        dossier_id,
        "self_report_can_bo_doanh_nhan",
        citizen_self_report(api, teacher, dossier_id, 10),
    )
    assert current(result) == ["unit_recognition"]

    # The school's account holds the step and sees the dossier; nobody else's account does.
    task = api.task_for(school, dossier_id, "unit_recognition")
    assert api.get(school, f"/dossiers/{dossier_id}").status_code == 200
    for outsider in (cdht["other_school"].username, cdht["colleague"].username, teacher):
        tasks = api.get(outsider, "/tasks", query_string={"per_page": 200}).get_json()["items"]
        assert task["id"] not in [t["id"] for t in tasks]
        refused = api.post(outsider, f"/tasks/{task['id']}/complete", json={"data": decision("approve")})
        assert refused.status_code == 404
    for outsider in (cdht["other_school"].username, cdht["colleague"].username):
        assert api.get(outsider, f"/dossiers/{dossier_id}").status_code == 404
    # Officials have no hand in it: the village head and the chairman hold no step of it.
    assert api.get("demo-village-ck1", "/tasks").get_json()["total"] == 0
    assert api.get("demo-chairman-ck", "/tasks").get_json()["total"] == 0

    result = api.complete(school, dossier_id, "unit_recognition", decision("approve"))
    assert result["status"] == "recognized"
    # Having decided, the school still sees the dossier; the teacher sees its outcome.
    assert api.get(school, f"/dossiers/{dossier_id}").status_code == 200
    assert api.dossier(teacher, dossier_id)["status"] == "recognized"
    listed = api.get(school, "/dossiers", query_string={"per_page": 200}).get_json()["items"]
    assert dossier_id in [d["id"] for d in listed]


def test_a_student_returned_by_the_school_fills_the_students_form_again(api, cdht):
    student, school = cdht["student"].username, cdht["school"].username
    dossier_id = open_dossier(api, student)
    assert current(api.dossier(student, dossier_id)) == ["self_report_hoc_sinh_sinh_vien"]
    api.complete(
        student,
        dossier_id,
        "self_report_hoc_sinh_sinh_vien",
        citizen_self_report(api, student, dossier_id, 8),
    )
    returned = api.complete(school, dossier_id, "unit_recognition", decision("return_to_citizen"))
    assert returned["status_reason"] == "Chưa đủ minh chứng"
    assert current(returned) == ["self_report_hoc_sinh_sinh_vien"]
    api.complete(
        student,
        dossier_id,
        "self_report_hoc_sinh_sinh_vien",
        citizen_self_report(api, student, dossier_id, 9),
    )
    result = api.complete(school, dossier_id, "unit_recognition", decision("approve"))
    assert result["status"] == "recognized" and result["score"] == 90


def test_a_return_by_the_organisation_marks_the_dossier_returned(api, cdht):
    student, school = cdht["student"].username, cdht["school"].username
    dossier_id = open_dossier(api, student)
    api.complete(
        student,
        dossier_id,
        "self_report_hoc_sinh_sinh_vien",
        citizen_self_report(api, student, dossier_id, 8),
    )
    returned = api.complete(school, dossier_id, "unit_recognition", decision("return_to_citizen"))
    assert returned["status"] == "returned"


def test_the_commune_chairman_rejects_with_a_reason(api, cdht):
    worker = cdht["worker"].username
    dossier_id = open_dossier(api, worker)
    api.complete(
        worker, dossier_id, "self_report_nguoi_lao_dong", citizen_self_report(api, worker, dossier_id, 9)
    )
    api.complete(
        "demo-village-ck2", dossier_id, "village_review", {"decision": "propose", "review_date": "2026-12-01"}
    )
    result = api.complete("demo-chairman-ck", dossier_id, "recognition_decision", decision("reject"))
    assert result["status"] == "rejected" and result["status_reason"] == "Chưa đủ minh chứng"


def test_a_citizen_is_the_only_kind_of_subject_the_title_takes(api, cdht):
    response = api.post(cdht["school"].username, "/dossiers", json={"title": CITIZEN_TITLE, "year": YEAR})
    assert response.status_code == 409


def test_an_official_on_no_organisations_staff_is_told_so_and_keeps_the_self_assessment(app, api, cdht):
    loner = make_citizen(
        app, "cd-doanh-nhan", "DEMO-CK-V1", "can_bo_doanh_nhan", name="Đỗ Văn Tài", password=PASSWORD
    )
    api.token(loner.username, PASSWORD)
    dossier_id = open_dossier(api, loner.username)
    task = api.task_for(loner.username, dossier_id, "self_report_can_bo_doanh_nhan")
    answers = citizen_self_report(api, loner.username, dossier_id, 9)
    refused = api.post(loner.username, f"/tasks/{task['id']}/complete", json={"data": answers})
    # A conflict with the registry, said in words the citizen can act on (no relation code).
    assert refused.status_code == 409
    message = refused.get_json()["error"]["message"]
    assert "chưa thuộc cơ quan, đơn vị, tổ chức nào" in message and "staff" not in message
    assert current(api.dossier(loner.username, dossier_id)) == ["self_report_can_bo_doanh_nhan"]
