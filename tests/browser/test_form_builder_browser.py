"""The form builder in a real browser: an admin builds a small form with two scored criteria (fields
added, one dragged into place, a condition set by picking), previews and scores it, publishes it, and
the preview works on a phone; a label, a help text or a choice holding a script, quotes or ``{{ }}``
shows as text and never runs, in the builder, its preview, the task page and the dossier page."""

import io
import json
import re

import pytest
from playwright.sync_api import Page, expect

from tests.procedure_factory import FORMS, TITLE, package_files, zip_bytes

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 812}
PWNED = "<script>window.pwned=1</script>"
# Choice labels: a script element, quotes that would close an attribute, and a template expression.
SCRIPT_CHOICE = "<script>window.pwned=3</script> Có"
QUOTED_CHOICE = '"\'><img src=x onerror="window.pwned=4"> {{ 7*7 }}'


def log_in(page: Page, username: str = "demo-admin", password: str = "demo1234") -> None:
    page.goto("/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("logout")).to_be_attached()


def create_form(page: Page, key: str) -> None:
    page.goto("/admin/forms")
    page.get_by_test_id("new-key").fill(key)
    page.get_by_test_id("new-title-vi").fill("Gia đình đọc sách")
    page.get_by_test_id("create").click()
    expect(page.locator("body[data-builder-ready]")).to_be_attached()


def add_field(page: Page, type_: str) -> None:
    page.get_by_test_id("add-type").select_option(type_)
    page.get_by_test_id("add-field").click()


def set_value(page: Page, input_id: str, value: str) -> None:
    """Type into a builder input and leave it, as an admin does (a name change redraws on "change")."""
    page.locator(f"#{input_id}").fill(value)
    page.locator(f"#{input_id}").dispatch_event("change")


def drag(page: Page, source, target) -> None:
    """Drag a card by its handle onto the top half of another, with real mouse moves (SortableJS)."""
    handle = source.locator(".drag-handle").bounding_box()
    box = target.bounding_box()
    page.mouse.move(handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + 40, box["y"] + box["height"] / 2, steps=12)
    page.mouse.move(box["x"] + 40, box["y"] + 4, steps=12)
    page.mouse.up()


def card_names(page: Page) -> list[str]:
    return page.get_by_test_id("field-card").evaluate_all("cards => cards.map(c => c.dataset.name)")


def test_admin_builds_previews_scores_and_publishes_a_form(page: Page, new_context):
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page)
    create_form(page, "doc_sach")

    # A decision with two choices.
    add_field(page, "choice")
    set_value(page, "b-fields-0-name", "decision")
    page.locator("#b-fields-0-label-vi").fill("Kết quả")
    set_value(page, "b-fields-0-choices-0--value", "accept")
    page.locator("#b-fields-0-choices-0-label-vi").fill("Đồng ý")
    page.get_by_test_id("field-card").first.locator("[data-action=add-choice]").click()
    set_value(page, "b-fields-0-choices-1--value", "return")
    page.locator("#b-fields-0-choices-1-label-vi").fill("Trả lại")

    # Two criteria of 10 points, and a score field for each.
    page.get_by_test_id("add-criterion").click()
    page.get_by_test_id("add-criterion").click()
    expect(page.get_by_test_id("criterion")).to_have_count(2)
    add_field(page, "score")
    page.locator("#b-fields-1-label-vi").fill("Đọc sách mỗi ngày")
    add_field(page, "score")
    page.locator("#b-fields-2-label-vi").fill("Có tủ sách gia đình")
    page.locator("#b-fields-2-criterion").select_option("tc2")
    sums = page.get_by_test_id("criterion-sum")
    expect(sums.nth(0)).to_have_attribute("data-ok", "true")
    expect(sums.nth(1)).to_have_attribute("data-ok", "true")
    expect(page.get_by_test_id("criteria-total")).to_contain_text("20")
    page.locator("#b-scoring-pass-total").fill("15")

    # A comment, required only when the decision is "return": picked, not typed.
    add_field(page, "textarea")
    set_value(page, "b-fields-3-name", "comment")
    page.locator("#b-fields-3-label-vi").fill("Ý kiến")
    page.locator("#b-fields-3-required-if").select_option("decision")
    page.get_by_test_id("field-list").get_by_label("Trả lại").check()

    # Drag the comment above the first score field, the cards folded as an admin would.
    assert card_names(page) == ["decision", "score", "score_2", "comment"]
    expanded = page.locator("[data-action=toggle][aria-expanded=true]")
    while expanded.count():
        expanded.first.click()
    cards = page.get_by_test_id("field-card")
    drag(page, cards.nth(3), cards.nth(1))
    expect(page.get_by_test_id("field-card").nth(1)).to_have_attribute("data-name", "comment")
    assert card_names(page) == ["decision", "comment", "score", "score_2"]

    # The preview is the real form: fill it in and score it.
    preview = page.get_by_test_id("preview")
    expect(preview.locator("input[name=score_2]")).to_be_visible()
    expect(preview).to_contain_text("Có tủ sách gia đình")
    preview.get_by_label("Đồng ý").check()
    preview.locator("input[name=score]").fill("9")
    preview.locator("input[name=score_2]").fill("8")
    preview.get_by_test_id("preview-score").click()
    expect(preview.get_by_test_id("preview-total")).to_have_text("17")

    # "Return" without a comment: the condition the admin picked holds in the preview's validation.
    preview.get_by_label("Trả lại").check()
    preview.get_by_test_id("preview-score").click()
    expect(
        preview.locator("[data-field=comment] .invalid-feedback, [data-field=comment] .text-danger")
    ).not_to_have_count(0)

    page.get_by_test_id("save-draft").click()
    expect(page.get_by_test_id("builder-status")).to_contain_text("Đã lưu bản nháp")
    page.get_by_test_id("publish").click()
    expect(page.get_by_test_id("published")).to_have_attribute("data-version", "1")

    page.goto("/admin/forms?q=doc_sach")
    expect(page.locator('[data-key="doc_sach"] [data-version="1"]')).to_be_visible()

    # On a phone the builder reopens at version 1, and its preview can be filled in and scored.
    phone = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    log_in(phone)
    phone.goto("/admin/forms/doc_sach/edit")
    expect(phone.locator("body[data-builder-ready]")).to_be_attached()
    phone_preview = phone.get_by_test_id("preview")
    phone_preview.locator("input[name=score]").fill("10")
    phone_preview.get_by_label("Đồng ý").check()
    phone_preview.get_by_test_id("preview-score").click()
    expect(phone_preview.get_by_test_id("preview-total")).to_have_text("10")
    expect(phone_preview.get_by_test_id("preview-outcome")).to_contain_text("Không đạt")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # Reordering on a phone uses the buttons (the drag handle is hidden there).
    phone.get_by_test_id("field-card").nth(1).locator("[data-action=down]").click()
    expect(phone.get_by_test_id("field-card").nth(2)).to_have_attribute("data-name", "comment")


