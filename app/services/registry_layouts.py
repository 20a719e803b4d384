"""The column layouts of the registry files, one per kind: the headers an import reads and an export writes.

A file is one sheet (XLSX) or one table (CSV) whose first row holds these headers, in Vietnamese, in any
order (extra columns are ignored). One row per person: a household's members, an organisation's staff, a
clan's member households; the subject's own columns repeat on each of its rows. The same layout is written
by the export, so an exported file imports back to no change.
"""

from dataclasses import dataclass

KINDS = ("households", "clans", "organisations")

# Spreadsheet labels ↔ stored values.
GENDERS = {"nam": "nam", "nữ": "nu", "nu": "nu"}
GENDER_LABELS = {"nam": "Nam", "nu": "Nữ"}
# Relations to the head of the household, as written on the household book (sổ hộ khẩu); stored as written
# here, capitalised.
RELATIONS = (
    "Chủ hộ",
    "Vợ",
    "Chồng",
    "Con",
    "Cha",
    "Mẹ",
    "Ông",
    "Bà",
    "Cháu",
    "Anh",
    "Chị",
    "Em",
    "Khác",
)
HEAD = "Chủ hộ"
ORGANISATION_CATEGORIES = {"agency": "Cơ quan", "school": "Trường học", "enterprise": "Doanh nghiệp"}
CITIZEN_GROUPS = {
    "nguoi_dan": "Người dân",
    "nguoi_lao_dong": "Người lao động",
    "can_bo_doanh_nhan": "Cán bộ, công nhân viên, doanh nhân",
    "hoc_sinh_sinh_vien": "Học sinh, sinh viên, học viên",
}


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool = True
    example: str = ""


LAYOUTS: dict[str, tuple[Column, ...]] = {
    "households": (
        Column("code", "Mã hộ", example="DEMO-AH-V1-H99"),
        Column("name", "Tên hộ", required=False, example="Hộ Nguyễn Văn An"),
        Column("address", "Địa chỉ", required=False, example="Số 12, Khu vực 1, Phường An Hòa"),
        Column("unit", "Mã thôn", example="DEMO-AH-V1"),
        Column("full_name", "Họ và tên", example="Nguyễn Văn An"),
        Column("gender", "Giới tính", example="Nam"),
        Column("birth_year", "Năm sinh", example="1975"),
        Column("relation", "Quan hệ với chủ hộ", example="Chủ hộ"),
    ),
    "clans": (
        Column("code", "Mã dòng họ", example="DH-AH-NGUYEN"),
        Column("name", "Tên dòng họ", example="Dòng họ Nguyễn (chi 2)"),
        Column("unit", "Mã đơn vị hành chính", example="DEMO-AH"),
        Column("member", "Mã hộ thành viên", required=False, example="DEMO-AH-V1-H01"),
    ),
    "organisations": (
        Column("code", "Mã cơ quan, đơn vị", example="DV-AH-THCS"),
        Column("name", "Tên cơ quan, đơn vị", example="Trường THCS An Hòa"),
        Column("category", "Loại", example="Trường học"),
        Column("unit", "Mã đơn vị quản lý", example="DEMO-AH"),
        Column("citizen_code", "Mã công dân", required=False, example="CD-AH-000123"),
        Column("full_name", "Họ và tên", required=False, example="Trần Thị Bình"),
        Column("gender", "Giới tính", required=False, example="Nữ"),
        Column("birth_year", "Năm sinh", required=False, example="1988"),
        Column("group", "Nhóm", required=False, example="Cán bộ, công nhân viên, doanh nhân"),
        Column("position", "Chức vụ", required=False, example="Giáo viên"),
    ),
}

# The stored kind of the subjects each file describes.
SUBJECT_KIND = {"households": "household", "clans": "clan", "organisations": "organisation"}


def headers(kind: str) -> list[str]:
    return [column.header for column in LAYOUTS[kind]]


def header_of(kind: str, key: str) -> str:
    return next(column.header for column in LAYOUTS[kind] if column.key == key)
