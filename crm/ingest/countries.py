"""Country names as exports write them (English and Arabic, common short forms) → ISO 3166
alpha-2 codes. Pure: crm.ingest.contacts reads it when a country cell is not a 2-letter code."""

from __future__ import annotations

import re
import unicodedata

_NAMES = {
    "SA": ("saudi arabia", "kingdom of saudi arabia", "ksa", "saudi", "السعودية",
           "المملكة العربية السعودية", "السعوديه"),
    "AE": ("united arab emirates", "uae", "u.a.e.", "emirates", "الإمارات",
           "الامارات", "الإمارات العربية المتحدة", "الامارات العربية المتحدة"),
    "KW": ("kuwait", "الكويت"), "QA": ("qatar", "قطر"), "BH": ("bahrain", "البحرين"),
    "OM": ("oman", "عمان", "عُمان", "سلطنة عمان"),
    "JO": ("jordan", "الأردن", "الاردن"), "EG": ("egypt", "مصر"),
    "LB": ("lebanon", "لبنان"), "SY": ("syria", "سوريا", "سورية"), "IQ": ("iraq", "العراق"),
    "PS": ("palestine", "فلسطين"), "YE": ("yemen", "اليمن"), "MA": ("morocco", "المغرب"),
    "DZ": ("algeria", "الجزائر"), "TN": ("tunisia", "تونس"), "LY": ("libya", "ليبيا"),
    "SD": ("sudan", "السودان"), "TR": ("turkey", "türkiye", "turkiye", "تركيا"),
    "IR": ("iran", "إيران", "ايران"), "PK": ("pakistan", "باكستان"), "IN": ("india", "الهند"),
    "US": ("united states", "united states of america", "usa", "u.s.a.", "us", "u.s.",
           "america", "الولايات المتحدة", "الولايات المتحدة الأمريكية", "أمريكا", "امريكا"),
    "GB": ("united kingdom", "uk", "u.k.", "great britain", "britain", "england", "scotland",
           "wales", "northern ireland", "المملكة المتحدة", "بريطانيا"),
    "IE": ("ireland", "أيرلندا"), "CA": ("canada", "كندا"), "MX": ("mexico", "المكسيك"),
    "BR": ("brazil", "brasil", "البرازيل"), "AR": ("argentina", "الأرجنتين"),
    "FR": ("france", "فرنسا"), "DE": ("germany", "deutschland", "ألمانيا", "المانيا"),
    "IT": ("italy", "italia", "إيطاليا", "ايطاليا"), "ES": ("spain", "españa", "espana",
                                                          "إسبانيا", "اسبانيا"),
    "PT": ("portugal", "البرتغال"), "NL": ("netherlands", "the netherlands", "holland",
                                          "هولندا"),
    "BE": ("belgium", "بلجيكا"), "CH": ("switzerland", "سويسرا"), "AT": ("austria", "النمسا"),
    "SE": ("sweden", "السويد"), "NO": ("norway", "النرويج"), "DK": ("denmark", "الدنمارك"),
    "FI": ("finland", "فنلندا"), "PL": ("poland", "بولندا"), "RU": ("russia", "روسيا",
                                                                  "russian federation"),
    "UA": ("ukraine", "أوكرانيا"), "GR": ("greece", "اليونان"), "CN": ("china", "الصين"),
    "JP": ("japan", "اليابان"), "KR": ("south korea", "korea", "republic of korea",
                                       "كوريا الجنوبية"),
    "SG": ("singapore", "سنغافورة"), "MY": ("malaysia", "ماليزيا"),
    "ID": ("indonesia", "إندونيسيا", "اندونيسيا"), "PH": ("philippines", "الفلبين"),
    "AU": ("australia", "أستراليا", "استراليا"), "NZ": ("new zealand", "نيوزيلندا"),
    "ZA": ("south africa", "جنوب أفريقيا", "جنوب افريقيا"), "NG": ("nigeria", "نيجيريا"),
    "KE": ("kenya", "كينيا"), "ET": ("ethiopia", "إثيوبيا"),
    "BD": ("bangladesh", "بنغلاديش"), "HK": ("hong kong", "هونغ كونغ"),
}
_BY_NAME = {name: code for code, names in _NAMES.items() for name in names}


def _norm(value: str) -> str:
    s = unicodedata.normalize("NFKC", value).strip().lower()
    return re.sub(r"\s+", " ", s)


def country_code(value: str) -> str | None:
    """'Saudi Arabia' → 'SA'; 'السعودية' → 'SA'; 'UK' → 'GB'; None when unknown."""
    s = _norm(value)
    return _BY_NAME.get(s) or _BY_NAME.get(s.removeprefix("the ").strip(" ."))
