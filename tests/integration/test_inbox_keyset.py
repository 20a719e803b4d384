"""The inbox at scale: pages that follow a cursor (every open task once, in order, whatever ties the sort
keys have, and still so when tasks are done between pages), a count that stops at a cap, and the numbered
page/per_page contract that clients already use."""

import re
from datetime import timedelta
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.factories import at_commune_scoring
from tests.helpers import commune_accept

ROW = re.compile(r'data-testid="task-row" data-task-id="(\d+)"')
NEXT = re.compile(r'href="([^"]*)" data-testid="page-next"')
SORTS = ("due", "-due", "created", "-created", "self_score", "-self_score", "subject")


@pytest.fixture
def tied(app):
    """23 tasks at the commune's scoring whose sort keys tie in groups: four due dates and none, three
    creation times, three self-scores, two subject names."""
    from app.extensions import db
    from app.models import Dossier, HumanTask, Subject, utcnow

    dossier_ids = at_commune_scoring(app, 23, points=lambda index: 6 + index % 3)
    now = utcnow()
    with app.app_context():
        tasks = db.session.scalars(
            db.select(HumanTask).where(HumanTask.dossier_id.in_(dossier_ids), HumanTask.state == "open")
        ).all()
        for index, task in enumerate(sorted(tasks, key=lambda t: t.id)):
            task.due_at = None if index % 5 == 4 else now + timedelta(days=index % 4)
            task.created_at = now - timedelta(hours=index % 3)
            subject = db.session.get(Subject, db.session.get(Dossier, task.dossier_id).subject_id)
            subject.name = "Hộ Nguyễn Văn A" if index % 2 else "Hộ Trần Thị B"
        db.session.commit()
    return dossier_ids


def all_ids(api, **query) -> list[int]:
    """The whole view in one numbered page."""
    body = api.get("demo-commune", "/tasks", query_string={"per_page": 200, **query}).get_json()
    return [task["id"] for task in body["items"]]


def walk(api, per_page: int, **query) -> list[list[int]]:
    """Every page of a view through next_cursor."""
    pages, after = [], None
    while True:
        args = {"per_page": per_page, **query, **({"after": after} if after else {})}
        response = api.get("demo-commune", "/tasks", query_string=args)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        pages.append([task["id"] for task in body["items"]])
        after = body["next_cursor"]
        if after is None:
            return pages
        assert len(pages) < 50, "the cursor does not advance"


@pytest.mark.parametrize("sort", SORTS)
def test_cursor_pages_hold_every_open_task_once_in_the_sort_order(app, api, tied, sort):
    from app.extensions import db
    from app.models import HumanTask

    expected = all_ids(api, sort=sort)
    with app.app_context():
        open_ids = set(
            db.session.scalars(
                db.select(HumanTask.id).where(HumanTask.dossier_id.in_(tied), HumanTask.state == "open")
            )
        )
    assert set(expected) == open_ids and len(expected) == 23

    pages = walk(api, 4, sort=sort)
    assert [len(page) for page in pages] == [4, 4, 4, 4, 4, 3]
    assert [task_id for page in pages for task_id in page] == expected


def test_web_inbox_next_page_follows_the_cursor(app, web, api, tied):
    expected = all_ids(api, sort="-due")
    web.login("demo-commune")
    seen, url = [], "/inbox?sort=-due&per_page=20"
    for _ in range(3):
        response = web.get(url)
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        seen += [int(task_id) for task_id in ROW.findall(html)]
        link = unescape(NEXT.search(html).group(1))
        if len(seen) == len(expected):
            break
        assert "after" in parse_qs(urlsplit(link).query)
        url = link
    assert seen == expected
    # A cursor that is not one the server gave out: the numbered page instead of an error.
    assert web.get("/inbox?after=garbage&per_page=20").status_code == 200


