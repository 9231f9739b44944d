"""One word per concept within each language, across KPI names, measure names and labels.

Every text whose English says "session" uses the language's one word for session, and so
on for each concept in ``CONCEPTS`` (docs/translations.md explains the choices and cites
the platform vocabulary). A word that differs by grammar (Finnish cases, Persian broken
plurals, Hebrew final letters and construct state) is given as a stem or a small regular
expression. The KPI definitions and measure notes (full sentences) follow the same words and
also keep the English's numbers; Uzbek is written with its own marks ʻ and ʼ, never ``'``
(``scripts/uzbek_apostrophes.py``). Pure YAML reads: fast.
"""

from __future__ import annotations

import importlib.util
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from types import ModuleType
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
        "he": "אירוע(ים)? ה?מרכזי",  # definite: האירועים המרכזיים
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
        "fi": "näyttöker[rt]",  # näyttökerrat, näyttökertaa (consonant gradation)
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
        "he": "טווח ה?הגעה",  # construct state: טווח ההגעה
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
    ("bounce", "KPI email_bounce_rate definition"): "e-mails that came back (email bounce)",
    ("bounce", "KPI list_growth_rate definition"): "e-mails that came back (email bounce)",
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


@cache
def sentences() -> dict[str, Mapping[str, str]]:
    """Every KPI definition and measure note: ``KPI cac definition``, ``measure users note``."""
    found: dict[str, Mapping[str, str]] = {}
    for kpi in catalog.kpis().values():
        found[f"KPI {kpi.id} definition"] = kpi.definitions
    for measure in catalog.measures().values():
        if measure.notes:
            found[f"measure {measure.id} note"] = measure.notes
    return found


@cache
def everything() -> dict[str, Mapping[str, str]]:
    """Names, labels, definitions and notes: one word per concept holds across all of them."""
    return texts() | sentences()


def names_concept(concept: str, where: str, english: str) -> bool:
    if (concept, where) in NOT_THE_CONCEPT:
        return False
    return re.search(CONCEPTS[concept]["en"], english, re.IGNORECASE) is not None


def uses(concept: str, lang: str, text: str) -> bool:
    return re.search(fold(CONCEPTS[concept][lang], lang), fold(text, lang)) is not None


def test_every_concept_has_a_word_in_every_language() -> None:
    for concept, words in CONCEPTS.items():
        assert set(words) == set(LANGUAGES), concept
        named = [w for w, names in everything().items() if names_concept(concept, w, names["en"])]
        assert named, f"{concept}: no English text says {words['en']!r}"
    for concept, where in NOT_THE_CONCEPT:
        assert concept in CONCEPTS and where in everything(), (concept, where)


@pytest.mark.parametrize("lang", TRANSLATED)
@pytest.mark.parametrize("concept", list(CONCEPTS))
def test_one_word_per_concept(concept: str, lang: str) -> None:
    """Each text whose English names the concept uses the language's word for it."""
    missing = [
        f"{where}: {names[lang]!r}"
        for where, names in everything().items()
        if names_concept(concept, where, names["en"]) and not uses(concept, lang, names[lang])
    ]
    word = CONCEPTS[concept][lang]
    assert not missing, f"{lang} says {concept} as {word!r}, but not in:\n" + "\n".join(missing)


