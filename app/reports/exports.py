"""A progress report as files: XLSX in the layout of a provincial report (title rows, header, one row per
unit, the total), and PDF through WeasyPrint from an HTML template."""

from io import BytesIO
from pathlib import Path

import weasyprint
from flask import current_app, render_template
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from app.reports.queries import Report, Row
from app.services.units import place_name
from app.titles import title_label
from app.web import format_date

PERCENT = "0.00%"
INTEGER = "#,##0"
HEADER_ROW = 5
THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)


def report_heading(report: Report) -> str:
    return _(
        "Kết quả công nhận danh hiệu “%(title)s” năm %(year)s",
        title=title_label(report.title),
        year=report.year,
    )


def report_place(report: Report) -> str:
    return place_name(report.unit) if report.unit is not None else _("Toàn quốc")


def file_name(report: Report, extension: str) -> str:
    where = report.unit.code if report.unit is not None else "toan-quoc"
    return f"bao-cao-{report.title}-{report.year}-{where}.{extension}"


def columns() -> list[str]:
    return [
        _("STT"),
        _("Mã đơn vị"),
        _("Đơn vị"),
        _("Tổng số (cơ sở)"),
        _("Đăng ký"),
        _("Được công nhận"),
        _("Tỷ lệ so với đăng ký"),
        _("Tỷ lệ so với tổng số"),
        _("Chỉ tiêu"),
        _("Còn thiếu so với chỉ tiêu"),
        _("Căn cứ chỉ tiêu"),
    ]


def _fraction(percent: float | None) -> float | None:
    # Stored as a fraction so Excel's percent format shows 87.50% and sums and charts work on it.
    return None if percent is None else percent / 100


def _cells(number, row: Row) -> list:
    return [
        number,
        row.unit_code,
        row.unit_name,
        row.base,
        row.registered,
        row.recognized,
        _fraction(row.rate_registered),
        _fraction(row.rate_base),
        _fraction(row.target.rate if row.target else None),
        _fraction(row.gap),
        row.target.source if row.target else None,
    ]


def xlsx(report: Report, *, today) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = str(report.year)
    width = len(columns())
    last = get_column_letter(width)
    title_rows = [
        (report_heading(report).upper(), Font(bold=True, size=13)),
        (_("Đơn vị: %(place)s", place=report_place(report)), Font(italic=True)),
        (_("Ngày lập: %(date)s", date=format_date(today)), Font(italic=True)),
    ]
    for index, (text, font) in enumerate(title_rows, start=1):
        sheet.cell(row=index, column=1, value=text).font = font
        sheet.merge_cells(f"A{index}:{last}{index}")
        sheet.cell(row=index, column=1).alignment = Alignment(horizontal="center")
    for col, text in enumerate(columns(), start=1):
        cell = sheet.cell(row=HEADER_ROW, column=col, value=text)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = BOX
    line = HEADER_ROW
    for number, row in enumerate(report.rows, start=1):
        line += 1
        _write(sheet, line, _cells(number, row))
    line += 1
    total = _cells(None, report.total)
    total[1], total[2] = None, _("Tổng cộng")
    _write(sheet, line, total, bold=True)
    for col, size in enumerate((5, 14, 32, 12, 10, 12, 12, 12, 10, 12, 60), start=1):
        sheet.column_dimensions[get_column_letter(col)].width = size
    sheet.freeze_panes = sheet.cell(row=HEADER_ROW + 1, column=1)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _write(sheet, line: int, values: list, *, bold: bool = False) -> None:
    for col, value in enumerate(values, start=1):
        cell = sheet.cell(row=line, column=col, value=value)
        cell.border = BOX
        if 4 <= col <= 6:
            cell.number_format = INTEGER
        elif 7 <= col <= 10:
            cell.number_format = PERCENT
        if bold:
            cell.font = Font(bold=True)


def pdf(report: Report, *, today) -> bytes:
    html = render_template(
        "pdf/progress_report.html",
        report=report,
        heading=report_heading(report),
        place=report_place(report),
        today=today,
        columns=columns(),
    )
    base = str(Path(current_app.root_path) / "templates" / "reports")
    return weasyprint.HTML(string=html, base_url=base).write_pdf()
