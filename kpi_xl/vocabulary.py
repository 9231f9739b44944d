"""The fixed vocabularies every layer shares, importable without loading anything heavy
(the command line builds its parser from them in milliseconds)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

#: The workbook, e-mail and catalog languages (the seeds' languages).
LANGUAGES = ("en", "fa", "he", "fi", "uz")
RTL_LANGUAGES = frozenset({"fa", "he"})
#: Each language's name in English, for help texts and messages.
LANGUAGE_NAMES = {
    "en": "English",
    "fa": "Persian (Farsi)",
    "he": "Hebrew",
    "fi": "Finnish",
    "uz": "Uzbek",
}

#: The channel vocabulary of the canonical table and the plan templates.
CHANNELS = (
    "seo",
    "paid_search",
    "paid_social",
    "organic_social",
    "email",
    "content",
    "display",
    "referral",
    "direct",
    "affiliate",
    "other",
)

#: Period grains of a plan.
GRAINS = ("month", "week", "quarter")

#: The bundled plan templates (``workbook_templates/<name>.yaml``).
TEMPLATES = ("ecommerce", "leadgen", "content", "saas")


def nearest(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'revenue'?)`` for the closest of ``choices`` to ``word`` (case
    ignored), else ``""``."""
    import difflib

    options = list(choices)
    folded = {c.casefold(): c for c in options}
    found = difflib.get_close_matches(word.casefold(), list(folded), n=1, cutoff=0.6)
    return f" (did you mean {folded[found[0]]!r}?)" if found else ""


def unknown(what: str, word: object, choices: Sequence[str], also: str = "") -> str:
    """A message for a word that is none of ``choices``, the nearest one first:
    ``unknown channel 'sea' (did you mean 'seo'?): use one of seo, paid_search, ...``;
    ``also`` follows the list (``" or the path of a YAML file"``)."""
    text = str(word)
    return f"unknown {what} {text!r}{nearest(text, choices)}: use one of {', '.join(choices)}{also}"


#: Words that name a language, for ``--lang Finnish``: each language's names, lower case.
_LANGUAGE_WORDS = {
    "en": ("english",),
    "fa": ("persian", "farsi"),
    "he": ("hebrew", "ivrit", "iw"),
    "fi": ("finnish", "suomi"),
    "uz": ("uzbek", "o'zbek", "ozbek"),
}


def language_meant(word: str) -> str | None:
    """The language code a word names (``Finnish``, ``farsi``, ``iw``), else None."""
    folded = word.strip().casefold()
    for code, words in _LANGUAGE_WORDS.items():
        if folded in words or (len(folded) >= 3 and any(w.startswith(folded) for w in words)):
            return code
    return None
