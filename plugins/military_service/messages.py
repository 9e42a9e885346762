"""Interface messages of the console pages: ``{id: (vi, en)}``."""

MESSAGES: dict[str, tuple[str, str]] = {
    "military_service.register.heading": ("Sổ đăng ký nghĩa vụ quân sự", "Military service register"),
    "military_service.register.empty": ("Chưa có công dân nào trong sổ.", "Nobody is on the register yet."),
    "military_service.due.heading": ("Công dân phải đăng ký năm {year}", "Citizens to register in {year}"),
    "military_service.due.progress": ("Đã đăng ký {registered} / {total}", "{registered} of {total} registered"),
    "military_service.roster.heading": ("Danh sách gọi nhập ngũ năm {year}", "Call-up roster {year}"),
    "military_service.roster.empty": ("Chưa lập danh sách cho năm này.", "No roster drawn up for this year."),
    "military_service.col.name": ("Họ và tên", "Full name"),
    "military_service.col.birth": ("Năm sinh", "Born"),
    "military_service.col.status": ("Tình trạng", "Status"),
    "military_service.col.registered_on": ("Ngày đăng ký", "Registered on"),
    "military_service.col.health": ("Sức khỏe", "Health class"),
    "military_service.col.ground": ("Căn cứ", "Ground"),
    "military_service.col.count": ("Số người", "People"),
    "military_service.yes": ("Đã đăng ký", "Registered"),
    "military_service.no": ("Chưa đăng ký", "Not registered"),
}
