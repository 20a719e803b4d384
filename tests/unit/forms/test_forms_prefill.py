from forms import build_form_class, prefill_values


def test_commune_scores_come_from_the_self_report(shipped):
    definition = shipped["commune_scoring"]
    context = {"self_report": {"c1a": 8, "c1b": 0, "c2a": None, "note": "không liên quan"}}
    assert prefill_values(definition, context) == {"c1a": 8, "c1b": 0}


def test_own_previous_answer_wins(shipped):
    definition = shipped["commune_scoring"]
    context = {
        "self_report": {"c1a": 8, "c1b": 7},
        "commune_scoring": {
            "decision": "return_to_household",
            "c1a": 6,
            "c1b": None,
            "comment": "Bổ sung ảnh",
        },
    }
    assert prefill_values(definition, context) == {
        "decision": "return_to_household",
        "c1a": 6,
        "c1b": 7,
        "comment": "Bổ sung ảnh",
    }


def test_paths_in_order_then_default(make_form):
    definition = make_form(
        {
            "name": "phone",
            "type": "text",
            "label": "Điện thoại",
            "prefill": ["household.contact.mobile", "household.contact.phone", "household.phone"],
            "default": "chưa có",
        },
        {"name": "size", "type": "integer", "label": "Số người", "default": 4},
        {"name": "tags", "type": "multichoice", "label": "Nhãn", "choices": [{"value": "a", "label": "A"}]},
        {"name": "part", "type": "heading", "label": "Phần"},
    )
    context = {"household": {"contact": {"mobile": "", "phone": "0912345678"}, "phone": "024"}}
    assert prefill_values(definition, context) == {"phone": "0912345678", "size": 4}
    assert prefill_values(definition, {"household": {"phone": "024"}}) == {"phone": "024", "size": 4}
    assert prefill_values(definition, {"household": "not a mapping"}) == {"phone": "chưa có", "size": 4}
    assert prefill_values(definition, {}) == {"phone": "chưa có", "size": 4}


def test_result_does_not_share_the_default(make_form):
    definition = make_form(
        {
            "name": "tags",
            "type": "multichoice",
            "label": "Nhãn",
            "choices": [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}],
            "default": ["a"],
        }
    )
    prefill_values(definition, {})["tags"].append("b")
    assert prefill_values(definition, {}) == {"tags": ["a"]}


def test_prefilled_values_render(shipped):
    definition = shipped["commune_scoring"]
    values = prefill_values(definition, {"self_report": {"c1a": 8}})
    form = build_form_class(definition)(data=values)
    assert 'value="8"' in form.c1a()
    assert form.c1b.data is None
