"""A step that ends a dossier is never a surprise: the task page states the outcome of the answers, the
preview endpoint states it while they are typed, and a submission that would end the dossier is shown
again for confirmation, changing nothing, until it is confirmed."""

import random
import re

import pytest

from tests.helpers import ITEMS, commune_accept, commune_return, district, walk

# 82 points, criterion 2 (Học tập của người lớn) at 14 of 30: under half of its maximum.
EIGHTY_TWO = {"c1c": 8, "c2a": 4, "c2b": 5, "c2c": 5}
SENTENCE = "Hồ sơ sẽ KHÔNG được công nhận vì:"


def commune_task(api, **walk_options) -> tuple[int, int]:
    dossier_id = walk(api, to="commune_scoring", **walk_options)
    return dossier_id, api.task_for("demo-commune", dossier_id, "commune_scoring")["id"]


def state_of(app, dossier_id: int) -> dict:
    from app.extensions import db
    from app.models import AuditEvent, Dossier, Submission

    with app.app_context():
        dossier = db.session.get(Dossier, dossier_id)
        return {
            "status": dossier.status,
            "state": dossier.state,
            "score": dossier.score,
            "reason": dossier.status_reason,
            "open": sorted(t.name for t in dossier.tasks if t.state == "open"),
            "submissions": db.session.scalar(
                db.select(db.func.count(Submission.id)).where(Submission.dossier_id == dossier_id)
            ),
            "events": db.session.scalar(
                db.select(db.func.count(AuditEvent.id)).where(AuditEvent.dossier_id == dossier_id)
            ),
        }


def preview(web, task_id: int, data: dict):
    return web.post(f"/tasks/{task_id}/preview", data, csrf_from=f"/tasks/{task_id}")


def test_an_ending_score_is_shown_again_for_confirmation_and_changes_nothing_until_confirmed(app, api, web):
    dossier_id, task_id = commune_task(api)
    web.login("demo-commune")
    before = state_of(app, dossier_id)

    asked = web.post(f"/tasks/{task_id}", commune_accept(10, **EIGHTY_TWO))
    assert asked.status_code == 200
    page = asked.get_data(as_text=True)
    assert "Tổng điểm: 82/100" in page
    assert f"{SENTENCE} Tiêu chí 2 (Học tập của người lớn trong gia đình) đạt 14/30 điểm" in page
    assert "Kết quả: Không được công nhận. Sau khi gửi, hồ sơ kết thúc và không thể mở lại." in page
    assert 'name="confirm_ending" value="1"' in page
    assert re.search(r'data-testid="ending-confirm"\s*>', page), "the confirmation is shown, not hidden"
    # The answers are kept as typed.
    assert re.search(r'id="f-c1c" name="c1c"[^>]*value="8"', page)
    assert re.search(r'value="accept" checked', page)
    assert state_of(app, dossier_id) == before

    confirmed = web.post(f"/tasks/{task_id}", {**commune_accept(10, **EIGHTY_TWO), "confirm_ending": "1"})
    assert confirmed.status_code == 302
    after = state_of(app, dossier_id)
    assert after["status"] == "not_recognized" and after["score"] == 82 and after["open"] == []
    assert "Tiêu chí 2 (Học tập của người lớn trong gia đình) đạt 14/30 điểm" in after["reason"]


@pytest.mark.parametrize(
    "answers, status, opened",
    [
        (commune_accept(9), "in_progress", ["district_verification"]),
        (commune_return(), "returned", ["self_report"]),
    ],
    ids=["recognisable-score", "return-to-household"],
)
def test_an_outcome_that_does_not_end_the_dossier_needs_no_confirmation(
    app, api, web, answers, status, opened
):
    dossier_id, task_id = commune_task(api)
    web.login("demo-commune")
    response = web.post(f"/tasks/{task_id}", answers)
    assert response.status_code == 302
    after = state_of(app, dossier_id)
    assert after["status"] == status and after["open"] == opened


def test_a_rejection_asks_with_the_reason_the_household_will_read(app, api, web):
    dossier_id = walk(api, to="district_verification")
    task_id = api.task_for("demo-district", dossier_id, "district_verification")["id"]
    web.login("demo-district")
    answers = district("reject", reason="Thiếu minh chứng tiêu chí 2")
    page = web.post(f"/tasks/{task_id}", answers).get_data(as_text=True)
    assert f"{SENTENCE} Thiếu minh chứng tiêu chí 2. Kết quả: Từ chối." in page
    assert state_of(app, dossier_id)["status"] == "in_progress"
    assert web.post(f"/tasks/{task_id}", {**answers, "confirm_ending": "1"}).status_code == 302
    assert state_of(app, dossier_id)["status"] == "rejected"


def test_the_task_page_states_the_outcome_of_the_answers_it_shows(api, web):
    dossier_id, task_id = commune_task(api, self_points=7)
    web.login("demo-commune")
    # Pre-filled with the household's 70 points; no decision chosen yet, so nothing is said to end.
    page = web.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "Tổng điểm: 70/100" in page and "Tổng điểm: 70/100 (cần từ 80)" in page
    assert 'data-met="false"' in page and SENTENCE not in page
    assert "Có ô chưa chọn hoặc chưa hợp lệ" in page


