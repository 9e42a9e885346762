"""Reference lists of the population register, as data in Vietnamese and English.

Codes are what the database stores; the labels are for people. Lists:

* ``ETHNICITIES``: the 54 ethnic groups with the General Statistics Office codes of Decision
  1019/QĐ-TCTK (2008), the codes the national population database uses (``"01"`` Kinh … ``"54"`` Ơ Đu).
* ``RELIGIONS``: the religions recognised in Viet Nam, plus ``none`` and ``other``.
* ``RELATIONS``: relation to the head of the household (``head`` is the head).
* ``STATUSES``: a person's status in the ward's register.
* ``SEXES``, ``NEIGHBOURHOOD_KINDS``, ``AGE_BANDS``.
* ``BIRTH_PROVINCES``: the 63 province codes used in the first three digits of a personal
  identification number (``"0" + `` the GSO code of the province before 1 July 2025, e.g. ``"079"``).
  Numbers keep their province of birth registration when provinces merge, so this list stays.
"""

from __future__ import annotations

from dataclasses import dataclass

from plugins.residents.normalize import normalize


@dataclass(frozen=True, slots=True)
class Term:
    code: str
    vi: str
    en: str

    def label(self, lang: str) -> str:
        return self.en if lang == "en" else self.vi

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "vi": self.vi, "en": self.en}


def _terms(*rows: tuple[str, str, str]) -> tuple[Term, ...]:
    return tuple(Term(*row) for row in rows)


ETHNICITIES = _terms(
    ("01", "Kinh", "Kinh (Viet)"), ("02", "Tày", "Tay"), ("03", "Thái", "Thai"), ("04", "Mường", "Muong"),
    ("05", "Khơ Me", "Khmer"), ("06", "Hoa", "Hoa (Chinese)"), ("07", "Nùng", "Nung"),
    ("08", "Mông", "Hmong"), ("09", "Dao", "Dao (Yao)"), ("10", "Gia Rai", "Jarai"), ("11", "Ê Đê", "Rhade (E De)"),
    ("12", "Ba Na", "Bahnar"), ("13", "Sán Chay", "San Chay"), ("14", "Chăm", "Cham"), ("15", "Cơ Ho", "Koho"),
    ("16", "Xơ Đăng", "Sedang"), ("17", "Sán Dìu", "San Diu"), ("18", "Hrê", "Hre"), ("19", "Ra Glai", "Raglai"),
    ("20", "Mnông", "Mnong"), ("21", "Thổ", "Tho"), ("22", "Xtiêng", "Stieng"), ("23", "Khơ Mú", "Khmu"),
    ("24", "Bru - Vân Kiều", "Bru - Van Kieu"), ("25", "Cơ Tu", "Katu"), ("26", "Giáy", "Giay"),
    ("27", "Tà Ôi", "Ta Oi"), ("28", "Mạ", "Ma"), ("29", "Giẻ Triêng", "Gie Trieng"), ("30", "Co", "Co"),
    ("31", "Chơ Ro", "Cho Ro"), ("32", "Xinh Mun", "Xinh Mun"), ("33", "Hà Nhì", "Ha Nhi"),
    ("34", "Chu Ru", "Chu Ru"), ("35", "Lào", "Lao"), ("36", "La Chí", "La Chi"), ("37", "Kháng", "Khang"),
    ("38", "Phù Lá", "Phu La"), ("39", "La Hủ", "La Hu"), ("40", "La Ha", "La Ha"), ("41", "Pà Thẻn", "Pa Then"),
    ("42", "Lự", "Lu"), ("43", "Ngái", "Ngai"), ("44", "Chứt", "Chut"), ("45", "Lô Lô", "Lo Lo"),
    ("46", "Mảng", "Mang"), ("47", "Cơ Lao", "Co Lao"), ("48", "Bố Y", "Bo Y"), ("49", "Cống", "Cong"),
    ("50", "Si La", "Si La"), ("51", "Pu Péo", "Pu Peo"), ("52", "Rơ Măm", "Ro Mam"), ("53", "Brâu", "Brau"),
    ("54", "Ơ Đu", "O Du"),
)

