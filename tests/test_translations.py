"""One word per concept within each language, across KPI names, measure names and labels.

Every text whose English says "session" uses the language's one word for session, and so
on for each concept in ``CONCEPTS`` (docs/translations.md explains the choices and cites
the platform vocabulary). A word that differs by grammar (Finnish cases, Persian broken
plurals, Hebrew final letters and construct state) is given as a stem or a small regular
expression. Pure YAML reads: fast.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

import pytest
import yaml

from kpi_xl import catalog
from kpi_xl.vocabulary import LANGUAGES

TRANSLATED = tuple(lang for lang in LANGUAGES if lang != "en")

#: concept -> language -> the concept's one word in that language, as a regular expression
#: (most are a plain word or stem), matched case-insensitively after ``fold``. The English
#: expression selects the texts that name the concept.
CONCEPTS: dict[str, dict[str, str]] = {
    "session": {"en": r"\bsessions?\b", "fa": "نشست", "he": "סשן", "fi": "istun", "uz": "seans"},
    "user": {
        "en": r"\busers?\b",
        "fa": "کاربر",
        "he": "משתמש",
        "fi": "käyttäj",
        "uz": "foydalanuvchi",
    },
    "key event": {
        "en": r"\bkey events?\b",
        "fa": "رویداد(های)? کلیدی",
        "he": "אירוע(ים)? מרכזי",
        "fi": "avaintapahtum",
        "uz": "asosiy hodisa",
    },
    "conversion": {
        "en": r"\bconversions?\b",
        "fa": "تبدیل",
        "he": "המר",
        "fi": "konversio",
        "uz": "konversiya",
    },
    "click": {"en": r"\bclick", "fa": "کلیک", "he": "קליק", "fi": "klikkau", "uz": "klik"},
    "impression": {
        "en": r"\bimpressions?\b",
        "fa": "نمایش",
        "he": "חשיפ",
        "fi": "näyttökerr",
        "uz": "ko'rsatish",
    },
    "engagement": {
        "en": r"\bengag",
        "fa": "تعامل",
        "he": "מעורבות",
        "fi": "sitoutu",
        "uz": "faollik",
    },
    # a session that left without engagement (GA4), not an e-mail that came back
    "bounce": {
        "en": r"(?<!email )\bbounce",
        "fa": "پرش",
        "he": "עזיב",
        "fi": "välit",
        "uz": "faolliksiz chiqib ket",
    },
    "email bounce": {
        "en": r"\bemail bounce",
        "fa": "برگشت",
        "he": "שחזרו",
        "fi": "palautu",
        "uz": "qaytgan",
    },
    "churn": {
        "en": r"\bchurn",
        "fa": "ریزش",
        "he": "נטיש",
        "fi": "asiakaspoistum",
        "uz": "mijozlar ketish",
    },
    "lead": {"en": r"\bleads?\b", "fa": "سرنخ", "he": "ליד", "fi": "liid", "uz": "lid"},
    "customer": {
        "en": r"\bcustomers?\b",
        "fa": "مشتری",
        "he": "לקוח",
        "fi": "asiak",
        "uz": "mijoz",
    },
    "acquisition": {
        "en": r"\bacquisition\b",
        "fa": "جذب",
        "he": "גיוס",
        "fi": "hankin",
        "uz": "jalb qilish",
    },
    "revenue": {
        "en": r"\brevenue\b",
        "fa": "درآمد",
        "he": "הכנס",
        "fi": "liikevaih",
        "uz": "daromad",
    },
    "cost": {"en": r"\bcost\b", "fa": "هزینه", "he": "עלות", "fi": "kustannu", "uz": "xarajat"},
    "reach": {
        "en": r"\breach\b",
        "fa": "دسترسی",
        "he": "טווח הגעה",
        "fi": "kattavuu",
        "uz": "qamrov",
    },
    # a share or a change in percent; the exchange rate is another word (NOT_THE_CONCEPT)
    "rate": {"en": r"\brate\b", "fa": "نرخ", "he": "שיעור", "fi": "prosent", "uz": "daraja"},
    "unsubscribe": {
        "en": r"\bunsubscribe",
        "fa": "لغو اشتراک",
        "he": "הסר(ה|ות) מרשימת התפוצה",
        "fi": "tilauksen peruu",
        "uz": "obunani bekor qil",
    },
    "unique": {
        "en": r"\bunique\b",
        "fa": "یکتا",
        "he": "ייחודי",
        "fi": "yksilöll",
        "uz": "takrorlanmas",
    },
    "platform": {
        "en": r"\bplatform",
        "fa": "پلتفرم",
        "he": "פלטפורמ",
        "fi": "alust",
        "uz": "platforma",
    },
    "blended": {
        "en": r"\bblended\b",
        "fa": "ترکیبی",
        "he": "משולב",
        "fi": "yhdistet",
        "uz": "aralash",
    },
    "target": {
        "en": r"\btargets?\b",
        "fa": "هدف|اهداف",
        "he": "יעד",
        "fi": "tavoit",
        "uz": "maqsad",
    },
    "attainment": {
        "en": r"\battainment\b",
        "fa": "تحقق",
        "he": "עמידה ביעד",
        "fi": "toteutumis",
        "uz": "bajarilish",
    },
    "channel": {"en": r"\bchannels?\b", "fa": "کانال", "he": "ערוץ", "fi": "kanav", "uz": "kanal"},
    "social": {
        "en": r"\bsocial\b",
        "fa": "اجتماعی",
        "he": "חברתי",
        "fi": "sosiaali",
        "uz": "ijtimoiy",
    },
    "email": {
        "en": r"\be-?mails?\b",
        "fa": "ایمیل",
        "he": "אימייל",
        "fi": "sähköpost",
        "uz": "elektron",
    },
}

#: (concept, text) pairs whose English uses the concept's word in another sense.
NOT_THE_CONCEPT = {
    ("rate", "label settings_fx"): "the exchange rate (fa نرخ ارز, he שער), not a share",
}

#: Concepts that must never share a word in any language: the text naming one does not use
#: the other's word (Uzbek once said "jalb qilish" for both engagement and acquisition).
KEPT_APART = [
    ("engagement", "acquisition"),
    ("bounce", "churn"),
    ("bounce", "email bounce"),
]

#: Words that must not come back: language -> expression -> why.
FORBIDDEN: dict[str, dict[str, str]] = {
    "fa": {
        "نرخهای تبدیل": "conversion rates; the exchange rate is نرخ ارز",
    },
    "he": {
        "הקלק": "the noun clicks is קליקים (Google Ads Hebrew), never הקלקה/הקלקות",
        "סושיאל": "social media is הרשתות החברתיות",
        "שערי המרה": "המרה is conversion; the exchange rate is שער חליפין",
    },
    "fi": {
        "tilausten peruutu": "reads as order cancellations next to Tilaukset (orders)",
        "konversioaste|sitoutumisaste|pysyvyysaste": "a rate is -prosentti",
        r"\bhinta\b": "cost is kustannus",
    },
    "uz": {
        r"\bnoyob": "noyob means rare; unique (counted once) is takrorlanmas",
        r"\bqaytish": "qaytish is return; a bounce leaves without engagement",
        r"\bbosish\b": "clicks are kliklar",
        r"\bnarx": "cost is xarajat",
        r"o'sish sur'at": "a growth rate is o'sish darajasi",
    },
}

HEBREW_FINALS = str.maketrans("ךםןףץ", "כמנפצ")
UZBEK_APOSTROPHES = str.maketrans({"ʻ": "'", "ʼ": "'", "‘": "'", "’": "'", "`": "'"})
PERSIAN_LETTERS = str.maketrans({"ك": "ک", "ي": "ی", "‌": None})  # Arabic kaf/yeh, ZWNJ


def fold(text: str, lang: str) -> str:
    """Case, Hebrew final letters, Persian letter variants and ZWNJ, Uzbek apostrophes."""
    text = unicodedata.normalize("NFC", text).casefold()
    if lang == "he":
        text = text.translate(HEBREW_FINALS)
    elif lang == "fa":
        text = text.translate(PERSIAN_LETTERS)
    elif lang == "uz":
        text = text.translate(UZBEK_APOSTROPHES)
    return text


def _yaml(name: str) -> Any:
    return yaml.safe_load(resources.files("kpi_xl.catalog").joinpath(name).read_text("utf-8"))


def _label_files() -> dict[str, Any]:
    """Every labels file's entries, merged (kpi_xl/catalog/labels/*.yaml)."""
    folder = resources.files("kpi_xl.catalog").joinpath("labels")
    data: dict[str, Any] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            data |= yaml.safe_load(entry.read_text("utf-8")) or {}
    return data


