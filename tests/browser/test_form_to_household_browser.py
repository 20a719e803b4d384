"""From the form builder to a household's phone, in a real browser: an admin builds a form with a repeating
group, a conditional field, a computed total and two scored criteria, previews and scores it and publishes
it; binds it to the applicant's task of a procedure in the modeler (the published library version is
copied into the package), deploys that as a new procedure version and activates it for a province; a
household there registers on a phone, fills the form in and sends it, and its submission is pinned to the
library form's version 1."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.procedure_factory import BPMN, MANIFEST, TITLE, package_files, zip_bytes

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 812}
FORM_KEY = "gia_dinh_doc_sach_mau"
FORM_TITLE = "Gia đình đọc sách (mẫu)"
PROCEDURE = MANIFEST["key"]
PROVINCE = "DEMO-CT"
ROW_FIELDS = (
    '[{"name": "full_name", "type": "text", "label": {"vi": "Họ tên", "en": "Name"}, "required": true},'
    ' {"name": "birth_year", "type": "integer", "label": {"vi": "Năm sinh", "en": "Birth year"},'
    ' "min": 1900, "max": 2026}]'
)
TOTAL = '{"+": [{"var": "score"}, {"var": "score_2"}]}'

# Where each element of the made-up procedure sits on a diagram: the modeler draws (and lists the tasks
# of) only what has a shape, and the factory's BPMN has none. (x, y, width, height)
POOL = (100, 40, 1000, 400)
LANES = {"lane_applicant": (130, 40, 970, 150), "lane_commune": (130, 190, 970, 250)}
NODES = {
    "start": (180, 97, 36, 36),
    "report_books": (260, 75, 100, 80),
    "confirm_books": (420, 275, 100, 80),
    "confirm_gateway": (580, 290, 50, 50),
    "decide_star": (680, 275, 100, 80),
    "star_gateway": (840, 290, 50, 50),
    "end_star": (960, 247, 36, 36),
    "end_no_star": (960, 347, 36, 36),
}


def with_diagram(bpmn: str) -> str:
    """The factory's BPMN in a pool, with a shape for every lane and node and an edge for every flow."""

    def shape(element: str, box: tuple[int, int, int, int], **attrs: str) -> str:
        x, y, width, height = box
        extra = "".join(f' {name}="{value}"' for name, value in attrs.items())
        return (
            f'<bpmndi:BPMNShape id="{element}_di" bpmnElement="{element}"{extra}>'
            f'<dc:Bounds x="{x}" y="{y}" width="{width}" height="{height}" /></bpmndi:BPMNShape>'
        )

    def centre(element: str) -> tuple[int, int]:
        x, y, width, height = NODES[element]
        return x + width // 2, y + height // 2

    shapes = [shape("pool", POOL, isHorizontal="true")]
    shapes += [shape(lane, box, isHorizontal="true") for lane, box in LANES.items()]
    shapes += [shape(node, box) for node, box in NODES.items()]
    flows = re.findall(r'<bpmn:sequenceFlow id="(\w+)" sourceRef="(\w+)" targetRef="(\w+)"', bpmn)
    assert flows and all(source in NODES and target in NODES for _, source, target in flows)
    for flow, source, target in flows:
        points = "".join(f'<di:waypoint x="{x}" y="{y}" />' for x, y in (centre(source), centre(target)))
        shapes.append(f'<bpmndi:BPMNEdge id="{flow}_di" bpmnElement="{flow}">{points}</bpmndi:BPMNEdge>')
    namespaces = (
        'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" '
        'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
        'xmlns:di="http://www.omg.org/spec/DD/20100524/DI"\n    '
    )
    pool = (
        '<bpmn:collaboration id="collaboration"><bpmn:participant id="pool" name="Ngôi sao đọc sách" '
        f'processRef="{MANIFEST["process_id"]}" /></bpmn:collaboration>\n  '
    )
    diagram = (
        '<bpmndi:BPMNDiagram id="diagram"><bpmndi:BPMNPlane id="plane" bpmnElement="collaboration">'
        + "\n".join(shapes)
        + "</bpmndi:BPMNPlane></bpmndi:BPMNDiagram>\n"
    )
    return (
        bpmn.replace("xmlns:camunda=", namespaces + "xmlns:camunda=", 1)
        .replace("<bpmn:process ", pool + "<bpmn:process ", 1)
        .replace("</bpmn:definitions>", diagram + "</bpmn:definitions>")
    )


