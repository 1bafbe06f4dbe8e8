"""The language of a post the source did not label: lingua, offline, among the languages agencies listen in.

Detectors are built once per process. Lingua's low-accuracy mode (trigrams only, preloaded) answers
first, about 8x faster than the full mode; when it is not sure (its best language below ``SURE``, as
for a short English sentence it gives 0.64 French) the full mode decides. A text of fewer than
``MIN_LETTERS`` letters is not guessed at all.
"""

from __future__ import annotations

import re
import threading

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

# Fewer candidates make detection faster and surer; scripts outside these (Greek, Hebrew, Thai...) get None.
LANGUAGES = (
    Language.ENGLISH, Language.SPANISH, Language.PORTUGUESE, Language.FRENCH, Language.GERMAN,
    Language.ITALIAN, Language.DUTCH, Language.POLISH, Language.TURKISH, Language.RUSSIAN,
    Language.ARABIC, Language.JAPANESE, Language.CHINESE, Language.KOREAN,
)
MIN_LETTERS = 12
SURE = 0.9
MAX_CHARS = 1000  # detection time grows with length; a post's opening tells its language

_NOISE = re.compile(r"(?:https?://|www\.)\S+|(?<![\w@])@[\w.\-]+(?:@[\w.\-]+)?", re.IGNORECASE)
_lock = threading.Lock()
_detectors: dict[str, LanguageDetector] = {}


def detector(mode: str = "fast") -> LanguageDetector:
    """The ``fast`` (low-accuracy, preloaded) or ``full`` detector (models loaded as languages come up)."""
    found = _detectors.get(mode)
    if found is None:
        with _lock:
            found = _detectors.get(mode)
            if found is None:
                builder = LanguageDetectorBuilder.from_languages(*LANGUAGES)
                found = _detectors[mode] = (builder.with_low_accuracy_mode().with_preloaded_language_models().build()
                                            if mode == "fast" else builder.build())
    return found


def detect(text: str) -> str | None:
    """ISO 639-1 code of the text's language (``en``), or None when too short or unclear."""
    sample = _NOISE.sub(" ", text[:MAX_CHARS])
    # A Chinese or Japanese character says about as much as a short word.
    if sum(3 if c >= "\u3000" else 1 for c in sample if c.isalpha()) < MIN_LETTERS:
        return None
    guesses = detector("fast").compute_language_confidence_values(sample)
    if guesses and guesses[0].value >= SURE:
        return guesses[0].language.iso_code_639_1.name.lower()
    found = detector("full").detect_language_of(sample)
    return found.iso_code_639_1.name.lower() if found is not None else None


def clean_tag(lang: str | None) -> str | None:
    """A language tag as a source gives it (``en``, ``pt_BR``, ``EN-us``), as stored: ``en``, ``pt-br``."""
    if not lang:
        return None
    tag = lang.strip().replace("_", "-").lower()[:20]
    return tag if re.fullmatch(r"[a-z]{2,3}(?:-[a-z0-9]{1,8})*", tag) else None
