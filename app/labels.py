"""Words shown for stored codes (statuses, ratings, roles, history actions), in the reader's language."""

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

STATUS = {
    "in_progress": _l("Đang xử lý"),
    "returned": _l("Yêu cầu bổ sung"),
    "recognized": _l("Được công nhận"),
    "not_recognized": _l("Không được công nhận"),
    "rejected": _l("Từ chối"),
}
STATUS_STYLE = {
    "in_progress": "primary",
    "returned": "warning",
    "recognized": "success",
    "not_recognized": "secondary",
    "rejected": "danger",
}
RATING = {
    "tot": _l("Tốt"),
    "kha": _l("Khá"),
    "trung_binh": _l("Trung bình"),
    "dat": _l("Đạt"),
    "khong_dat": _l("Không đạt"),
    # The levels of Thông tư 24/2023 and 25/2023.
    "muc_1": _l("Mức độ 1"),
    "muc_2": _l("Mức độ 2"),
    "chua_dat": _l("Chưa đạt"),
}
ROLE = {
    "household": _l("Hộ gia đình"),
    "village_head": _l("Trưởng ấp / Tổ trưởng dân phố"),
    "commune_officer": _l("Cán bộ cấp xã"),
    "commune_chairman": _l("Chủ tịch UBND cấp xã"),
    "district_officer": _l("Cán bộ cấp huyện"),
    "emulation_committee": _l("Hội đồng Thi đua – Khen thưởng cấp tỉnh"),
    "province_officer": _l("Cán bộ Sở Giáo dục và Đào tạo"),
    "association": _l("Hội Khuyến học"),
    "applicant": _l("Dòng họ, cơ quan, đơn vị, công dân"),
    "inspector": _l("Thanh tra"),
    "admin": _l("Quản trị hệ thống"),
}
ACTION = {
    "dossier.opened": _l("Tạo hồ sơ"),
    "task.completed": _l("Hoàn thành bước"),
    "task.claimed": _l("Nhận xử lý"),
    "task.released": _l("Trả lại hàng chờ"),
    "task.reminder_due": _l("Nhắc việc đến hạn"),
    "timer.fired": _l("Hệ thống kiểm tra hạn xử lý"),
    "evidence.uploaded": _l("Tải lên minh chứng"),
    "comment.added": _l("Thêm ý kiến"),
    "subject.created": _l("Ghi nhận hộ gia đình"),
    "dossier.recognized": _l("Hồ sơ được công nhận"),
    "dossier.not_recognized": _l("Hồ sơ không được công nhận"),
    "dossier.rejected": _l("Hồ sơ bị từ chối"),
    "dossier.migrated": _l("Chuyển hồ sơ sang phiên bản quy trình khác"),
    "procedure.deployed": _l("Triển khai phiên bản quy trình"),
    "procedure.activated": _l("Áp dụng phiên bản quy trình"),
    "form.created": _l("Tạo biểu mẫu"),
    "form.draft_saved": _l("Lưu bản nháp biểu mẫu"),
    "form.draft_discarded": _l("Bỏ bản nháp biểu mẫu"),
    "form.published": _l("Xuất bản phiên bản biểu mẫu"),
    "step.failed": _l("Bước xử lý gặp lỗi"),
    "user.created": _l("Tạo tài khoản"),
    "user.activated": _l("Mở khóa tài khoản"),
    "user.deactivated": _l("Khóa tài khoản"),
    "user.password_reset": _l("Đặt lại mật khẩu"),
    "role.assigned": _l("Phân quyền"),
    "role.revoked": _l("Thu hồi quyền"),
    "token.issued": _l("Cấp mã truy cập API"),
    "unit.villages_added": _l("Thêm thôn, tổ dân phố"),
    "session.started": _l("Bắt đầu phiên đăng nhập"),
    "session.ended": _l("Kết thúc phiên đăng nhập"),
    "backup.restored": _l("Khôi phục bản sao lưu"),
    "decision.documents_generated": _l("Tạo văn bản quyết định và giấy chứng nhận"),
    "target.set": _l("Đặt chỉ tiêu của tỉnh"),
    "target.removed": _l("Xoá chỉ tiêu của tỉnh"),
    "decision.drafted": _l("Lập dự thảo quyết định"),
    "decision.updated": _l("Sửa dự thảo quyết định"),
    "decision.deleted": _l("Xóa dự thảo quyết định"),
    "decision.issued": _l("Ban hành quyết định"),
    "decision.listed": _l("Có tên trong quyết định được ban hành"),
    "decision.revoked": _l("Thu hồi quyết định"),
}
NOTIFICATION = {
    "task_opened": _l("Có công việc mới: %(task)s – hồ sơ %(code)s (%(subject)s)"),
    "dossier_returned": _l("Hồ sơ %(code)s được trả lại để bổ sung – việc cần làm: %(task)s"),
    "task_reminder": _l("Nhắc việc: %(task)s – hồ sơ %(code)s (%(subject)s) đã đến hạn xử lý"),
    "task_overdue": _l("Quá hạn: %(task)s – hồ sơ %(code)s (%(subject)s)"),
    "task_escalated": _l("Quá hạn ở %(unit)s: %(task)s – hồ sơ %(code)s (%(subject)s)"),
    "dossier_outcome": _l("Hồ sơ %(code)s: %(status)s"),
}


def localized(value, locale: str | None = None) -> str:
    """A label stored as ``{"vi": ..., "en": ...}`` (or a plain string) in the current language."""
    if value is None:
        return ""
    if isinstance(value, dict):
        lang = locale or str(get_locale() or "vi")
        return value.get(lang) or value.get("vi") or next(iter(value.values()), "")
    return str(value)


def label(mapping: dict, code: str | None) -> str:
    if code is None:
        return ""
    return str(mapping.get(code, code))