@cache
def _labels() -> dict[str, dict[str, str]]:
    data: dict[str, Any] = _label_files()
    return {key: {lang: str(text) for lang, text in names.items()} for key, names in data.items()}


@cache
def texts() -> dict[str, Mapping[str, str]]:
    """Every user-facing name by its source: ``KPI cac``, ``measure cost``, ``label kpi``."""
    found: dict[str, Mapping[str, str]] = {}
    for kpi in catalog.kpis().values():
        found[f"KPI {kpi.id}"] = kpi.names
    for measure in catalog.measures().values():
        found[f"measure {measure.id}"] = measure.names
    for key, names in _labels().items():
        found[f"label {key}"] = names
    return found


def names_concept(concept: str, where: str, english: str) -> bool:
    if (concept, where) in NOT_THE_CONCEPT:
        return False
    return re.search(CONCEPTS[concept]["en"], english, re.IGNORECASE) is not None


def uses(concept: str, lang: str, text: str) -> bool:
    return re.search(fold(CONCEPTS[concept][lang], lang), fold(text, lang)) is not None


def test_every_concept_has_a_word_in_every_language() -> None:
    for concept, words in CONCEPTS.items():
        assert set(words) == set(LANGUAGES), concept
        named = [w for w, names in texts().items() if names_concept(concept, w, names["en"])]
        assert named, f"{concept}: no English text says {words['en']!r}"
    for concept, where in NOT_THE_CONCEPT:
        assert concept in CONCEPTS and where in texts(), (concept, where)