RELIGIONS = _terms(
    ("none", "Không", "None"),
    ("buddhism", "Phật giáo", "Buddhism"),
    ("catholicism", "Công giáo", "Catholicism"),
    ("protestantism", "Tin lành", "Protestantism"),
    ("cao_dai", "Cao Đài", "Cao Dai"),
    ("hoa_hao", "Phật giáo Hòa Hảo", "Hoa Hao Buddhism"),
    ("islam", "Hồi giáo", "Islam"),
    ("bahai", "Baha'i", "Baha'i Faith"),
    ("tinh_do_cu_si", "Tịnh độ Cư sĩ Phật hội Việt Nam", "Pure Land Lay Buddhist Association of Vietnam"),
    ("adventist", "Cơ đốc Phục lâm", "Seventh-day Adventist"),
    ("tu_an_hieu_nghia", "Phật giáo Tứ Ân Hiếu Nghĩa", "Tu An Hieu Nghia Buddhism"),
    ("buu_son_ky_huong", "Bửu Sơn Kỳ Hương", "Buu Son Ky Huong"),
    ("minh_su_dao", "Minh Sư đạo", "Minh Su Dao"),
    ("minh_ly_dao", "Minh Lý đạo - Tam Tông Miếu", "Minh Ly Dao - Tam Tong Mieu"),
    ("brahmanism", "Bà-la-môn", "Brahmanism"),
    ("latter_day_saints", "Các Thánh hữu Ngày sau của Chúa Giê-su Ky-tô",
     "The Church of Jesus Christ of Latter-day Saints"),
    ("hieu_nghia_ta_lon", "Phật giáo Hiếu Nghĩa Tà Lơn", "Hieu Nghia Ta Lon Buddhism"),
    ("other", "Tôn giáo khác", "Other religion"),
)

HEAD = "head"
RELATIONS = _terms(
    (HEAD, "Chủ hộ", "Head of household"),
    ("spouse", "Vợ/chồng", "Spouse"),
    ("child", "Con", "Child"),
    ("child_in_law", "Con dâu/con rể", "Child-in-law"),
    ("parent", "Cha/mẹ", "Parent"),
    ("parent_in_law", "Cha/mẹ vợ hoặc chồng", "Parent-in-law"),
    ("grandparent", "Ông/bà", "Grandparent"),
    ("grandchild", "Cháu nội/ngoại", "Grandchild"),
    ("sibling", "Anh/chị/em", "Sibling"),
    ("nephew_niece", "Cháu (con của anh/chị/em)", "Nephew or niece"),
    ("relative", "Họ hàng khác", "Other relative"),
    ("other", "Người ở cùng khác", "Other household member"),
)

PRESENT, MOVED_AWAY, DECEASED = "present", "moved_away", "deceased"
STATUSES = _terms(
    (PRESENT, "Đang cư trú", "Present"),
    (MOVED_AWAY, "Đã chuyển đi", "Moved away"),
    (DECEASED, "Đã mất", "Deceased"),
)

MALE, FEMALE = "male", "female"
SEXES = _terms((MALE, "Nam", "Male"), (FEMALE, "Nữ", "Female"))

# Top level: khu phố (urban quarter), ấp / thôn (rural hamlet); under them: tổ dân phố / tổ nhân dân.
TOP_KINDS = ("khu_pho", "ap", "thon")
GROUP_KIND = "to_dan_pho"
NEIGHBOURHOOD_KINDS = _terms(
    ("khu_pho", "Khu phố", "Quarter"),
    ("ap", "Ấp", "Hamlet"),
    ("thon", "Thôn", "Village"),
    (GROUP_KIND, "Tổ dân phố", "Residential group"),
)

