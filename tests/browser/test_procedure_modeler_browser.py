"""The procedure modeler and the dossier's diagram in a real browser: an admin edits the shipped procedure
with the Camunda modeler's own tools (properties panel, palette, context pad), validates and deploys it
as version 2; a broken timer is shown on the diagram; a dossier page shows where the dossier stands."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.helpers import walk

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
PHONE = {"width": 375, "height": 812}
SHIPPED = "gia_dinh_hoc_tap"
RENAMED = "Công nhận và cấp giấy công nhận"
UNQUOTED = 'biểu thức hẹn giờ là Python, cần đặt trong ngoặc kép: "P10D"'


def log_in(page: Page, username: str, password: str = "demo1234") -> None:
    page.goto("/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("logout")).to_be_attached()


def shape(page: Page, element_id: str):
    return page.locator(f'.djs-element[data-element-id="{element_id}"]')


def open_modeler_on_version_1(page: Page) -> None:
    page.goto("/admin/procedures")
    card = page.get_by_test_id("procedure").and_(page.locator(f'[data-key="{SHIPPED}"]'))
    card.locator('[data-version="1"]').get_by_test_id("edit").click()
    expect(page.locator("body[data-modeler-ready]")).to_be_attached()
    expect(shape(page, "city_commendation")).to_be_visible()


def properties_group(page: Page, title: str):
    """Open a group of the properties panel (they start collapsed) by its header."""
    header = page.locator(".bio-properties-panel-group-header").filter(has_text=title)
    if "open" not in (header.get_attribute("class") or ""):
        header.click()


def test_admin_renames_a_task_adds_a_timer_validates_and_deploys_version_2(app, page: Page, artifacts):
    log_in(page, "demo-admin")
    open_modeler_on_version_1(page)

    # Rename the city step in the properties panel, and its Vietnamese label beside the diagram.
    shape(page, "city_commendation").click()
    properties_group(page, "Chung")
    page.locator("#bio-properties-panel-name").fill(RENAMED)
    expect(shape(page, "city_commendation")).to_contain_text("giấy công nhận")
    task_row = page.locator('[data-testid="task-row"][data-task="city_commendation"]')
    expect(task_row).to_contain_text(RENAMED)
    task_row.locator('[data-field="label-vi"]').fill(RENAMED)

    # A reminder on that step: an intermediate event from the palette dropped on the task's border,
    # changed into a non-interrupting timer boundary event, with a quoted five-day duration.
    box = shape(page, "city_commendation").locator(".djs-visual > rect").bounding_box()
    page.locator(".djs-palette .entry.bpmn-icon-intermediate-event-none").click()
    centre_x = box["x"] + box["width"] / 2
    page.mouse.move(centre_x, box["y"] + box["height"] / 2, steps=5)
    # The new event follows the pointer only once the modeler has started creating it; on a loaded
    # machine that can lag the palette click, and a drop before it would just select the task.
    expect(page.locator(".djs-drag-group")).not_to_have_count(0)
    page.mouse.move(centre_x, box["y"] + box["height"], steps=5)
    page.mouse.click(centre_x, box["y"] + box["height"])
    expect(page.locator(".djs-element.selected")).to_have_attribute("data-element-id", re.compile(r"^Event_"))
    # The new event sits on the bottom edge of the canvas; scroll so its context pad is clear of it.
    page.get_by_test_id("bpmn-canvas").hover()
    page.mouse.wheel(0, 200)
    page.locator('.djs-context-pad .entry[data-action="replace"]').click()
    page.locator('.djs-popup .entry[data-id="replace-with-non-interrupting-timer-boundary"]').click()
    properties_group(page, "Chung")
    page.locator("#bio-properties-panel-name").fill("Nhắc khen thưởng")
    properties_group(page, "Hẹn giờ")
    page.locator("#bio-properties-panel-timerEventDefinitionType").select_option("timeDuration")
    page.locator("#bio-properties-panel-timerEventDefinitionValue").fill('"P5D"')
    page.locator("#bio-properties-panel-timerEventDefinitionValue").press("Tab")
    timer_id = page.locator(".djs-element.selected").get_attribute("data-element-id")
    page.locator('.djs-context-pad .entry[data-action="append.end-event"]').click()
    expect(page.get_by_test_id("end-row")).to_have_count(5)

    page.get_by_test_id("validate").click()
    expect(page.get_by_test_id("status-success")).to_have_text("Không có lỗi. Có thể triển khai.")
    expect(page.get_by_test_id("problem")).to_have_count(0)

    page.get_by_test_id("deploy").click()
    expect(page.get_by_test_id("status-success")).to_contain_text("Đã triển khai phiên bản 2.")
    page.get_by_test_id("status-link").click()
    expect(page).to_have_url(re.compile(r"/admin/procedures\?q=gia_dinh_hoc_tap$"))
    card = page.get_by_test_id("procedure").and_(page.locator(f'[data-key="{SHIPPED}"]'))
    version_2 = card.locator('[data-version="2"]')
    expect(version_2.get_by_test_id("version-number")).to_have_text("Phiên bản 2")
    expect(version_2.get_by_test_id("diff")).to_have_text("So với phiên bản 1")
    page.screenshot(path=artifacts / "procedure-library-desktop.png", full_page=True)

    with app.app_context():
        from app.services.procedures import get_version

        deployed = get_version(SHIPPED, 2)
        xml = deployed.sources["bpmn"]["process.bpmn"]
        assert f'name="{RENAMED}"' in xml
        timer = re.search(rf'<bpmn:boundaryEvent id="{timer_id}"[^>]*>', xml).group(0)
        assert 'cancelActivity="false"' in timer and 'attachedToRef="city_commendation"' in timer
        assert "&#34;P5D&#34;" in xml or '"P5D"' in xml
        assert deployed.manifest["tasks"]["city_commendation"]["label"] == {
            "vi": RENAMED,
            "en": "City recognition decision",
        }
        assert deployed.deployed_by_id is not None

    version_2.get_by_test_id("diff").click()
    expect(page.get_by_test_id("steps-changed")).to_contain_text(RENAMED)
    expect(page.get_by_test_id("steps-added")).to_contain_text("Nhắc khen thưởng")


def test_an_unquoted_timer_is_highlighted_on_the_diagram_with_its_message(page: Page, artifacts):
    log_in(page, "demo-admin")
    open_modeler_on_version_1(page)
    shape(page, "commune_reminder_timer").click()
    properties_group(page, "Hẹn giờ")
    value = page.locator("#bio-properties-panel-timerEventDefinitionValue")
    expect(value).to_have_value('"P" + str(commune_reminder_days) + "D"')
    value.fill("P10D")
    value.press("Tab")

    page.get_by_test_id("validate").click()
    expect(page.get_by_test_id("status-danger")).to_have_text("Có 1 lỗi cần sửa trước khi triển khai.")
    expect(shape(page, "commune_reminder_timer")).to_have_class(re.compile(r"\bhas-problem\b"))
    overlay = page.locator('[data-testid="problem-overlay"][data-element="commune_reminder_timer"]')
    expect(overlay).to_have_text(UNQUOTED)
    problem = page.get_by_test_id("problem")
    expect(problem).to_have_count(1)
    expect(problem).to_contain_text("process.bpmn · commune_reminder_timer")
    # Clicking the empty canvas below the pool selects nothing, so no context pad covers the note.
    canvas = page.get_by_test_id("bpmn-canvas")
    canvas.click(position={"x": 400, "y": canvas.bounding_box()["height"] - 8})
    page.screenshot(path=artifacts / "procedure-modeler-error-desktop.png")

    # The note leads to the element: clicking it selects the timer for the properties panel.
    shape(page, "self_report").click()
    overlay.click()
    expect(shape(page, "commune_reminder_timer")).to_have_class(re.compile(r"\bselected\b"))

    # Deploying refuses the same way and stores nothing.
    page.get_by_test_id("deploy").click()
    expect(page.get_by_test_id("status-danger")).to_have_text("Có 1 lỗi cần sửa trước khi triển khai.")
    page.goto("/admin/procedures")
    card = page.get_by_test_id("procedure").and_(page.locator(f'[data-key="{SHIPPED}"]'))
    expect(card.get_by_test_id("version")).to_have_count(1)


def test_deploying_untouched_sources_finds_the_existing_version(page: Page):
    """Saving an untouched diagram must give back its file byte for byte, and the settings around it
    must rebuild the same manifest; otherwise every visit to the modeler would mint a version."""
    log_in(page, "demo-admin")
    open_modeler_on_version_1(page)
    page.get_by_role("tab", name="rating.dmn").click()
    expect(page.locator(".dmn-decision-table-container")).to_be_visible()
    page.get_by_test_id("deploy").click()
    expect(page.get_by_test_id("status-info")).to_have_text(
        "Phiên bản 1 đã có đúng nội dung này; không tạo phiên bản mới. Xem trong thư viện quy trình"
    )


def test_a_lane_left_without_a_role_is_reported(page: Page):
    log_in(page, "demo-admin")
    open_modeler_on_version_1(page)
    lane = page.locator('[data-testid="lane-row"][data-lane="District"]')
    lane.locator('[data-field="role"]').select_option("")
    page.get_by_test_id("validate").click()
    expect(page.get_by_test_id("problem")).to_contain_text("lane 'District' phải có 'role' và 'level'")


def test_the_library_and_the_dossier_diagram_on_desktop_and_phone(api, page: Page, new_context, artifacts):
    dossier_id = walk(api, to="district_verification")

    log_in(page, "demo-admin")
    page.goto(f"/dossiers/{dossier_id}")
    diagram = page.get_by_test_id("dossier-diagram")
    expect(diagram).to_have_attribute("data-ready", "true")
    expect(shape(page, "district_verification")).to_have_class(re.compile(r"\bstep-active\b"))
    expect(shape(page, "self_report")).to_have_class(re.compile(r"\bstep-done\b"))
    expect(shape(page, "commune_scoring")).to_have_class(re.compile(r"\bstep-done\b"))
    expect(shape(page, "city_commendation")).to_have_class(re.compile(r"\bstep-pending\b"))
    page.get_by_test_id("dossier-diagram-section").screenshot(path=artifacts / "dossier-diagram-desktop.png")

    phone = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    log_in(phone, "demo-household")
    phone.goto(f"/dossiers/{dossier_id}")
    expect(phone.get_by_test_id("dossier-diagram")).to_have_attribute("data-ready", "true")
    expect(shape(phone, "district_verification")).to_have_class(re.compile(r"\bstep-active\b"))
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.get_by_test_id("dossier-diagram-section").screenshot(path=artifacts / "dossier-diagram-phone.png")

    admin_phone = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    log_in(admin_phone, "demo-admin")
    admin_phone.goto("/admin/procedures")
    # One row per shipped procedure package (bpmn/), all deployed by the demo.
    shipped = sum(1 for folder in (ROOT / "bpmn").iterdir() if (folder / "procedure.json").exists())
    expect(admin_phone.get_by_test_id("procedure")).to_have_count(shipped)
    assert admin_phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    admin_phone.screenshot(path=artifacts / "procedure-library-phone.png", full_page=True)