@pytest.mark.parametrize("lang", TRANSLATED)
@pytest.mark.parametrize(("one", "other"), KEPT_APART)
def test_distinct_concepts_do_not_share_a_word(one: str, other: str, lang: str) -> None:
    mixed = [
        f"{where} ({a} said with the word for {b}): {names[lang]!r}"
        for where, names in everything().items()
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
        for where, names in everything().items()
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
    raw |= {f"KPI {r['id']} definition": r["definition"] for r in _yaml("kpis.yaml")}
    raw |= {f"measure {m}": r["names"] for m, r in _yaml("measures.yaml").items()}
    raw |= {
        f"measure {m} note": r["note"] for m, r in _yaml("measures.yaml").items() if "note" in r
    }
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


# -- definitions and notes: whole sentences ----------------------------------------------------

#: Latin words a Persian or Hebrew sentence may carry outside parentheses: product and metric
#: names as their own interfaces write them, and abbreviations used untranslated in both
#: languages' marketing writing. Anything else in Latin is English left untranslated.
LATIN_IN_SENTENCES = {
    "GA4", "Google", "Ads", "Meta", "LinkedIn", "Search", "Console",  # products
    "Apple", "Mail", "Privacy", "Protection",  # the feature's own name
    "CRM", "CPA", "CSAT", "ROI",  # abbreviations
}  # fmt: skip

#: Words that show a Finnish or Uzbek sentence is still (partly) English.
ENGLISH_WORDS = re.compile(r"\b(the|of|and|is|not|per|with|from|in)\b", re.IGNORECASE)

PERSIAN_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")


def numbers(text: str) -> Counter[str]:
    """The numbers a text mentions (Persian and Arabic-Indic digits read as digits)."""
    return Counter(re.findall(r"\d+", text.translate(PERSIAN_DIGITS)))


def test_every_kpi_is_defined_in_every_language() -> None:
    for kpi in catalog.kpis().values():
        assert set(kpi.definitions) == set(LANGUAGES), kpi.id
        assert kpi.definition == kpi.definitions["en"] == kpi.describe("en")
        for lang in LANGUAGES:
            assert kpi.describe(lang) == kpi.definitions[lang], (kpi.id, lang)
            assert kpi.describe(lang).strip() == kpi.describe(lang) != "", (kpi.id, lang)
    for measure in catalog.measures().values():
        assert set(measure.notes) in (set(), set(LANGUAGES)), measure.id
        assert measure.note == measure.notes.get("en", "") == measure.note_in("en")


@pytest.mark.parametrize("where", sorted(sentences()))
def test_sentences_are_translated(where: str) -> None:
    """No language copies another: each sentence is written in its own language."""
    texts_by_lang = sentences()[where]
    assert len(set(texts_by_lang.values())) == len(LANGUAGES), texts_by_lang
    assert re.search("[\u0600-\u06ff]", texts_by_lang["fa"]), texts_by_lang["fa"]
    assert not re.search("[كي]", texts_by_lang["fa"]), "Arabic kaf/yeh: Persian is ک/ی"
    assert re.search("[\u0590-\u05ff]", texts_by_lang["he"]), texts_by_lang["he"]
    for lang in ("fi", "uz"):
        english = ENGLISH_WORDS.findall(texts_by_lang[lang])
        assert not english, f"{lang} still has English words {english}: {texts_by_lang[lang]!r}"


#: Excel's limit for a cell's input message, less the hint the Targets sheet puts before a
#: percent KPI's definition ("%  0.12 = 12%. "): a longer definition is cut mid-sentence.
DEFINITION_LIMIT = 255 - len("%  0.12 = 12%. ")


def test_definitions_fit_the_targets_input_message() -> None:
    long = [
        f"KPI {kpi.id} ({lang}, {len(kpi.describe(lang))} characters)"
        for kpi in catalog.kpis().values()
        for lang in LANGUAGES
        if len(kpi.describe(lang)) > DEFINITION_LIMIT
    ]
    assert not long, f"over {DEFINITION_LIMIT} characters:\n" + "\n".join(long)


@pytest.mark.parametrize("lang", ["fa", "he"])
def test_right_to_left_sentences_keep_latin_to_names(lang: str) -> None:
    """Persian and Hebrew sentences use Latin only for product names and abbreviations."""
    latin = {
        f"{where}: {word}"
        for where, names in sentences().items()
        for word in re.findall(r"[A-Za-z][A-Za-z0-9]*", names[lang])
        if word not in LATIN_IN_SENTENCES
    }
    assert not latin, "\n".join(sorted(latin))


@pytest.mark.parametrize("lang", TRANSLATED)
def test_sentences_keep_the_numbers(lang: str) -> None:
    """Every number of the English (4 or 5 on a 1-5 scale, within 5 %, March 2024, 10+
    seconds) is in the translation."""
    lost = [
        f"{where}: {names[lang]!r} lacks {sorted(missing.elements())}"
        for where, names in sentences().items()
        if (missing := numbers(names["en"]) - numbers(names[lang]))
    ]
    assert not lost, "\n".join(lost)


# -- Uzbek apostrophes -------------------------------------------------------------------------

CATALOG = Path(catalog.__file__).parent
UZBEK_SCRIPT = Path(__file__).parent.parent / "scripts" / "uzbek_apostrophes.py"
#: what an Uzbek apostrophe must not be typed as (ʻ U+02BB and ʼ U+02BC are the right ones)
NOT_UZBEK_MARKS = re.compile("['‘’`]")


def _uz_texts(data: Any, where: str = "", uz: bool = False) -> list[tuple[str, str]]:
    """(key path, text) of every text under a ``uz`` key."""
    if isinstance(data, dict):
        return [
            found
            for key, value in data.items()
            for found in _uz_texts(value, f"{where}.{key}".lstrip("."), uz or key == "uz")
        ]
    if isinstance(data, list):
        return [found for i, item in enumerate(data) for found in _uz_texts(item, where, uz)]
    return [(where, data)] if uz and isinstance(data, str) else []


def _catalog_files() -> list[str]:
    """Every YAML file of the catalog and its labels."""
    return [path.relative_to(CATALOG).as_posix() for path in sorted(CATALOG.rglob("*.yaml"))]


@pytest.mark.parametrize("name", _catalog_files())
def test_uzbek_is_written_with_its_own_apostrophes(name: str) -> None:
    """Uzbek Latin writes oʻ and gʻ with ʻ (U+02BB) and the tutuq belgisi (maʼlumot) with ʼ
    (U+02BC), never with the ASCII apostrophe: ``python scripts/uzbek_apostrophes.py FILE``."""
    data = yaml.safe_load((CATALOG / name).read_text("utf-8"))
    wrong = [
        f"{where}: {text!r}"
        for where, text in _uz_texts(data)
        if NOT_UZBEK_MARKS.search(text)
        or re.search("(?<![oOgG])\u02bb", text)  # ʻ belongs to oʻ and gʻ only
        or re.search("[oOgG]\u02bc", text)  # oʼ/gʼ: the letter is oʻ/gʻ
    ]
    assert not wrong, f"{name}:\n" + "\n".join(wrong)


def uzbek_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("uzbek_apostrophes", UZBEK_SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_uzbek_script_changes_only_the_uzbek_marks() -> None:
    source = (
        "# o'z: comments, keys and other languages stay as they are\n"
        "a: {en: \"don't\", fi: O'Brien, uz: O'rtacha ma'lumot}\n"
        "b:\n"
        "  en: 'it''s'\n"
        "  uz: 'Bo''yicha qat''i nazar'\n"
        "c:\n"
        "  - uz: \"so‘rov, ta`rif, bog' va to'g'ri\"\n"
        "  - uz: |\n"
        "      oʼzgarish maʻno\r\n"
        "d: {uz: 12}\n"
    )
    expected = source
    for before, after in [
        ("O'rtacha ma'lumot", "Oʻrtacha maʼlumot"),
        ("Bo''yicha qat''i", "Boʻyicha qatʼi"),
        ("so‘rov, ta`rif, bog' va to'g'ri", "soʻrov, taʼrif, bogʻ va toʻgʻri"),
        ("oʼzgarish maʻno", "oʻzgarish maʼno"),
    ]:
        expected = expected.replace(before, after)
    script = uzbek_script()
    assert script.rewrite(source) == (expected, 11)
    assert script.rewrite(expected) == (expected, 0)


@pytest.mark.parametrize("name", ["kpis.yaml", "measures.yaml", "renames.yaml", "labels/mail.yaml"])
def test_uzbek_script_has_been_run(name: str) -> None:
    """The catalog files the script was run on are its fixed points."""
    if not (CATALOG / name).exists():
        pytest.skip(f"{name} does not exist")
    source = (CATALOG / name).read_bytes().decode("utf-8")
    assert uzbek_script().rewrite(source) == (source, 0)