# --- steps a person takes --------------------------------------------------------------------------------


def log_in(page: Page, username: str, password: str = "demo1234") -> None:
    page.goto("/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("logout")).to_be_attached()


def expect_flash(page: Page, text: str) -> None:
    expect(page.get_by_role("alert").filter(has_text=text)).to_be_visible()


def add_field(page: Page, type_: str, name: str, label: str) -> str:
    """Add a field of ``type_`` at the end, name and label it; returns its inputs' id prefix."""
    index = page.get_by_test_id("field-card").count()
    page.get_by_test_id("add-type").select_option(type_)
    page.get_by_test_id("add-field").click()
    expect(page.get_by_test_id("field-card")).to_have_count(index + 1)
    prefix = f"b-fields-{index}"
    set_value(page, f"{prefix}-name", name)
    expect(page.get_by_test_id("field-card").nth(index)).to_have_attribute("data-name", name)
    page.locator(f"#{prefix}-label-vi").fill(label)
    return prefix


def set_value(page: Page, input_id: str, value: str) -> None:
    """Type into a builder input and leave it, as an admin does (a name change redraws on "change")."""
    page.locator(f"#{input_id}").fill(value)
    page.locator(f"#{input_id}").dispatch_event("change")


def prefix_path(prefix: str) -> str:
    """b-fields-0 → fields[0], the card's data-path."""
    return re.sub(r"^b-fields-(\d+)$", r"fields[\1]", prefix)


def add_choice(page: Page, prefix: str, index: int, value: str, label: str) -> None:
    if index > 0:
        page.locator(f'[data-testid="field-card"][data-path="{prefix_path(prefix)}"]').locator(
            "[data-action=add-choice]"
        ).click()
    set_value(page, f"{prefix}-choices-{index}--value", value)
    page.locator(f"#{prefix}-choices-{index}-label-vi").fill(label)


def build_form(page: Page) -> None:
    """demo-admin, in the form builder: every kind of field this test is about, and two criteria."""
    page.goto("/admin/forms")
    page.get_by_test_id("new-key").fill(FORM_KEY)
    page.get_by_test_id("new-title-vi").fill(FORM_TITLE)
    page.get_by_test_id("create").click()
    expect(page.locator("body[data-builder-ready]")).to_be_attached()

    # A choice, and a field shown (and then required) only for one of its values: picked, not typed.
    situation = add_field(page, "choice", "hoan_canh", "Hoàn cảnh gia đình")
    add_choice(page, situation, 0, "binh_thuong", "Bình thường")
    add_choice(page, situation, 1, "kho_khan", "Khó khăn")
    hardship = add_field(page, "text", "kho_khan", "Khó khăn của gia đình")
    page.locator(f"#{hardship}-required").check()
    page.locator(f"#{hardship}-visible-if").select_option("hoan_canh")
    page.locator('[data-path="fields[1].visible_if"]').get_by_label("Khó khăn", exact=True).check()

    # The household's members, one row at least; the row fields are written as JSON.
    members = add_field(page, "group", "members", "Thành viên gia đình")
    page.locator(f"#{members}-fields").fill(ROW_FIELDS)
    page.locator(f"#{members}-min-rows").fill("1")

    # Two criteria of 10 points, a score field for each, a threshold of 15, and a computed total.
    page.get_by_test_id("add-criterion").click()
    page.get_by_test_id("add-criterion").click()
    expect(page.get_by_test_id("criterion")).to_have_count(2)
    add_field(page, "score", "score", "Đọc sách mỗi ngày")
    second = add_field(page, "score", "score_2", "Có tủ sách gia đình")
    page.locator(f"#{second}-criterion").select_option("tc2")
    sums = page.get_by_test_id("criterion-sum")
    expect(sums.nth(0)).to_have_attribute("data-ok", "true")
    expect(sums.nth(1)).to_have_attribute("data-ok", "true")
    page.locator("#b-scoring-pass-total").fill("15")
    total = add_field(page, "computed", "tong_diem", "Tổng điểm tự chấm")
    page.locator(f"#{total}-expression").fill(TOTAL)


def preview_and_score(page: Page) -> None:
    """The preview is the task page's form: the condition, the rows and the total work there too."""
    preview = page.get_by_test_id("preview")
    expect(preview.locator('[data-field="tong_diem"]')).to_be_visible()
    expect(preview.locator('[data-field="members"] [data-row]')).to_have_count(1)
    hardship = preview.locator('[data-field="kho_khan"]')
    expect(hardship).to_be_hidden()
    preview.get_by_label("Khó khăn", exact=True).check()
    expect(hardship).to_be_visible()
    row = preview.locator('[data-field="members"] [data-row]').first
    row.locator("input[name$='-full_name']").fill("Nguyễn Văn An")
    row.locator("input[name$='-birth_year']").fill("1980")
    preview.locator("#f-kho_khan").fill("Nhà xa thư viện")
    preview.locator("input[name=score]").fill("9")
    preview.locator("input[name=score_2]").fill("8")
    expect(preview.locator('[data-field="tong_diem"] [data-computed-value]')).to_have_text("17")
    preview.get_by_test_id("preview-score").click()
    expect(preview.get_by_test_id("preview-total")).to_have_text("17")
    expect(preview.get_by_test_id("preview-outcome")).to_contain_text("Đạt")
    expect(preview.get_by_test_id("preview-outcome")).not_to_contain_text("Không đạt")

    page.get_by_test_id("save-draft").click()
    expect(page.get_by_test_id("builder-status")).to_contain_text("Đã lưu bản nháp")
    page.get_by_test_id("publish").click()
    expect(page.get_by_test_id("published")).to_have_attribute("data-version", "1")


def upload_procedure(page: Page) -> None:
    """The made-up procedure (tests/procedure_factory.py), uploaded on the library page as version 1."""
    page.goto("/admin/procedures")
    package = zip_bytes(package_files(**{"process.bpmn": with_diagram(BPMN).encode()}))
    page.get_by_test_id("package-file").set_input_files(
        {"name": "ngoi_sao_doc_sach.zip", "mimeType": "application/zip", "buffer": package}
    )
    page.get_by_test_id("upload").click()
    expect_flash(page, "phiên bản 1.")


def bind_library_form_and_deploy(page: Page) -> None:
    """In the modeler on version 1: the applicant's task takes the published form; deploy version 2."""
    page.goto(f"/admin/procedures?q={PROCEDURE}")
    card = page.get_by_test_id("procedure").and_(page.locator(f'[data-key="{PROCEDURE}"]'))
    card.locator('[data-version="1"]').get_by_test_id("edit").click()
    expect(page.locator("body[data-modeler-ready]")).to_be_attached()
    expect(page.get_by_test_id("lane-row")).to_have_count(2)
    task = page.locator('[data-testid="task-row"][data-task="report_books"]')
    choice = task.locator('[data-field="form"]')
    expect(choice.locator('optgroup[label="Biểu mẫu đã xuất bản"]')).to_be_attached()
    choice.select_option(label=f"{FORM_KEY} – phiên bản 1 – {FORM_TITLE}")
    expect(page.get_by_test_id("status-info")).to_contain_text(
        f"Đã chép biểu mẫu {FORM_KEY}, phiên bản 1, từ thư viện vào gói."
    )
    # The task now names the copy in the package, which the file list shows as library version 1.
    expect(task.locator('[data-field="form"]')).to_have_value(FORM_KEY)
    form_row = page.locator(f'[data-testid="form-row"][data-form="{FORM_KEY}"]')
    expect(form_row.get_by_test_id("library-version")).to_have_attribute("data-version", "1")
    expect(form_row).to_contain_text("Báo cáo số sách")

    page.get_by_test_id("validate").click()
    expect(page.get_by_test_id("status-success")).to_have_text("Không có lỗi. Có thể triển khai.")
    page.get_by_test_id("deploy").click()
    expect(page.get_by_test_id("status-success")).to_contain_text("Đã triển khai phiên bản 2.")


def activate_for_province(page: Page) -> None:
    page.goto(f"/admin/procedures?q={PROCEDURE}")
    card = page.get_by_test_id("procedure").and_(page.locator(f'[data-key="{PROCEDURE}"]'))
    version_2 = card.locator('[data-version="2"]')
    version_2.get_by_test_id("activate-scope").select_option(PROVINCE)
    version_2.get_by_test_id("activate").click()
    expect(page.get_by_test_id("activate-question")).to_contain_text("phiên bản 2")
    page.get_by_test_id("activate-confirm-button").click()
    expect_flash(page, "Đã áp dụng")
    card = page.get_by_test_id("procedure").and_(page.locator(f'[data-key="{PROCEDURE}"]'))
    expect(card.locator('[data-version="2"]').get_by_test_id("active-in")).to_have_count(1)


def household_fills_in_on_a_phone(phone: Page) -> int:
    """demo-household registers for the title and sends the form; returns the dossier's id."""
    log_in(phone, "demo-household")
    phone.goto("/dossiers")
    phone.get_by_test_id("register-title").first.select_option(TITLE)
    phone.get_by_role("button", name="Đăng ký danh hiệu").first.click()
    expect(phone).to_have_url(re.compile(r"/dossiers/\d+$"))
    dossier_id = int(re.search(r"/dossiers/(\d+)$", phone.url).group(1))
    phone.get_by_test_id("do-task").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Báo cáo số sách đã đọc")

    # Rows: the first is drawn (min_rows 1), a second one added.
    members = phone.locator('[data-field="members"]')
    expect(members.locator("[data-row]")).to_have_count(1)
    first = members.locator("[data-row]").first
    first.locator("input[name$='-full_name']").fill("Nguyễn Văn An")
    first.locator("input[name$='-birth_year']").fill("1980")
    members.locator("[data-add-row]").click()
    expect(members.locator("[data-row]")).to_have_count(2)
    second = members.locator("[data-row]").nth(1)
    second.locator("input[name$='-full_name']").fill("Nguyễn Thị Bình")
    second.locator("input[name$='-birth_year']").fill("2012")

    # The conditional field appears only for "Khó khăn".
    hardship = phone.locator('[data-field="kho_khan"]')
    expect(hardship).to_be_hidden()
    phone.get_by_label("Bình thường", exact=True).check()
    expect(hardship).to_be_hidden()
    phone.get_by_label("Khó khăn", exact=True).check()
    expect(hardship).to_be_visible()
    phone.locator("#f-kho_khan").fill("Nhà xa thư viện")

    # The total follows the scores as they are typed.
    total = phone.locator('[data-field="tong_diem"] [data-computed-value]')
    phone.locator("#f-score").fill("9")
    phone.locator("#f-score_2").fill("7")
    expect(total).to_have_text("16")
    phone.locator("#f-score_2").fill("8")
    expect(total).to_have_text("17")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    phone.get_by_test_id("submit-task").click()
    expect(phone).to_have_url(re.compile(rf"/dossiers/{dossier_id}$"))
    expect_flash(phone, "Đã hoàn thành: Báo cáo số sách đã đọc.")
    # The dossier moved on to the commune's confirmation.
    expect(phone.get_by_test_id("current-step")).to_have_text("Xác nhận số sách")
    return dossier_id


# --- the test ----------------------------------------------------------------------------------------------


def test_a_built_form_goes_through_a_new_procedure_version_to_a_household_phone(app, page: Page, new_context):
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page, "demo-admin")
    build_form(page)
    preview_and_score(page)

    upload_procedure(page)
    bind_library_form_and_deploy(page)
    activate_for_province(page)

    phone = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    dossier_id = household_fills_in_on_a_phone(phone)

    with app.app_context():
        from sqlalchemy import select

        from app.extensions import db
        from app.models import Dossier, Submission
        from app.services.procedures import get_version

        version_2 = get_version(PROCEDURE, 2)
        pinned = {pf.form_key: pf.form_version for pf in version_2.forms}
        assert (pinned[FORM_KEY].form_definition.key, pinned[FORM_KEY].version) == (FORM_KEY, 1)
        assert version_2.manifest["key"] == PROCEDURE

        dossier = db.session.get(Dossier, dossier_id)
        assert dossier.process_definition_id == version_2.id
        submission = db.session.scalars(
            select(Submission).where(
                Submission.dossier_id == dossier_id, Submission.task_name == "report_books"
            )
        ).one()
        assert submission.form_version.form_definition.key == FORM_KEY
        assert submission.form_version.version == 1
        assert submission.form_version.id == pinned[FORM_KEY].id
        assert [m["full_name"] for m in submission.data["members"]] == ["Nguyễn Văn An", "Nguyễn Thị Bình"]
        assert submission.data["kho_khan"] == "Nhà xa thư viện"
        assert submission.data["tong_diem"] == 17
        assert submission.score["total"] == 17
