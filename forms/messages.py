"""User-facing messages in Vietnamese and English.

WTForms ships no Vietnamese catalog, so every message the library shows to a
user comes from here instead of from WTForms' own translations.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

DEFAULT_LOCALE = "vi"

# A label-like value of a definition: one string for every locale, or {"vi": ..., "en": ...}.
Label = str | Mapping[str, str]

MESSAGES: dict[str, dict[str, str]] = {
    "vi": {
        "required": "Vui lòng nhập trường này.",
        "required_choice": "Vui lòng chọn một phương án.",
        "required_choices": "Vui lòng chọn ít nhất một phương án.",
        "required_file": "Vui lòng tải lên hoặc chọn ít nhất một minh chứng.",
        "single_value": "Trường này chỉ nhận một giá trị.",
        "unknown_field": "Trường không có trong biểu mẫu.",
        "number_range": "Giá trị phải từ {min} đến {max}.",
        "number_min": "Giá trị phải từ {min} trở lên.",
        "number_max": "Giá trị không được lớn hơn {max}.",
        "not_integer": "Vui lòng nhập số nguyên.",
        "not_decimal": "Vui lòng nhập một số (ví dụ 7 hoặc 7,5).",
        "bad_date": "Không đúng định dạng ngày (dd/mm/yyyy hoặc yyyy-mm-dd).",
        "date_range": "Ngày phải từ {min} đến {max}.",
        "date_min": "Ngày không được trước {min}.",
        "date_max": "Ngày không được sau {max}.",
        "min_length": "Tối thiểu {min} ký tự.",
        "max_length": "Tối đa {max} ký tự (đã nhập {n}).",
        "pattern": "Không đúng định dạng yêu cầu.",
        "invalid_choice": "Lựa chọn không hợp lệ.",
        "min_items": "Vui lòng chọn ít nhất {min} mục.",
        "max_items": "Chỉ được chọn tối đa {max} mục.",
        "bad_evidence": "Minh chứng không hợp lệ hoặc không thuộc hồ sơ này.",
        "max_files": "Tối đa {max} minh chứng.",
        "json_scalar": "Phải là một giá trị đơn (chuỗi hoặc số).",
        "json_string": "Phải là chuỗi ký tự.",
        "json_number": "Phải là số.",
        "json_boolean": "Phải là true hoặc false.",
        "json_string_list": "Phải là danh sách các chuỗi ký tự.",
        "json_id_list": "Phải là danh sách mã minh chứng (số nguyên).",
        "json_payload": "Dữ liệu gửi lên phải là một đối tượng JSON.",
        "placeholder": "— Chọn —",
        "yes": "Có",
        "no": "Không",
        "min_rows": "Cần ít nhất {min} dòng.",
        "max_rows": "Tối đa {max} dòng.",
        "json_rows": "Phải là danh sách các dòng (mỗi dòng là một đối tượng JSON).",
        "shortfall_total": "Tổng điểm {total}/{max_total}, thấp hơn mức {pass_total} điểm để được công nhận.",
        "shortfall_criterion": (
            "Tiêu chí {index} ({label}) đạt {points}/{max_points} điểm, thấp hơn {percent}% điểm tối đa."
        ),
        "shortfall_criterion_floor": (
            "Tiêu chí {index} ({label}) đạt {points}/{max_points} điểm, thấp hơn mức tối thiểu {floor} điểm."
        ),
        "shortfall_item": (
            "Nội dung “{label}” đạt {points}/{max_points} điểm, thấp hơn mức tối thiểu {floor} điểm."
        ),
        "shortfall_indicator": "Tiêu chí {index} ({criterion}): chỉ tiêu “{label}” chưa đạt {level}.",
        "evidence_required": "Tiêu chí {index} ({label}) có điểm nên cần ít nhất một minh chứng.",
        "rating_dat": "Đạt",
        "rating_khong_dat": "Không đạt",
        "rating_chua_dat": "Chưa đạt",
        "check_total": "Tổng điểm: {total}/{max_total} (cần từ {pass_total})",
        "check_criterion": "Tiêu chí {index} ({label}): {points}/{max_points} điểm (tối thiểu {floor})",
        "check_item": "“{label}”: {points}/{max_points} điểm (tối thiểu {floor})",
        "check_knockout": "Mục loại trừ: {label}",
        "check_indicators": "Tiêu chí {index} ({label}): mọi chỉ tiêu đạt {level}",
    },
    "en": {
        "required": "This field is required.",
        "required_choice": "Please choose an option.",
        "required_choices": "Please choose at least one option.",
        "required_file": "Please upload or choose at least one piece of evidence.",
        "single_value": "This field accepts a single value.",
        "unknown_field": "This field is not part of the form.",
        "number_range": "Value must be between {min} and {max}.",
        "number_min": "Value must be at least {min}.",
        "number_max": "Value must not be greater than {max}.",
        "not_integer": "Please enter a whole number.",
        "not_decimal": "Please enter a number (for example 7 or 7.5).",
        "bad_date": "Invalid date format (dd/mm/yyyy or yyyy-mm-dd).",
        "date_range": "Date must be between {min} and {max}.",
        "date_min": "Date must not be before {min}.",
        "date_max": "Date must not be after {max}.",
        "min_length": "At least {min} characters.",
        "max_length": "At most {max} characters ({n} entered).",
        "pattern": "Invalid format.",
        "invalid_choice": "Not a valid choice.",
        "min_items": "Please choose at least {min} items.",
        "max_items": "Choose at most {max} items.",
        "bad_evidence": "Invalid evidence, or evidence that does not belong to this dossier.",
        "max_files": "At most {max} pieces of evidence.",
        "json_scalar": "Must be a single value (string or number).",
        "json_string": "Must be a string.",
        "json_number": "Must be a number.",
        "json_boolean": "Must be true or false.",
        "json_string_list": "Must be a list of strings.",
        "json_id_list": "Must be a list of evidence ids (integers).",
        "json_payload": "The payload must be a JSON object.",
        "placeholder": "— Choose —",
        "yes": "Yes",
        "no": "No",
        "min_rows": "At least {min} rows are required.",
        "max_rows": "At most {max} rows.",
        "json_rows": "Must be a list of rows (each a JSON object).",
        "shortfall_total": (
            "Total score {total}/{max_total} is below the {pass_total} points required for recognition."
        ),
        "shortfall_criterion": (
            "Criterion {index} ({label}) scored {points}/{max_points}, below {percent}% of its maximum."
        ),
        "shortfall_criterion_floor": (
            "Criterion {index} ({label}) scored {points}/{max_points}, below its minimum of {floor} points."
        ),
        "shortfall_item": "“{label}” scored {points}/{max_points}, below its minimum of {floor} points.",
        "shortfall_indicator": "Criterion {index} ({criterion}): indicator “{label}” does not meet {level}.",
        "evidence_required": (
            "Criterion {index} ({label}) is scored, so it needs at least one piece of evidence."
        ),
        "rating_dat": "Achieved",
        "rating_khong_dat": "Not achieved",
        "rating_chua_dat": "Not met",
        "check_total": "Total: {total}/{max_total} (needs {pass_total})",
        "check_criterion": "Criterion {index} ({label}): {points}/{max_points} points (minimum {floor})",
        "check_item": "“{label}”: {points}/{max_points} points (minimum {floor})",
        "check_knockout": "Knock-out item: {label}",
        "check_indicators": "Criterion {index} ({label}): every indicator meets {level}",
    },
}


def _candidates(locale: str | None) -> list[str]:
    # Flask-Babel hands out locales such as "en_US"; the catalogs are keyed by language only.
    if not locale:
        return [DEFAULT_LOCALE]
    language = locale.replace("-", "_").split("_", 1)[0].lower()
    return [locale, language, DEFAULT_LOCALE]


def catalog_language(locale: str | None) -> str:
    """The catalog actually used for a locale (unknown locales fall back to Vietnamese)."""
    return next(candidate for candidate in _candidates(locale) if candidate in MESSAGES)


def message(key: str, locale: str | None = DEFAULT_LOCALE, **params: object) -> str:
    return MESSAGES[catalog_language(locale)][key].format(**params)


def localize(value: Label | None, locale: str | None = DEFAULT_LOCALE) -> str | None:
    """Resolve a label-like value: a plain string, or a {"vi": ..., "en": ...} dict."""
    if value is None or isinstance(value, str):
        return value
    for candidate in _candidates(locale):
        text = value.get(candidate)
        if text:
            return text
    return value[DEFAULT_LOCALE]


def format_number(value: float, locale: str | None = DEFAULT_LOCALE) -> str:
    text = f"{value:g}" if isinstance(value, float) else str(value)
    if catalog_language(locale) == "vi":
        return text.replace(".", ",")
    return text


def format_date(value: date, locale: str | None = DEFAULT_LOCALE) -> str:
    if catalog_language(locale) == "vi":
        return value.strftime("%d/%m/%Y")
    return value.isoformat()
