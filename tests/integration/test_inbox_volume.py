"""The inbox for volume: search, filters, page sizes and sorts; many tasks claimed, released or completed
in one action (all or none); save and next from a task to the next one of the same list; the badge that
counts unread notifications and clears when they are read."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.factories import FACTORY_PASSWORD, at_commune_scoring, make_household
from tests.helpers import commune_accept, district, make_official, self_report

ROW = re.compile(r'data-testid="task-row" data-task-id="(\d+)"')
OTHER = "can-bo-xa-2"


def rows(response) -> list[int]:
    assert response.status_code == 200, response.status_code
    return [int(task_id) for task_id in ROW.findall(response.get_data(as_text=True))]


def task_ids(api, username: str = "demo-commune", **query) -> list[int]:
    response = api.get(username, "/tasks", query_string={"per_page": 200, **query})
    assert response.status_code == 200, response.get_json()
    return [task["id"] for task in response.get_json()["items"]]


def states(app, ids) -> dict[int, tuple[str, str | None]]:
    """(state, claimer's username) of each task."""
    from app.extensions import db
    from app.models import HumanTask

    with app.app_context():
        tasks = db.session.scalars(db.select(HumanTask).where(HumanTask.id.in_(ids))).all()
        return {t.id: (t.state, t.claimed_by.username if t.claimed_by else None) for t in tasks}


def audit_count(app, action: str) -> int:
    from app.extensions import db
    from app.models import AuditEvent

    with app.app_context():
        return db.session.scalar(db.select(db.func.count(AuditEvent.id)).where(AuditEvent.action == action))


def household_dossier(app, api, username: str, village: str, name: str, points: int = 9) -> int:
    """A named household's dossier, waiting for the commune's scoring."""
    make_household(app, username, village, name=name)
    api.token(username, FACTORY_PASSWORD)
    dossier_id = api.open_dossier(username)
    api.complete(username, dossier_id, "self_report", self_report(points))
    return dossier_id


def flashes(response) -> str:
    return " ".join(re.findall(r'role="alert">([^<]*)<', response.get_data(as_text=True)))


@pytest.fixture
def officer(web):
    web.login("demo-commune")
    return web


# ------------------------------------------------------------------------------- search and filters


def test_search_by_name_code_or_village_ignores_case(app, api, officer):
    dang = household_dossier(app, api, "ho-dang", "DEMO-AH-V1", "Đặng Thị Ánh")
    le = household_dossier(app, api, "ho-le", "DEMO-AH-V2", "Lê Văn Bình")
    code = api.dossier("demo-commune", le)["code"]
    by_dossier = {
        task["dossier_id"]: task["id"] for task in api.get("demo-commune", "/tasks").get_json()["items"]
    }

    assert rows(officer.get("/inbox", query_string={"q": "đặng thị"})) == [by_dossier[dang]]
    assert rows(officer.get("/inbox", query_string={"q": "ĐẶNG"})) == [by_dossier[dang]]
    assert rows(officer.get("/inbox", query_string={"q": code.lower()})) == [by_dossier[le]]
    # A village's name finds the dossiers of its households.
    in_v2 = rows(officer.get("/inbox", query_string={"q": "khu vực 2"}))
    assert by_dossier[le] in in_v2 and by_dossier[dang] not in in_v2
    # LIKE's wildcards are searched for as themselves.
    assert rows(officer.get("/inbox", query_string={"q": "%"})) == []
    # The API reads the same filters.
    assert task_ids(api, q="ánh") == [by_dossier[dang]]


def test_columns_and_filters_by_village_and_self_score(app, api, officer):
    from app.extensions import db
    from app.models import AdminUnit

    # Ten households in Khu vực 1, then two in Khu vực 2; self-scores 60, 70, 80, 90, 60...
    ids = at_commune_scoring(app, 12, points=lambda index: 6 + index % 4)
    totals = [api.dossier("demo-commune", dossier_id)["self_score"] for dossier_id in ids]
    assert totals == [60, 70, 80, 90] * 3
    page = officer.get("/inbox").get_data(as_text=True)
    assert 'data-testid="self-score">90<' in page and 'data-testid="village">Khu vực 1<' in page
    assert 'data-testid="days-waiting">0<' in page

    high = officer.get("/inbox", query_string={"score_min": 75, "score_max": 90})
    assert len(rows(high)) == 6
    assert len(task_ids(api, score_min=80)) == 6 and len(task_ids(api, score_max=60)) == 3

    with app.app_context():
        village = db.session.scalar(db.select(AdminUnit).where(AdminUnit.code == "DEMO-AH-V2"))
        village_id = village.id
    in_village = officer.get("/inbox", query_string={"village": village_id})
    villages = re.findall(r'data-testid="village">([^<]*)<', in_village.get_data(as_text=True))
    assert villages == ["Khu vực 2"] * 2
    # The village list offers the commune's villages.
    assert f'<option value="{village_id}" selected>Khu vực 2' in in_village.get_data(as_text=True)


def test_page_sizes_and_sorts(app, api, officer):
    at_commune_scoring(app, 25, points=lambda index: index % 10 + 1)
    assert len(rows(officer.get("/inbox"))) == 20
    assert len(rows(officer.get("/inbox", query_string={"per_page": 50}))) == 25
    # A size the page does not offer falls back to the default.
    assert len(rows(officer.get("/inbox", query_string={"per_page": 7}))) == 20
    second = officer.get("/inbox", query_string={"per_page": 20, "page": 2})
    assert len(rows(second)) == 5

    by_score = api.get("demo-commune", "/tasks", query_string={"sort": "-self_score", "per_page": 50})
    scores = [task["self_score"] for task in by_score.get_json()["items"]]
    assert scores == sorted(scores, reverse=True) and scores[0] == 100
    ascending = api.get("demo-commune", "/tasks", query_string={"sort": "self_score"}).get_json()["items"]
    assert [t["self_score"] for t in ascending] == sorted(t["self_score"] for t in ascending)
    by_name = api.get("demo-commune", "/tasks", query_string={"sort": "subject"}).get_json()["items"]
    assert [t["subject"] for t in by_name] == sorted(t["subject"] for t in by_name)
    # The web list keeps the order of the API for the same view.
    web_order = rows(officer.get("/inbox", query_string={"sort": "-self_score", "per_page": 50}))
    assert web_order == [task["id"] for task in by_score.get_json()["items"]]


# ------------------------------------------------------------------------------------- bulk claim


def test_bulk_claim_of_25_tasks_in_one_action_then_release(app, api, officer):
    at_commune_scoring(app, 25)
    ids = task_ids(api)
    assert len(ids) == 25
    response = officer.post(
        "/inbox/bulk",
        {"action": "claim", "task_ids": [str(i) for i in ids], "next": "/inbox?per_page=50"},
        csrf_from="/inbox?per_page=50",
    )
    assert response.status_code == 302 and response.headers["Location"] == "/inbox?per_page=50"
    assert set(states(app, ids).values()) == {("open", "demo-commune")}
    assert audit_count(app, "task.claimed") == 25
    assert "Đã nhận xử lý 25 công việc." in flashes(officer.get("/inbox?per_page=50"))

    released = officer.post(
        "/inbox/bulk", {"action": "release", "task_ids": [str(i) for i in ids[:10]]}, csrf_from="/inbox"
    )
    assert released.status_code == 302
    after = states(app, ids)
    assert [after[i][1] for i in ids[:10]] == [None] * 10
    assert {after[i][1] for i in ids[10:]} == {"demo-commune"}
    assert audit_count(app, "task.released") == 10


def test_bulk_claim_is_all_or_none_with_the_reason(app, api, officer):
    at_commune_scoring(app, 25)
    ids = task_ids(api)
    make_official(app, OTHER)
    api.token(OTHER, "matkhau123")
    assert api.post(OTHER, f"/tasks/{ids[7]}/claim").status_code == 200

    response = api.post("demo-commune", "/tasks/claim", json={"task_ids": ids})
    assert response.status_code == 409
    body = response.get_json()
    assert "1 trong 25" in body["error"]["message"]
    [reason] = body["reasons"]
    assert reason["task_id"] == ids[7] and "Cán bộ xã thứ hai" in reason["message"]
    assert reason["dossier_code"].startswith("GDHT-")
    claimed = states(app, ids)
    assert [i for i in ids if claimed[i][1] == "demo-commune"] == []
    assert audit_count(app, "task.claimed") == 1  # only the other official's own claim

    # The same refusal on the web page, with the dossier named; still nothing claimed.
    refused = officer.post(
        "/inbox/bulk", {"action": "claim", "task_ids": [str(i) for i in ids]}, csrf_from="/inbox"
    )
    assert refused.status_code == 302
    message = flashes(officer.get("/inbox"))
    assert "Chưa nhận xử lý công việc nào" in message and reason["dossier_code"] in message
    assert [i for i in ids if states(app, ids)[i][1] == "demo-commune"] == []

    # Without the taken one, all 24 are claimed at once.
    rest = [i for i in ids if i != ids[7]]
    done = api.post("demo-commune", "/tasks/claim", json={"task_ids": rest})
    assert done.status_code == 200 and done.get_json() == {"claimed": sorted(rest)}


def test_bulk_release_through_the_api_and_bad_selections(app, api):
    at_commune_scoring(app, 3)
    ids = task_ids(api)
    assert api.post("demo-commune", "/tasks/claim", json={"task_ids": ids}).status_code == 200
    released = api.post("demo-commune", "/tasks/release", json={"task_ids": ids})
    assert released.status_code == 200 and released.get_json() == {"released": sorted(ids)}
    assert {claimer for _, claimer in states(app, ids).values()} == {None}

    for body in (
        {"task_ids": []},
        {"task_ids": ["1"]},
        {"task_ids": [True]},
        {},
        {"task_ids": list(range(1, 202))},
    ):
        assert api.post("demo-commune", "/tasks/claim", json=body).status_code == 422, body
    # Someone else's tasks (another commune) are refused as not found, and never named.
    foreign = api.post("demo-commune-b", "/tasks/claim", json={"task_ids": ids[:1]})
    assert foreign.status_code == 409 and foreign.get_json()["reasons"][0]["dossier_code"] is None


# ---------------------------------------------------------------------------------- bulk completion


def test_bulk_completion_is_refused_for_a_form_that_needs_scores_per_dossier(app, api, officer):
    at_commune_scoring(app, 3)
    ids = task_ids(api)
    response = officer.post(
        "/inbox/bulk", {"action": "complete", "task_ids": [str(i) for i in ids]}, csrf_from="/inbox"
    )
    assert response.status_code == 302
    message = flashes(officer.get("/inbox"))
    assert "Chấm điểm cấp xã" in message and "cần chấm điểm riêng cho từng hồ sơ" in message
    # Posting the answer directly is refused the same way; nothing changes.
    direct = officer.post(
        "/inbox/bulk/complete", {"task_ids": [str(i) for i in ids], **commune_accept()}, csrf_from="/inbox"
    )
    assert direct.status_code == 302
    assert set(states(app, ids).values()) == {("open", None)}
    assert audit_count(app, "task.completed") == 3  # the three self-assessments only


def _at_district_verification(app, api, count: int) -> list[int]:
    dossiers = at_commune_scoring(app, count)
    for dossier_id in dossiers:
        api.complete("demo-commune", dossier_id, "commune_scoring", commune_accept())
    return task_ids(api, "demo-district")


def test_bulk_completion_of_a_step_that_allows_it(app, api, web):
    ids = _at_district_verification(app, api, 4)
    web.login("demo-district")
    confirm = web.post(
        "/inbox/bulk",
        {"action": "complete", "task_ids": [str(i) for i in ids], "next": "/inbox?sort=created"},
        csrf_from="/inbox",
    )
    page = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and page.count('data-testid="bulk-item"') == 4
    assert "Thẩm định cấp huyện" in page and 'name="decision"' in page
    assert set(states(app, ids).values()) == {("open", None)}  # the confirmation page changes nothing

    # An answer the form refuses comes back with the list and the errors; nothing is done.
    missing = web.post(
        "/inbox/bulk/complete", {"task_ids": [str(i) for i in ids], "decision": "reject"}, csrf_from="/inbox"
    )
    assert missing.status_code == 422 and missing.get_data(as_text=True).count('data-testid="bulk-item"') == 4
    assert set(states(app, ids).values()) == {("open", None)}

    done = web.post(
        "/inbox/bulk/complete",
        {"task_ids": [str(i) for i in ids], "next": "/inbox?sort=created", **district("approve")},
        csrf_from="/inbox",
    )
    assert done.status_code == 302 and done.headers["Location"] == "/inbox?sort=created"
    assert {state for state, _ in states(app, ids).values()} == {"completed"}
    # Each dossier took its own step: its own submission and history, and its next task.
    assert len(task_ids(api, "demo-city")) == 4
    assert audit_count(app, "task.completed") == 4 * 3
    assert "Đã hoàn thành 4 công việc" in flashes(web.get("/inbox"))


def test_bulk_completion_is_all_or_none(app, api, web):
    from app.extensions import db
    from app.models import HumanTask, User, utcnow
    from app.services.bulk import BulkRefused, complete_tasks
    from forms import MultiDict

    ids = _at_district_verification(app, api, 3)
    with app.app_context():
        # The middle dossier's household is the district officer's own: its step is refused only once
        # the first dossier's step has already run in the same transaction.
        actor = db.session.scalar(db.select(User).where(User.username == "demo-district"))
        db.session.get(HumanTask, ids[1]).dossier.subject.account_id = actor.id
        db.session.commit()
        with pytest.raises(BulkRefused) as refused:
            complete_tasks(ids, MultiDict(district("approve")), actor=actor, now=utcnow())
    assert [r.task_id for r in refused.value.refusals] == [ids[1]]
    assert "chính hộ gia đình" in refused.value.refusals[0].message
    assert {state for state, _ in states(app, ids).values()} == {"open"}
    assert task_ids(api, "demo-city") == [] and audit_count(app, "task.completed") == 3 * 2

    # On the page, a task someone else took meanwhile: the confirmation comes back with that dossier
    # marked, and nothing is done.
    make_official(app, "can-bo-huyen-2", role="district_officer", unit="DEMO-NK", full_name="Cán bộ huyện 2")
    api.token("can-bo-huyen-2", "matkhau123")
    assert api.post("can-bo-huyen-2", f"/tasks/{ids[2]}/claim").status_code == 200
    web.login("demo-district")
    page = web.post(
        "/inbox/bulk/complete", {"task_ids": [str(i) for i in ids], **district("approve")}, csrf_from="/inbox"
    )
    assert page.status_code == 409 and page.get_data(as_text=True).count('data-testid="bulk-refusal"') == 1
    assert {state for state, _ in states(app, ids).values()} == {"open"}


# ----------------------------------------------------------------------------------- save and next


def _view(location: str) -> dict:
    return parse_qs(parse_qs(urlsplit(location).query)["inbox"][0])


def test_save_and_next_opens_the_next_task_of_the_same_list(app, api, officer):
    at_commune_scoring(app, 4, points=lambda index: 6 + index)  # self-scores 60, 70, 80, 90
    inbox = officer.get("/inbox", query_string={"sort": "-self_score", "score_min": 70})
    listed = rows(inbox)
    assert len(listed) == 3
    links = re.findall(r'href="(/tasks/\d+\?inbox=[^"]+)"', inbox.get_data(as_text=True))
    first = links[0].replace("&amp;", "&")
    assert first.startswith(f"/tasks/{listed[0]}?")

    task_page = officer.get(first).get_data(as_text=True)
    assert 'data-testid="next-task"' in task_page and 'data-testid="previous-task"' not in task_page
    assert "Việc 1 trong 3 của danh sách" in task_page
    assert 'aria-keyshortcuts="j"' in task_page and "/static/js/task_nav.js" in task_page
    back = re.search(r'href="([^"]+)" data-nav="list"', task_page).group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(back).query) == {"sort": ["-self_score"], "score_min": ["70"]}

    answers = {k: str(v) for k, v in commune_accept().items()}
    done = officer.post(first, answers, csrf_from=first)
    assert done.status_code == 302
    assert urlsplit(done.headers["Location"]).path == f"/tasks/{listed[1]}"
    assert _view(done.headers["Location"]) == {"sort": ["-self_score"], "score_min": ["70"]}

    second = done.headers["Location"]
    second_page = officer.get(second).get_data(as_text=True)
    assert "Việc 1 trong 2 của danh sách" in second_page
    assert (
        officer.post(second, answers, csrf_from=second).headers["Location"].startswith(f"/tasks/{listed[2]}?")
    )
    third = f"/tasks/{listed[2]}?" + urlsplit(second).query
    last = officer.post(third, answers, csrf_from=third)
    # Nothing left in the list: back to it, saying so.
    assert urlsplit(last.headers["Location"]).path == "/inbox"
    assert parse_qs(urlsplit(last.headers["Location"]).query) == {
        "sort": ["-self_score"],
        "score_min": ["70"],
    }
    assert "Không còn công việc nào tiếp theo trong danh sách này." in flashes(
        officer.get(last.headers["Location"])
    )
    assert {state for state, _ in states(app, listed).values()} == {"completed"}