def test_a_script_in_a_label_shows_as_text_and_never_runs(page: Page):
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page)
    create_form(page, "nhan_doc")
    add_field(page, "text")
    page.locator("#b-fields-0-label-vi").fill(PWNED)
    page.locator("#b-fields-0-help-vi").fill('"><img src=x onerror="window.pwned=1"> {{ 7*7 }}')
    preview = page.get_by_test_id("preview")
    expect(preview.locator("label[for=f-text]")).to_contain_text(PWNED)
    expect(preview).to_contain_text("{{ 7*7 }}")
    assert preview.locator("script, img").count() == 0
    page.get_by_test_id("save-draft").click()
    expect(page.get_by_test_id("builder-status")).to_contain_text("Đã lưu bản nháp")
    page.reload()
    expect(page.locator("body[data-builder-ready]")).to_be_attached()
    expect(preview.locator("label[for=f-text]")).to_contain_text(PWNED)
    assert page.evaluate("window.pwned") is None


def assert_nothing_injected(page: Page, *scopes) -> None:
    """No element the hostile text would have made, anywhere on the page or in the given parts of it, and
    no script of theirs has run."""
    assert page.locator("img[src=x], img[onerror]").count() == 0
    for scope in scopes:
        assert scope.locator("script, img").count() == 0
    assert page.evaluate("window.pwned") is None


