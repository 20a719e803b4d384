"""Decisions with an annexed list: a recognition decision completes the decision step of every listed
dossier in one transaction (all or none), can be revoked with a reason the dossiers show, and commendation
is a separate decision over dossiers already recognised (issue 9)."""

from sqlalchemy import func, select

from tests.factories import at_decision_step
from tests.helpers import TITLE, YEAR, city, commune_accept, self_report
from tests.integration.test_two_tier_procedure_api import commune_scores, upload_minutes, village_propose

NUMBER = "125/QĐ-UBND"


def draft_body(ids, *, kind="recognition", number=NUMBER, **extra) -> dict:
    return {
        "kind": kind,
        "title": TITLE,
        "year": YEAR,
        "number": number,
        "signed_on": "2026-12-20",
        "signer": "Trần Văn Chủ",
        "position": "Chủ tịch Hội đồng Thi đua – Khen thưởng",
        "dossier_ids": ids,
        **extra,
    }


def draft(api, user, ids, **extra) -> int:
    response = api.post(user, "/decisions", json=draft_body(ids, **extra))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["status"] == "draft"
    return response.get_json()["id"]


def statuses(app, ids) -> dict[str, int]:
    from app.extensions import db
    from app.models import Dossier

    with app.app_context():
        rows = db.session.execute(
            select(Dossier.status, func.count()).where(Dossier.id.in_(ids)).group_by(Dossier.status)
        ).all()
        return dict(rows)


def row_counts(app) -> dict[str, int]:
    from app.extensions import db

    tables = ("submission", "audit_event", "outbox", "human_task", "dossier", "decision", "decision_entry")
    with app.app_context():
        counts = {
            t: db.session.scalar(select(func.count()).select_from(db.metadata.tables[t])) for t in tables
        }
        counts["open_tasks"] = db.session.scalar(
            select(func.count())
            .select_from(db.metadata.tables["human_task"])
            .where(db.metadata.tables["human_task"].c.state == "open")
        )
        counts["recognized"] = db.session.scalar(
            select(func.count())
            .select_from(db.metadata.tables["dossier"])
            .where(db.metadata.tables["dossier"].c.status == "recognized")
        )
        return counts


def test_a_recognition_decision_for_200_dossiers_is_issued_in_one_call_of_the_api(app, api, web):
    ids = at_decision_step(app, 200)
    listed = api.get("demo-city", "/decisions/candidates", query_string={"kind": "recognition", "year": YEAR})
    assert listed.status_code == 200
    items = listed.get_json()["items"]
    assert sorted(item["dossier_id"] for item in items) == sorted(ids)
    assert {"dossier_id", "subject", "score", "rating"} <= items[0].keys() and items[0]["score"] == 90

    decision_id = draft(api, "demo-city", ids, names={str(ids[0]): "Hộ ông Nguyễn Văn Thử (in lại)"})
    assert statuses(app, ids) == {"in_progress": 200}
    issued = api.post("demo-city", f"/decisions/{decision_id}/issue")
    assert issued.status_code == 200, issued.get_json()
    assert issued.get_json()["status"] == "issued" and issued.get_json()["dossiers"] == 200
    assert statuses(app, ids) == {"recognized": 200}

    detail = api.get("demo-city", f"/decisions/{decision_id}").get_json()
    assert detail["kind"] == "recognition" and detail["number"] == NUMBER and detail["status"] == "issued"
    assert len(detail["dossiers"]) == 200
    first = detail["dossiers"][0]
    assert first["dossier_id"] == ids[0] and first["name_as_printed"] == "Hộ ông Nguyễn Văn Thử (in lại)"
    assert "/verify/" in first["verify_url"]
    # Every dossier's step was completed with the decision's particulars, as a click on it would.
    step = api.dossier("demo-city", ids[-1])
    assert step["status"] == "recognized" and step["current_tasks"] == []
    assert "decision.listed" in {e["action"] for e in step["history"]}
    web.login("demo-household")
    page = web.get(f"/dossiers/{ids[-1]}").get_data(as_text=True)
    assert f"Quyết định công nhận số {NUMBER}" in page
    # Nothing is left for the candidates list.
    assert api.get("demo-city", "/decisions/candidates").get_json()["items"] == []


