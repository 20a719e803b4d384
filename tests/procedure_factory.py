"""A small procedure for a made-up title, built in memory: proof that the core knows no title by name.

"Ngôi sao đọc sách" (reading star) has its own lanes, forms and DMN decision: the applicant reports how
many books the family read, the commune confirms or returns it, and a decision table recognises 12 or more.
"""

import io
import json
import zipfile

TITLE = "ngoi_sao_doc_sach"

MANIFEST = {
    "key": "ngoi_sao_doc_sach",
    "process_id": "ngoi_sao_doc_sach",
    "title": {"vi": "Ngôi sao đọc sách – quy trình thử", "en": "Reading star – test procedure"},
    "serves": {
        "title": TITLE,
        "label": {"vi": "Ngôi sao đọc sách", "en": "Reading star"},
        "subject_kind": "household",
        "subject_label": {"vi": "Gia đình", "en": "Family"},
        "code_prefix": "NSDS",
    },
    "bpmn": ["process.bpmn"],
    "dmn": ["decision.dmn"],
    "lanes": {
        "Ứng viên": {"role": "household", "level": "subject"},
        "Xã": {"role": "commune_officer", "level": "commune"},
    },
    "end_states": {"end_star": "recognized", "end_no_star": "not_recognized"},
    "recognized_states": ["recognized"],
    "tasks": {
        "report_books": {"label": {"vi": "Báo cáo số sách đã đọc", "en": "Report books read"}},
        "confirm_books": {"label": {"vi": "Xác nhận số sách", "en": "Confirm books"}},
    },
}

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs_ngoi_sao" targetNamespace="http://example.vn">
  <bpmn:process id="ngoi_sao_doc_sach" name="Ngôi sao đọc sách" isExecutable="true">
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="lane_applicant" name="Ứng viên">
        <bpmn:flowNodeRef>start</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>report_books</bpmn:flowNodeRef>
      </bpmn:lane>
      <bpmn:lane id="lane_commune" name="Xã">
        <bpmn:flowNodeRef>confirm_books</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>confirm_gateway</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>decide_star</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>star_gateway</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>end_star</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>end_no_star</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start" />
    <bpmn:userTask id="report_books" name="Báo cáo số sách" camunda:formKey="books_report" />
    <bpmn:userTask id="confirm_books" name="Xác nhận" camunda:formKey="books_confirm" />
    <bpmn:exclusiveGateway id="confirm_gateway" default="flow_confirmed" />
    <bpmn:businessRuleTask id="decide_star" name="Xét ngôi sao" camunda:decisionRef="ngoi_sao_decision" />
    <bpmn:exclusiveGateway id="star_gateway" default="flow_no_star" />
    <bpmn:endEvent id="end_star" />
    <bpmn:endEvent id="end_no_star" />
    <bpmn:sequenceFlow id="flow_start" sourceRef="start" targetRef="report_books" />
    <bpmn:sequenceFlow id="flow_reported" sourceRef="report_books" targetRef="confirm_books" />
    <bpmn:sequenceFlow id="flow_to_gateway" sourceRef="confirm_books" targetRef="confirm_gateway" />
    <bpmn:sequenceFlow id="flow_returned" sourceRef="confirm_gateway" targetRef="report_books">
      <bpmn:conditionExpression>books_confirm["decision"] == "return"</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="flow_confirmed" sourceRef="confirm_gateway" targetRef="decide_star" />
    <bpmn:sequenceFlow id="flow_decided" sourceRef="decide_star" targetRef="star_gateway" />
    <bpmn:sequenceFlow id="flow_star" sourceRef="star_gateway" targetRef="end_star">
      <bpmn:conditionExpression>star</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="flow_no_star" sourceRef="star_gateway" targetRef="end_no_star" />
  </bpmn:process>
</bpmn:definitions>
"""

DMN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="defs_ngoi_sao_decision"
    name="Ngôi sao" namespace="http://example.vn/dmn">
  <decision id="ngoi_sao_decision" name="Xét ngôi sao đọc sách">
    <decisionTable id="ngoi_sao_table" hitPolicy="FIRST">
      <input id="input_books"><inputExpression id="input_books_expr" typeRef="integer">
        <text>books_confirm["books"]</text></inputExpression></input>
      <output id="output_star" name="star" typeRef="boolean" />
      <rule id="rule_star"><inputEntry id="rule_star_books"><text>&gt;= 12</text></inputEntry>
        <outputEntry id="rule_star_out"><text>True</text></outputEntry></rule>
      <rule id="rule_no_star"><inputEntry id="rule_no_star_books"><text>-</text></inputEntry>
        <outputEntry id="rule_no_star_out"><text>False</text></outputEntry></rule>
    </decisionTable>
  </decision>
</definitions>
"""