def test_hostile_choice_labels_show_as_text_in_the_builder_and_its_preview(page: Page):
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page)
    create_form(page, "lua_chon_doc")
    add_field(page, "choice")
    set_value(page, "b-fields-0-name", "decision")
    page.locator("#b-fields-0-label-vi").fill("Kết quả")
    set_value(page, "b-fields-0-choices-0--value", "accept")
    page.locator("#b-fields-0-choices-0-label-vi").fill(SCRIPT_CHOICE)
    page.get_by_test_id("field-card").first.locator("[data-action=add-choice]").click()
    set_value(page, "b-fields-0-choices-1--value", "odd")
    page.locator("#b-fields-0-choices-1-label-vi").fill(QUOTED_CHOICE)
    # A condition picked on the choice: the builder lists the choices by their labels.
    add_field(page, "textarea")
    set_value(page, "b-fields-1-name", "comment")
    page.locator("#b-fields-1-required-if").select_option("decision")

    fields = page.get_by_test_id("field-list")
    preview = page.get_by_test_id("preview")

    def check_shown_as_text() -> None:
        for label in (SCRIPT_CHOICE, QUOTED_CHOICE):
            expect(fields.locator("label").filter(has_text=label)).to_have_count(1)
            expect(preview.locator("[data-field=decision] label").filter(has_text=label)).to_have_count(1)
        expect(preview.locator("[data-field=decision]")).not_to_contain_text("49")
        assert_nothing_injected(page, fields, preview)

    check_shown_as_text()
    # Picked in the condition and in the preview, checked by the server, and drawn again.
    fields.get_by_label(QUOTED_CHOICE, exact=True).check()
    preview.get_by_label(QUOTED_CHOICE, exact=True).check()
    preview.get_by_test_id("preview-score").click()
    expect(preview.get_by_test_id("preview-result")).to_be_visible()
    expect(preview.get_by_label(QUOTED_CHOICE, exact=True)).to_be_checked()
    check_shown_as_text()

    page.get_by_test_id("save-draft").click()
    expect(page.get_by_test_id("builder-status")).to_contain_text("Đã lưu bản nháp")
    page.reload()
    expect(page.locator("body[data-builder-ready]")).to_be_attached()
    folded = page.locator("[data-action=toggle][aria-expanded=false]")
    while folded.count():
        folded.first.click()
    expect(fields.get_by_label(QUOTED_CHOICE, exact=True)).to_be_checked()
    check_shown_as_text()


HOSTILE_REPORT = {
    **FORMS["books_report"],
    "fields": [
        *FORMS["books_report"]["fields"],
        {
            "name": "kind",
            "type": "choice",
            "required": True,
            "label": {"vi": "Loại sách", "en": "Kind"},
            "choices": [
                {"value": "script", "label": {"vi": SCRIPT_CHOICE, "en": SCRIPT_CHOICE}},
                {"value": "quoted", "label": {"vi": QUOTED_CHOICE, "en": QUOTED_CHOICE}},
            ],
        },
        {
            "name": "places",
            "type": "multichoice",
            "label": {"vi": "Nơi đọc", "en": "Where"},
            "choices": [
                {"value": "home", "label": {"vi": QUOTED_CHOICE, "en": QUOTED_CHOICE}},
                {"value": "library", "label": {"vi": SCRIPT_CHOICE, "en": SCRIPT_CHOICE}},
            ],
        },
    ],
}


def test_hostile_choice_labels_show_as_text_on_the_task_and_dossier_pages(page: Page, api):
    report = json.dumps(HOSTILE_REPORT, ensure_ascii=False).encode()
    package = zip_bytes(package_files(**{"forms/books_report.json": report}))
    uploaded = api.post("demo-admin", "/procedures", data={"package": (io.BytesIO(package), "goi.zip")})
    assert uploaded.status_code == 201, uploaded.get_json()
    dossier = api.post("demo-household", "/dossiers", json={"title": TITLE, "year": 2026}).get_json()
    task = api.task_for("demo-household", dossier["id"], "report_books")
    log_in(page, "demo-household")
    page.goto(f"/tasks/{task['id']}")

    form = page.locator("form").filter(has=page.locator("[data-field=kind]"))
    for name in ("kind", "places"):
        for label in (SCRIPT_CHOICE, QUOTED_CHOICE):
            expect(form.locator(f"[data-field={name}] label").filter(has_text=label)).to_have_count(1)
        expect(form.locator(f"[data-field={name}]")).not_to_contain_text("49")
    assert_nothing_injected(page, form)

    page.locator("#f-books").fill("14")
    form.locator("[data-field=kind]").get_by_label(QUOTED_CHOICE, exact=True).check()
    form.locator("[data-field=places]").get_by_label(SCRIPT_CHOICE, exact=True).check()
    page.get_by_test_id("submit-task").click()
    expect(page).to_have_url(re.compile(r"/dossiers/\d+$"))

    # The dossier page shows the answers by their labels, as text.
    step = page.get_by_test_id("step-report_books")
    expect(step).to_contain_text(QUOTED_CHOICE)
    expect(step).to_contain_text(SCRIPT_CHOICE)
    assert_nothing_injected(page, step)