@pytest.mark.parametrize("lang", TRANSLATED)
@pytest.mark.parametrize("concept", list(CONCEPTS))
def test_one_word_per_concept(concept: str, lang: str) -> None:
    """Each text whose English names the concept uses the language's word for it."""
    missing = [
        f"{where}: {names[lang]!r}"
        for where, names in texts().items()
        if names_concept(concept, where, names["en"]) and not uses(concept, lang, names[lang])
    ]
    word = CONCEPTS[concept][lang]
    assert not missing, f"{lang} says {concept} as {word!r}, but not in:\n" + "\n".join(missing)


@pytest.mark.parametrize("lang", TRANSLATED)
@pytest.mark.parametrize(("one", "other"), KEPT_APART)
def test_distinct_concepts_do_not_share_a_word(one: str, other: str, lang: str) -> None:
    mixed = [
        f"{where} ({a} said with the word for {b}): {names[lang]!r}"
        for where, names in texts().items()
        for a, b in ((one, other), (other, one))
        if names_concept(a, where, names["en"])
        and not names_concept(b, where, names["en"])
        and uses(b, lang, names[lang])
    ]
    assert not mixed, "\n".join(mixed)


@pytest.mark.parametrize("lang", TRANSLATED)
def test_forbidden_words_do_not_come_back(lang: str) -> None:
    found = [
        f"{where}: {names[lang]!r} has {word!r} ({why})"
        for where, names in texts().items()
        for word, why in FORBIDDEN.get(lang, {}).items()
        if re.search(fold(word, lang), fold(names[lang], lang))
    ]
    assert not found, "\n".join(found)


@pytest.mark.parametrize("lang", ["fa", "he"])
def test_right_to_left_texts_keep_latin_in_parentheses(lang: str) -> None:
    """Persian and Hebrew texts are in their own script; Latin only for placeholders and in
    parentheses (abbreviations such as (CAC) and product names)."""
    latin = []
    for where, names in texts().items():
        text = re.sub(r"\{\w+\}", "", names[lang])  # placeholders stay as they are
        text = re.sub(r"\([^()]*\)", "", text)
        if re.search("[A-Za-z]", text):
            latin.append(f"{where}: {names[lang]!r}")
    assert not latin, "\n".join(latin)


def test_every_names_mapping_has_exactly_the_languages() -> None:
    """An unquoted comma in a YAML flow mapping (``fi: Istunnot, joissa avaintapahtuma``)
    splits the name and leaves a stray key; the catalog would silently keep the first half."""
    raw: dict[str, Any] = {f"KPI {r['id']}": r["names"] for r in _yaml("kpis.yaml")}
    raw |= {f"measure {m}": r["names"] for m, r in _yaml("measures.yaml").items()}
    raw |= {f"label {k}": names for k, names in _label_files().items()}
    wrong = {where: sorted(names) for where, names in raw.items() if set(names) != set(LANGUAGES)}
    assert not wrong


def test_placeholders_are_kept_in_every_language() -> None:
    for key, names in _labels().items():
        expected = sorted(re.findall(r"\{\w+\}", names["en"]))
        for lang in TRANSLATED:
            assert sorted(re.findall(r"\{\w+\}", names[lang])) == expected, (key, lang)


def test_sheet_names_are_valid_in_every_language() -> None:
    for key, names in _labels().items():
        if key.startswith(("sheet_", "channel_")):
            for lang, name in names.items():
                assert 0 < len(name) <= 31, (key, lang, name)
                assert not set(name) & set("[]:*?/\\"), (key, lang, name)