# Age bands used by the statistics: (code, lowest age, highest age or None, vi, en).
AGE_BANDS: tuple[tuple[str, int, int | None, str, str], ...] = (
    ("0-5", 0, 5, "Dưới 6 tuổi", "Under 6"),
    ("6-14", 6, 14, "6–14 tuổi", "6–14"),
    ("15-17", 15, 17, "15–17 tuổi", "15–17"),
    ("18-59", 18, 59, "18–59 tuổi", "18–59"),
    ("60-79", 60, 79, "60–79 tuổi", "60–79"),
    ("80+", 80, None, "Từ 80 tuổi", "80 and over"),
)

BIRTH_PROVINCES: dict[str, str] = {
    "001": "Hà Nội", "002": "Hà Giang", "004": "Cao Bằng", "006": "Bắc Kạn", "008": "Tuyên Quang",
    "010": "Lào Cai", "011": "Điện Biên", "012": "Lai Châu", "014": "Sơn La", "015": "Yên Bái",
    "017": "Hoà Bình", "019": "Thái Nguyên", "020": "Lạng Sơn", "022": "Quảng Ninh", "024": "Bắc Giang",
    "025": "Phú Thọ", "026": "Vĩnh Phúc", "027": "Bắc Ninh", "030": "Hải Dương", "031": "Hải Phòng",
    "033": "Hưng Yên", "034": "Thái Bình", "035": "Hà Nam", "036": "Nam Định", "037": "Ninh Bình",
    "038": "Thanh Hóa", "040": "Nghệ An", "042": "Hà Tĩnh", "044": "Quảng Bình", "045": "Quảng Trị",
    "046": "Huế", "048": "Đà Nẵng", "049": "Quảng Nam", "051": "Quảng Ngãi", "052": "Bình Định",
    "054": "Phú Yên", "056": "Khánh Hòa", "058": "Ninh Thuận", "060": "Bình Thuận", "062": "Kon Tum",
    "064": "Gia Lai", "066": "Đắk Lắk", "067": "Đắk Nông", "068": "Lâm Đồng", "070": "Bình Phước",
    "072": "Tây Ninh", "074": "Bình Dương", "075": "Đồng Nai", "077": "Bà Rịa - Vũng Tàu",
    "079": "Hồ Chí Minh", "080": "Long An", "082": "Tiền Giang", "083": "Bến Tre", "084": "Trà Vinh",
    "086": "Vĩnh Long", "087": "Đồng Tháp", "089": "An Giang", "091": "Kiên Giang", "092": "Cần Thơ",
    "093": "Hậu Giang", "094": "Sóc Trăng", "095": "Bạc Liêu", "096": "Cà Mau",
}


def codes(terms: tuple[Term, ...]) -> frozenset[str]:
    return frozenset(t.code for t in terms)


_indexes: dict[int, dict[str, Term]] = {}


def lookup(terms: tuple[Term, ...], value: str) -> Term | None:
    """The term whose code, Vietnamese or English label matches ``value`` (accents and case ignored)."""
    index = _indexes.get(id(terms))
    if index is None:
        labels = [(t, term) for term in terms for t in (term.code, term.vi, term.en)]
        index = _indexes[id(terms)] = {**{normalize(t): term for t, term in labels}, **dict(labels)}
    found = index.get(value)  # written exactly as in the list: no need to fold
    return found if found is not None else index.get(normalize(value))


def by_code(terms: tuple[Term, ...]) -> dict[str, Term]:
    return {t.code: t for t in terms}


def as_json() -> dict[str, list[dict[str, str]]]:
    """Every list for clients (forms, import templates)."""
    return {
        "ethnicities": [t.as_dict() for t in ETHNICITIES],
        "religions": [t.as_dict() for t in RELIGIONS],
        "relations": [t.as_dict() for t in RELATIONS],
        "statuses": [t.as_dict() for t in STATUSES],
        "sexes": [t.as_dict() for t in SEXES],
        "neighbourhood_kinds": [t.as_dict() for t in NEIGHBOURHOOD_KINDS],
        "age_bands": [{"code": c, "vi": vi, "en": en} for c, _lo, _hi, vi, en in AGE_BANDS],
        "birth_provinces": [{"code": c, "vi": n, "en": n} for c, n in BIRTH_PROVINCES.items()],
    }