FORMS = {
    "books_report": {
        "key": "books_report",
        "title": {"vi": "Báo cáo số sách đã đọc", "en": "Books read"},
        "fields": [
            {
                "name": "books",
                "type": "integer",
                "min": 0,
                "max": 1000,
                "required": True,
                "label": {"vi": "Số sách cả nhà đã đọc trong năm", "en": "Books the family read this year"},
            },
        ],
    },
    "books_confirm": {
        "key": "books_confirm",
        "title": {"vi": "Xác nhận số sách", "en": "Confirm books"},
        "fields": [
            {
                "name": "decision",
                "type": "choice",
                "required": True,
                "label": {"vi": "Ý kiến", "en": "Decision"},
                "choices": [
                    {"value": "confirm", "label": {"vi": "Xác nhận", "en": "Confirm"}},
                    {"value": "return", "label": {"vi": "Trả lại", "en": "Return"}},
                ],
            },
            {
                "name": "books",
                "type": "integer",
                "min": 0,
                "max": 1000,
                "required": True,
                "label": {"vi": "Số sách được xác nhận", "en": "Books confirmed"},
                "prefill": ["books_report.books"],
            },
            {
                "name": "comment",
                "type": "textarea",
                "max_length": 500,
                "label": {"vi": "Lý do trả lại", "en": "Reason for returning"},
            },
        ],
    },
}


def package_files(**replace: bytes) -> dict[str, bytes]:
    """The package as files by path; ``replace`` swaps (or adds) single files by path."""
    files = {
        "procedure.json": json.dumps(MANIFEST, ensure_ascii=False).encode(),
        "process.bpmn": BPMN.encode(),
        "decision.dmn": DMN.encode(),
        **{f"forms/{key}.json": json.dumps(form, ensure_ascii=False).encode() for key, form in FORMS.items()},
    }
    files.update(replace)
    return files


def zip_bytes(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


# The household's report with the form-logic field types (tests/integration/test_form_logic_pages.py and
# tests/browser/test_form_logic_browser.py): a condition, a hidden field, a repeating group, a computed
# total and a note. It keeps "books", which the rest of the procedure reads.
LOGIC_REPORT = {
    **FORMS["books_report"],
    "fields": [
        *FORMS["books_report"]["fields"],
        {
            "name": "intro",
            "type": "note",
            "label": "Lưu ý",
            "text": {"vi": "Kê khai trung thực.", "en": "Be honest."},
        },
        {
            "name": "has_members",
            "type": "yesno",
            "label": {"vi": "Kê khai thành viên?", "en": "List members?"},
        },
        {
            "name": "members",
            "type": "group",
            "label": {"vi": "Thành viên", "en": "Members"},
            "max_rows": 3,
            "visible_if": {"===": [{"var": "has_members"}, True]},
            "fields": [
                {
                    "name": "full_name",
                    "type": "text",
                    "label": {"vi": "Họ tên", "en": "Name"},
                    "required": True,
                },
                {
                    "name": "books_read",
                    "type": "integer",
                    "label": {"vi": "Số sách", "en": "Books"},
                    "min": 0,
                },
            ],
        },
        {
            "name": "secret",
            "type": "text",
            "label": {"vi": "Chỉ khi trên 900 cuốn", "en": "Only above 900 books"},
            "required": True,
            "visible_if": {">": [{"var": "books"}, 900]},
        },
        {
            "name": "per_member",
            "type": "computed",
            "label": {"vi": "Bình quân mỗi người", "en": "Per member"},
            "expression": {
                "if": [{"var": "members.length"}, {"/": [{"var": "books"}, {"var": "members.length"}]}, None]
            },
        },
    ],
}


def logic_package() -> dict[str, bytes]:
    return package_files(**{"forms/books_report.json": json.dumps(LOGIC_REPORT, ensure_ascii=False).encode()})
