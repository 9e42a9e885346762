"""Interface messages of the console pages: ``{id: (vi, en)}``."""

MESSAGES: dict[str, tuple[str, str]] = {
    "social_welfare.heading": ("Bảo trợ xã hội", "Social welfare"),
    "social_welfare.base_levels": ("Mức chuẩn trợ giúp xã hội", "Base level of social assistance"),
    "social_welfare.beneficiaries": ("Đối tượng trợ cấp hằng tháng", "Monthly allowance beneficiaries"),
    "social_welfare.payment_lists": ("Danh sách chi trả", "Payment lists"),
    "social_welfare.list.heading": ("Danh sách chi trả tháng {month}", "Payment list for {month}"),
    "social_welfare.empty": ("Chưa có dữ liệu.", "Nothing yet."),
    "social_welfare.col.from": ("Áp dụng từ", "From"),
    "social_welfare.col.amount": ("Số tiền (đồng)", "Amount (VND)"),
    "social_welfare.col.name": ("Họ và tên", "Full name"),
    "social_welfare.col.category": ("Đối tượng", "Category"),
    "social_welfare.col.coefficient": ("Hệ số", "Coefficient"),
    "social_welfare.col.month": ("Tháng", "Month"),
    "social_welfare.col.total": ("Tổng (đồng)", "Total (VND)"),
    "social_welfare.col.paid": ("Đã chi", "Paid"),
}