def test_a_recognition_decision_for_200_dossiers_is_issued_from_the_pages(app, web):
    ids = at_decision_step(app, 200)
    web.login("demo-city")
    candidates = web.get(f"/decisions/candidates?kind=recognition&year={YEAR}&per_page=20")
    body = candidates.get_data(as_text=True)
    assert candidates.status_code == 200 and body.count('data-testid="candidate-row"') == 20
    assert "200" in body  # select all matching offers every one of them
    form = web.post(
        "/decisions/new",
        {"kind": "recognition", "year": YEAR, "all_matching": "1"},
        csrf_from="/decisions/candidates?kind=recognition",
    )
    text = form.get_data(as_text=True)
    assert form.status_code == 200 and text.count('name="dossier_ids"') == 200
    assert "Căn cứ" in text  # the legal basis comes prefilled
    data = {
        "kind": "recognition",
        "title": TITLE,
        "year": str(YEAR),
        "number": "7/QĐ-HĐTĐKT",
        "signed_on": "2026-12-20",
        "signer": "Trần Văn Chủ",
        "position": "Chủ tịch",
        "legal_basis": "Căn cứ Luật Thi đua, khen thưởng 2022;",
        "dossier_ids": [str(i) for i in ids],
        f"name-{ids[1]}": "Hộ bà Lê Thị Thử",
    }
    created = web.post("/decisions", data, csrf_from="/decisions/candidates?kind=recognition")
    assert created.status_code == 302, created.get_data(as_text=True)[:2000]
    review_url = created.headers["Location"]
    review = web.get(review_url).get_data(as_text=True)
    assert review.count('data-testid="annex-row"') == 200 and "Hộ bà Lê Thị Thử" in review
    assert statuses(app, ids) == {"in_progress": 200}
    # Without the confirmation nothing happens.
    web.post(f"{review_url}/issue", {}, csrf_from=review_url)
    assert statuses(app, ids) == {"in_progress": 200}
    done = web.post(f"{review_url}/issue", {"confirm": "1"}, csrf_from=review_url, follow_redirects=True)
    assert "Đã ban hành quyết định số 7/QĐ-HĐTĐKT cho 200 hồ sơ." in done.get_data(as_text=True)
    assert statuses(app, ids) == {"recognized": 200}
    dossier_page = web.get(f"/dossiers/{ids[5]}").get_data(as_text=True)
    assert "Quyết định công nhận số 7/QĐ-HĐTĐKT" in dossier_page
    listing = web.get("/decisions?status=issued").get_data(as_text=True)
    assert "7/QĐ-HĐTĐKT" in listing


def test_a_dossier_no_longer_at_its_decision_step_blocks_the_whole_decision_and_changes_nothing(app, api):
    ids = at_decision_step(app, 3)
    decision_id = draft(api, "demo-city", ids)
    # Meanwhile the city rejects one of them on its own.
    api.complete("demo-city", ids[1], "city_commendation", city("reject", "Không đủ minh chứng"))
    before = row_counts(app)
    refused = api.post("demo-city", f"/decisions/{decision_id}/issue")
    assert refused.status_code == 409, refused.get_json()
    body = refused.get_json()
    code = api.dossier("demo-city", ids[1])["code"]
    assert [d["dossier_id"] for d in body["dossiers"]] == [ids[1]]
    assert body["dossiers"][0]["dossier_code"] == code and code in body["error"]["message"]
    assert row_counts(app) == before
    assert statuses(app, [ids[0], ids[2]]) == {"in_progress": 2}
    assert api.get("demo-city", f"/decisions/{decision_id}").get_json()["status"] == "draft"


def test_revoking_needs_a_reason_and_every_listed_dossier_shows_it(app, api, web):
    ids = at_decision_step(app, 2)
    decision_id = draft(api, "demo-city", ids)
    # A draft cannot be revoked; it is issued first.
    assert api.post("demo-city", f"/decisions/{decision_id}/revoke", json={"reason": "x"}).status_code == 409
    assert api.post("demo-city", f"/decisions/{decision_id}/issue").status_code == 200
    assert api.post("demo-city", f"/decisions/{decision_id}/revoke", json={"reason": " "}).status_code == 422
    revoked = api.post("demo-city", f"/decisions/{decision_id}/revoke", json={"reason": "Sai số quyết định"})
    assert revoked.status_code == 200 and revoked.get_json()["status"] == "revoked"
    assert api.get("demo-city", f"/decisions/{decision_id}").get_json()["status"] == "revoked"
    assert (
        api.post("demo-city", f"/decisions/{decision_id}/revoke", json={"reason": "lại"}).status_code == 409
    )
    history = api.dossier("demo-city", ids[0])["history"]
    assert "decision.revoked" in {e["action"] for e in history}
    web.login("demo-household")
    page = web.get(f"/dossiers/{ids[0]}").get_data(as_text=True)
    assert f"Quyết định số {NUMBER} đã bị thu hồi: Sai số quyết định" in page


