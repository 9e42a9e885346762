"""Reference data of the ward military command, as data (the same for every ward).

Legal grounds for deferment (tạm hoãn gọi nhập ngũ) and exemption (miễn gọi nhập ngũ): Law on Military
Service 2015 (Luật Nghĩa vụ quân sự số 78/2015/QH13), article 41, clause 1 (deferment, points a–h; point h
was added by the Law on Militia and Self-Defence Forces 2019) and clause 2 (exemption, points a–đ); article
42 gives the commune chair the decision and requires the list to be posted publicly. A ground is kept on
the record by its ``code``; titles are shown in the page's language.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Ground:
    code: str
    kind: str  # deferment | exemption
    article: str
    title_vi: str
    title_en: str


GROUNDS: tuple[Ground, ...] = (
    Ground("d_health", "deferment", "Điều 41 khoản 1 điểm a",
           "Chưa đủ sức khỏe phục vụ tại ngũ theo kết luận của Hội đồng khám sức khỏe",
           "Not yet fit for active service, as concluded by the health examination board"),
    Ground("d_sole_labour", "deferment", "Điều 41 khoản 1 điểm b",
           "Lao động duy nhất trực tiếp nuôi dưỡng thân nhân, hoặc gia đình bị thiệt hại nặng do tai nạn, "
           "thiên tai, dịch bệnh",
           "Sole worker supporting dependants, or a family severely harmed by an accident, disaster or epidemic"),
    Ground("d_invalid_child", "deferment", "Điều 41 khoản 1 điểm c",
           "Một con của bệnh binh, người nhiễm chất độc da cam suy giảm khả năng lao động từ 61% đến 80%",
           "One child of a sick soldier or Agent Orange victim with 61–80% loss of working capacity"),
    Ground("d_sibling_serving", "deferment", "Điều 41 khoản 1 điểm d",
           "Có anh, chị hoặc em ruột đang phục vụ tại ngũ hoặc thực hiện nghĩa vụ tham gia Công an nhân dân",
           "A brother or sister serving in the army or in the People's Public Security"),
    Ground("d_resettlement", "deferment", "Điều 41 khoản 1 điểm đ",
           "Thuộc diện di dân, giãn dân trong 03 năm đầu đến xã đặc biệt khó khăn",
           "Resettled to an extremely disadvantaged commune, within the first 3 years"),
    Ground("d_posted", "deferment", "Điều 41 khoản 1 điểm e",
           "Cán bộ, công chức, viên chức, thanh niên xung phong được điều động đến vùng đặc biệt khó khăn",
           "Official or youth volunteer posted to an extremely disadvantaged area"),
    Ground("d_study", "deferment", "Điều 41 khoản 1 điểm g",
           "Đang học phổ thông hoặc đào tạo đại học, cao đẳng hệ chính quy",
           "In general education, or in full-time university or college training"),
    Ground("d_militia", "deferment", "Điều 41 khoản 1 điểm h",
           "Dân quân thường trực", "Standing militia member"),
    Ground("e_martyr_child", "exemption", "Điều 41 khoản 2 điểm a",
           "Con của liệt sĩ, con của thương binh hạng một", "Child of a martyr or of a first-class war invalid"),
    Ground("e_martyr_sibling", "exemption", "Điều 41 khoản 2 điểm b",
           "Một anh hoặc một em trai của liệt sĩ", "One brother of a martyr"),
    Ground("e_invalid_child", "exemption", "Điều 41 khoản 2 điểm c",
           "Một con của thương binh hạng hai, bệnh binh hoặc người nhiễm chất độc da cam suy giảm khả năng "
           "lao động từ 81% trở lên",
           "One child of a second-class war invalid, or of a sick soldier or Agent Orange victim with 81% or "
           "more loss of working capacity"),
    Ground("e_cipher", "exemption", "Điều 41 khoản 2 điểm d",
           "Người làm công tác cơ yếu không phải là quân nhân, Công an nhân dân",
           "Cipher staff who are not soldiers or police"),
    Ground("e_posted", "exemption", "Điều 41 khoản 2 điểm đ",
           "Được điều động đến vùng đặc biệt khó khăn từ 24 tháng trở lên",
           "Posted to an extremely disadvantaged area for 24 months or more"),
)
BY_CODE = {g.code: g for g in GROUNDS}
STUDY_GROUND = "d_study"  # deferred for study: call-up age up to 27 (article 30)

# The register's statuses (one per citizen on the register).
STATUSES: dict[str, tuple[str, str]] = {
    "registered": ("Đã đăng ký", "Registered"),
    "deferred": ("Tạm hoãn", "Deferred"),
    "exempt": ("Miễn gọi nhập ngũ", "Exempt"),
    "enlisted": ("Đang tại ngũ", "On active service"),
    "reserve": ("Quân nhân dự bị", "Reservist"),
}
# A call-up roster entry's statuses.
ROSTER_STATUSES: dict[str, tuple[str, str]] = {
    "listed": ("Trong danh sách", "Listed"),
    "summoned": ("Đã gọi khám, gọi nhập ngũ", "Summoned"),
    "enlisted": ("Đã nhập ngũ", "Enlisted"),
    "deferred": ("Tạm hoãn", "Deferred"),
    "exempt": ("Miễn", "Exempt"),
    "unfit": ("Không đủ sức khỏe", "Not fit"),
}
ROSTER_MOVES = {
    "listed": {"summoned", "deferred", "exempt", "unfit"},
    "summoned": {"enlisted", "deferred", "exempt", "unfit"},
}
HEALTH_CLASSES = range(1, 7)  # 1–3 fit for active service; 4–6 not
FIT_CLASSES = (1, 2, 3)

REGISTRATION_AGE = 17  # article 16: registered in the year the citizen turns 17
CALL_UP_MIN_AGE, CALL_UP_MAX_AGE, CALL_UP_MAX_AGE_STUDY = 18, 25, 27  # article 30
