"""Registry files for import tests: realistic households (gendered names, children with the father's
surname, real relations), clans and organisations, written as XLSX or CSV in the import layout."""

import csv
import io
import random

from app.services.registry_layouts import headers

SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Phan", "Trương", "Bùi", "Đặng", "Đỗ", "Ngô")
MIDDLE = {"Nam": ("Văn", "Hữu", "Minh", "Quốc", "Thành"), "Nữ": ("Thị", "Ngọc", "Thu", "Kim", "Thanh")}
GIVEN = {
    "Nam": ("An", "Bình", "Cường", "Dũng", "Hải", "Hùng", "Khang", "Long", "Phúc", "Tài", "Tuấn", "Vinh"),
    "Nữ": ("Anh", "Cúc", "Diễm", "Hà", "Hoa", "Lan", "Linh", "Mai", "Ngân", "Thảo", "Trang", "Yến"),
}


def _name(rng: random.Random, surname: str, gender: str) -> str:
    return f"{surname} {rng.choice(MIDDLE[gender])} {rng.choice(GIVEN[gender])}"


def household_rows(count: int, villages: list[str], *, prefix: str = "IMP", seed: int = 7) -> list[list]:
    """``count`` households spread over ``villages``: a father who heads it, his wife, two or three children
    with his surname (about 4 members each)."""
    rng = random.Random(seed)
    rows = []
    for number in range(1, count + 1):
        village = villages[number % len(villages)]
        code = f"{prefix}-{village}-{number:06d}"
        surname, wife_surname = rng.choice(SURNAMES), rng.choice(SURNAMES)
        father = _name(rng, surname, "Nam")
        name, address = f"Hộ {father}", f"Số {number}, thôn {village}"
        father_year = rng.randint(1960, 1990)
        people = [
            (father, "Nam", father_year, "Chủ hộ"),
            (_name(rng, wife_surname, "Nữ"), "Nữ", father_year + 2, "Vợ"),
        ]
        for child in range(rng.randint(2, 3) if number % 2 else 2):
            gender = rng.choice(("Nam", "Nữ"))
            people.append(
                (_name(rng, surname, gender), gender, min(father_year + 24 + child * 3, 2024), "Con")
            )
        rows.extend([code, name, address, village, *person] for person in people)
    return rows


def clan_rows(clans: dict[str, tuple[str, str, list[str]]]) -> list[list]:
    """{clan code: (name, unit code, [member household codes])} as rows."""
    return [[code, name, unit, member] for code, (name, unit, members) in clans.items() for member in members]


def organisation_rows(
    count: int, unit: str, *, staff: int = 5, prefix: str = "ORG", seed: int = 11
) -> list[list]:
    rng = random.Random(seed)
    rows = []
    kinds = ("Cơ quan", "Trường học", "Doanh nghiệp")
    groups = ("Cán bộ, công nhân viên, doanh nhân", "Người lao động")
    for number in range(1, count + 1):
        code = f"{prefix}-{unit}-{number:03d}"
        for person in range(1, staff + 1):
            gender = rng.choice(("Nam", "Nữ"))
            rows.append(
                [
                    code,
                    f"Đơn vị số {number}",
                    kinds[number % 3],
                    unit,
                    f"CD-{code}-{person:03d}",
                    _name(rng, rng.choice(SURNAMES), gender),
                    gender,
                    rng.randint(1965, 2000),
                    groups[person % 2],
                    "Trưởng phòng" if person == 1 else "Nhân viên",
                ]
            )
    return rows


def as_csv(kind: str, rows: list[list], *, bom: bool = True, header: list[str] | None = None) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header or headers(kind))
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig" if bom else "utf-8")


def as_xlsx(kind: str, rows: list[list], *, header: list[str] | None = None) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title="Sheet1")
    sheet.append(header or headers(kind))
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