def test_the_preview_answers_with_the_servers_verdict_and_changes_nothing(app, api, web):
    dossier_id, task_id = commune_task(api)
    web.login("demo-commune")
    before = state_of(app, dossier_id)

    answer = preview(web, task_id, commune_accept(10, **EIGHTY_TWO))
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["outcome"]["score"]["total"] == 82 and body["outcome"]["score"]["passed"] is False
    assert body["outcome"]["valid"] and body["outcome"]["settled"] and body["outcome"]["counted"]
    unmet = [check["text"] for check in body["outcome"]["checks"] if not check["met"]]
    assert unmet == ["Tiêu chí 2 (Học tập của người lớn trong gia đình): 14/30 điểm (tối thiểu 15)"]
    assert body["ending"]["status"] == "not_recognized"
    assert body["ending"]["sentence"].startswith(f"{SENTENCE} Tiêu chí 2")
    assert "82/100" in body["html"] and 'data-met="false"' in body["html"]

    # Without a decision the route is open: a score is shown, no ending is claimed.
    undecided = preview(web, task_id, {k: v for k, v in commune_accept(7).items() if k != "decision"})
    body = undecided.get_json()
    assert body["outcome"]["settled"] is False and body["ending"] is None
    assert body["outcome"]["score"]["total"] == 70 and body["outcome"]["counted"] is False

    # A return keeps no score and ends nothing, whatever the scores typed.
    body = preview(web, task_id, {**commune_return(), "c1a": "0"}).get_json()
    assert body["outcome"]["counted"] is False and body["ending"] is None

    # An invalid score is not counted, and the verdict says it may change.
    body = preview(web, task_id, commune_accept(9, c2a="15")).get_json()
    assert body["outcome"]["valid"] is False and body["outcome"]["settled"] is False
    assert body["outcome"]["score"]["total"] == 81 and body["ending"] is None

    assert state_of(app, dossier_id) == before


def test_the_preview_is_csrf_protected_and_only_for_the_tasks_officials(app, api, web):
    _dossier_id, task_id = commune_task(api)
    web.login("demo-commune")
    assert web.client.post(f"/tasks/{task_id}/preview", data=commune_accept(9)).status_code == 400
    other = type(web)(app)
    other.login("demo-district")
    assert (
        other.post(f"/tasks/{task_id}/preview", commune_accept(9), csrf_from="/dossiers").status_code == 404
    )


def test_the_api_completes_an_ending_step_without_being_asked(app, api):
    dossier_id, _task_id = commune_task(api)
    api.complete("demo-commune", dossier_id, "commune_scoring", commune_accept(10, **EIGHTY_TWO))
    assert state_of(app, dossier_id)["status"] == "not_recognized"


def generated_answers(rng: random.Random) -> dict:
    """Scores around the pass mark and the criterion floors, now and then a return, an invalid score or
    no decision at all."""
    answers = {item: str(rng.choice([3, 4, 5, 6, 7, 8, 9, 10, 10, 10])) for item in ITEMS}
    roll = rng.random()
    if roll < 0.1:
        answers["decision"] = "return_to_household"
        answers["comment"] = "Bổ sung minh chứng"
    elif roll < 0.9:
        answers["decision"] = "accept"
    if rng.random() < 0.1:
        answers[rng.choice(ITEMS)] = rng.choice(["15", "-3", "7.5", ""])
    return answers


def test_the_preview_agrees_with_what_the_submission_does(app, api, web):
    """For generated answers, what the preview says (valid, total, passed, ends the dossier) is what
    submitting the same answers, confirmed, then does."""
    rng = random.Random(7)
    web.login("demo-commune")
    outcomes = set()
    for case in range(24):
        dossier_id, task_id = commune_task(api, year=2030 + case)
        answers = generated_answers(rng)
        said = preview(web, task_id, answers).get_json()
        response = web.post(f"/tasks/{task_id}", {**answers, "confirm_ending": "1"})
        after = state_of(app, dossier_id)
        context = f"case {case}: {answers} → {said['outcome']}, {said['ending']}"
        if not said["outcome"]["valid"]:
            assert response.status_code == 422 and after["status"] == "in_progress", context
            outcomes.add("invalid")
            continue
        assert response.status_code == 302, context
        ends = said["ending"] is not None
        assert (after["status"] == "not_recognized") == ends, context
        if said["outcome"]["counted"]:
            assert after["score"] == said["outcome"]["score"]["total"], context
            assert (after["status"] == "in_progress") == said["outcome"]["score"]["passed"], context
            if ends:
                assert after["reason"] == " ".join(said["outcome"]["score"]["shortfalls"]), context
        outcomes.add(after["status"])
    # The generated answers reached every outcome.
    assert outcomes == {"invalid", "in_progress", "not_recognized", "returned"}