def test_who_may_decide_403_and_what_is_outside_the_jurisdiction_404(app, api, web):
    ids = at_decision_step(app, 1)
    for user in ("demo-household", "demo-commune", "demo-district"):
        assert api.get(user, "/decisions/candidates").status_code == 403, user
        assert api.post(user, "/decisions", json=draft_body(ids)).status_code == 403, user
    decision_id = draft(api, "demo-city", ids)
    assert api.get("demo-city", "/decisions/999999").status_code == 404
    # Another province's chairman neither sees nor issues it.
    assert api.get("demo-chairman-ck", f"/decisions/{decision_id}").status_code == 404
    assert api.post("demo-chairman-ck", f"/decisions/{decision_id}/issue").status_code == 404
    # A dossier outside the deciding official's reach cannot be listed: 422 naming it, nothing drafted.
    refused = api.post("demo-chairman-ck", "/decisions", json=draft_body(ids, number="1/QĐ-UBND"))
    assert refused.status_code == 422 and "dossier_ids" in refused.get_json()["errors"]
    # A household's pages are refused too; the nav link is only for deciders.
    web.login("demo-commune")
    assert web.get("/decisions/candidates").status_code == 403
    assert 'href="/decisions"' not in web.get("/inbox").get_data(as_text=True)
    web.login("demo-city")
    assert 'href="/decisions"' in web.get("/inbox").get_data(as_text=True)


def test_commendation_is_a_separate_decision_over_recognised_dossiers(app, api, web):
    ids = at_decision_step(app, 3)
    assert api.get(
        "demo-city", "/decisions/candidates", query_string={"kind": "commendation"}
    ).get_json() == {"items": []}
    recognition = draft(api, "demo-city", ids)
    assert api.post("demo-city", f"/decisions/{recognition}/issue").status_code == 200
    listed = api.get(
        "demo-city", "/decisions/candidates", query_string={"kind": "commendation", "year": YEAR}
    )
    assert sorted(item["dossier_id"] for item in listed.get_json()["items"]) == sorted(ids)

    commendation = draft(api, "demo-city", ids[:2], kind="commendation", number="9/QĐ-KT")
    before = statuses(app, ids)
    issued = api.post("demo-city", f"/decisions/{commendation}/issue")
    assert issued.status_code == 200 and issued.get_json()["dossiers"] == 2
    assert statuses(app, ids) == before == {"recognized": 3}  # no workflow step is run
    left = api.get("demo-city", "/decisions/candidates", query_string={"kind": "commendation", "year": YEAR})
    assert [item["dossier_id"] for item in left.get_json()["items"]] == [ids[2]]
    # A dossier still waiting for recognition cannot be commended.
    waiting = at_decision_step(app, 1, year=YEAR)
    refused = api.post(
        "demo-city", "/decisions", json=draft_body(waiting, kind="commendation", number="10/QĐ-KT")
    )
    assert refused.status_code == 422
    web.login("demo-city")
    page = web.get(f"/dossiers/{ids[0]}").get_data(as_text=True)
    assert f"Quyết định công nhận số {NUMBER}" in page and "Quyết định khen thưởng số 9/QĐ-KT" in page


def test_in_the_two_tier_procedure_the_commune_chairman_decides(app, api):
    dossier_id = api.post("demo-household-ck", "/dossiers", json={"title": TITLE, "year": YEAR}).get_json()[
        "id"
    ]
    api.complete("demo-household-ck", dossier_id, "self_report", self_report(9))
    api.complete(
        "demo-village-ck1",
        dossier_id,
        "village_review",
        village_propose(upload_minutes(api, "demo-village-ck1", dossier_id)),
    )
    api.complete("demo-commune-ck", dossier_id, "commune_scoring", commune_scores(9))
    assert commune_accept  # (the same scores as the four-level procedure's)
    # The commune officer scored it; the chairman decides. Neither the officer nor the city may.
    assert api.get("demo-commune-ck", "/decisions/candidates").status_code == 403
    listed = api.get("demo-chairman-ck", "/decisions/candidates", query_string={"year": YEAR}).get_json()[
        "items"
    ]
    assert [item["dossier_id"] for item in listed] == [dossier_id]
    assert api.get("demo-chairman-ab", "/decisions/candidates").get_json()["items"] == []
    assert dossier_id not in [
        i["dossier_id"] for i in api.get("demo-city", "/decisions/candidates").get_json()["items"]
    ]

    decision_id = draft(api, "demo-chairman-ck", [dossier_id], position="Chủ tịch UBND phường Cái Khế")
    issued = api.post("demo-chairman-ck", f"/decisions/{decision_id}/issue")
    assert issued.status_code == 200, issued.get_json()
    dossier = api.dossier("demo-chairman-ck", dossier_id)
    assert dossier["status"] == "recognized"

    from app.extensions import db
    from app.models import Submission

    with app.app_context():
        data = db.session.scalars(
            select(Submission.data).where(
                Submission.dossier_id == dossier_id, Submission.task_name == "recognition_decision"
            )
        ).one()
    # The step's form got the decision's own particulars.
    assert data["decision"] == "approve" and data["decision_number"] == NUMBER
    assert data["decision_date"] == "2026-12-20"