def test_cursor_survives_a_task_completed_between_pages(app, api, tied):
    expected = all_ids(api)
    first = api.get("demo-commune", "/tasks", query_string={"per_page": 5}).get_json()
    assert [task["id"] for task in first["items"]] == expected[:5]
    # Done meanwhile: one task of the page already read, and the first of the next page.
    by_id = {task["id"]: task["dossier_id"] for task in first["items"]}
    api.complete("demo-commune", by_id[expected[2]], "commune_scoring", commune_accept())
    following = {t["id"]: t["dossier_id"] for t in api.get("demo-commune", "/tasks").get_json()["items"]}
    api.complete("demo-commune", following[expected[5]], "commune_scoring", commune_accept())

    second = api.get(
        "demo-commune", "/tasks", query_string={"per_page": 5, "after": first["next_cursor"]}
    ).get_json()
    # Nothing skipped, nothing repeated: the page starts after the last row read, less the task done.
    assert [task["id"] for task in second["items"]] == expected[6:11]


def test_count_stops_at_the_cap_and_says_more_than(app, api, web, tied, monkeypatch):
    import app.inbox.query as query

    body = api.get("demo-commune", "/tasks", query_string={"per_page": 5}).get_json()
    assert (body["total"], body["total_capped"]) == (23, False)

    monkeypatch.setattr(query, "COUNT_CAP", 10)
    body = api.get("demo-commune", "/tasks", query_string={"per_page": 5}).get_json()
    assert (body["total"], body["total_capped"]) == (10, True)
    assert len(body["items"]) == 5 and body["next_cursor"]
    web.login("demo-commune")
    html = web.get("/inbox").get_data(as_text=True)
    assert re.search(r'data-testid="inbox-total">[^<]*hơn 10<', html)


def test_numbered_pages_keep_their_contract(app, api, tied):
    expected = all_ids(api, sort="created")
    body = api.get(
        "demo-commune", "/tasks", query_string={"page": 2, "per_page": 5, "sort": "created"}
    ).get_json()
    assert [task["id"] for task in body["items"]] == expected[5:10]
    assert {k: body[k] for k in ("total", "page", "per_page")} == {"total": 23, "page": 2, "per_page": 5}
    beyond = api.get("demo-commune", "/tasks", query_string={"page": 9, "per_page": 5}).get_json()
    assert beyond["items"] == [] and beyond["total"] == 23 and beyond["next_cursor"] is None


def test_a_cursor_from_elsewhere_is_refused(api, tied):
    first = api.get("demo-commune", "/tasks", query_string={"per_page": 5, "sort": "due"}).get_json()
    for args in (
        {"after": "not-a-cursor"},
        {"cursor": "e30"},
        {"after": first["next_cursor"], "sort": "subject"},
    ):
        response = api.get("demo-commune", "/tasks", query_string=args)
        assert response.status_code == 422, args
    # "cursor" is the other name of "after".
    same = api.get("demo-commune", "/tasks", query_string={"per_page": 5, "cursor": first["next_cursor"]})
    assert same.status_code == 200 and len(same.get_json()["items"]) == 5


@pytest.mark.parametrize("sort", SORTS)
def test_each_task_knows_its_neighbours_and_place_in_the_sort_order(app, api, tied, sort):
    # Read next to the task from the sort's index (ties, due dates missing), not by numbering the view.
    from app.extensions import db
    from app.inbox.query import InboxFilter, neighbours, task_after
    from app.models import User, utcnow

    expected = all_ids(api, sort=sort)
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.username == "demo-commune"))
        view = InboxFilter(sort=sort)
        for index, task_id in enumerate(expected):
            around = neighbours(user, view, task_id, now=utcnow())
            assert around.previous == (expected[index - 1] if index else None)
            assert around.next == (expected[index + 1] if index + 1 < len(expected) else None)
            assert (around.position, around.total, around.total_capped) == (index + 1, 23, False)
            assert task_after(user, view, around.values, now=utcnow()) == around.next
        # A task the view does not hold: no place in it, and its first task is next.
        outside = neighbours(user, InboxFilter(sort=sort, score_min=99), expected[0], now=utcnow())
        assert (outside.previous, outside.position, outside.values) == (None, None, None)
        assert task_after(user, view, None, now=utcnow()) == expected[0]