def test_a_task_opened_elsewhere_still_lands_on_its_dossier(app, api, officer):
    [dossier_id] = at_commune_scoring(app, 1)
    [task_id] = task_ids(api)
    answers = {k: str(v) for k, v in commune_accept().items()}
    done = officer.post(f"/tasks/{task_id}", answers)
    assert done.status_code == 302 and done.headers["Location"] == f"/dossiers/{dossier_id}"


# --------------------------------------------------------------------------------------- the badge


def _badge(web) -> int:
    return int(
        re.search(r'data-testid="unread-count">(\d+)<', web.get("/dossiers").get_data(as_text=True)).group(1)
    )


def test_the_badge_counts_unread_notifications_and_reading_clears_it(app, api, officer):
    from app.extensions import db
    from app.models import Notification, User

    at_commune_scoring(app, 3)
    assert _badge(officer) == 3  # one "new task" notification each
    with app.app_context():
        user_id = db.session.scalar(db.select(User.id).where(User.username == "demo-commune"))
        first = db.session.scalar(
            db.select(Notification).where(Notification.user_id == user_id).order_by(Notification.id)
        )
        notice_id, notice_task = first.id, first.human_task_id

    # Opening the notification's task reads that one.
    opened = officer.get(f"/notifications/{notice_id}/open")
    assert opened.status_code == 302 and opened.headers["Location"] == f"/tasks/{notice_task}"
    assert _badge(officer) == 2
    # Opening the page reads them all; the new ones are marked on that visit only.
    listing = officer.get("/notifications").get_data(as_text=True)
    assert "2 thông báo mới từ lần xem trước." in listing and listing.count(">Mới<") == 2
    assert _badge(officer) == 0
    assert ">Mới<" not in officer.get("/notifications").get_data(as_text=True)
    # Someone else's notification is not theirs to open.
    make_official(app, OTHER)
    other = type(officer)(app)
    other.login(OTHER, "matkhau123")
    assert other.get(f"/notifications/{notice_id}/open").status_code == 404


def test_one_transaction_commits_nothing_after_a_call_in_it_rolled_back(app, api):
    """The guard under the bulk acts: a block whose caller went on after a failed call commits nothing."""
    from app.extensions import db
    from app.models import User, utcnow
    from app.services.dossiers import claim_task
    from app.services.uow import PartlyRolledBack, one_transaction, rollback

    at_commune_scoring(app, 2)
    first, second = task_ids(api)
    with app.app_context():
        actor = db.session.scalar(db.select(User).where(User.username == "demo-commune"))
        with pytest.raises(PartlyRolledBack), one_transaction():
            claim_task(first, actor=actor, now=utcnow())
            rollback()  # what a failing service does before it raises
            claim_task(second, actor=actor, now=utcnow())
    assert {claimer for _, claimer in states(app, [first, second]).values()} == {None}
