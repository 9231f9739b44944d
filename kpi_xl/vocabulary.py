"""The fixed vocabularies every layer shares, importable without loading anything heavy
(the command line builds its parser from them in milliseconds)."""

from __future__ import annotations

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
