"""The language of a post the source did not label: lingua, offline, among the languages agencies listen in.

The detector is built once per process in lingua's low-accuracy mode (trigrams only, preloaded models):
about 8x faster than the full mode. Its answer is kept only when it is sure (its best language at least
``SURE``; a short English sentence can come out 0.64 French): no language is better than a wrong one.
The full mode would settle those, but costs about 1 ms a post and loads its models on first use (50 ms
each), too slow for the ingest rate. A text of fewer than ``MIN_LETTERS`` letters is not guessed at all.
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
MAX_CHARS = 300  # detection time grows with length (about 1 µs a character); the opening tells the language

_NOISE = re.compile(r"(?:https?://|www\.)\S+|(?<![\w@])@[\w.\-]+(?:@[\w.\-]+)?", re.IGNORECASE)
_lock = threading.Lock()
_detector: LanguageDetector | None = None


def detector() -> LanguageDetector:
    global _detector
    if _detector is None:
        with _lock:
            if _detector is None:
                _detector = (LanguageDetectorBuilder.from_languages(*LANGUAGES).with_low_accuracy_mode()
                             .with_preloaded_language_models().build())
    return _detector


def detect(text: str) -> str | None:
    """ISO 639-1 code of the text's language (``en``), or None when too short or unclear."""
    sample = _NOISE.sub(" ", text[:MAX_CHARS])
    # A Chinese or Japanese character says about as much as a short word.
    if sum(3 if c >= "\u3000" else 1 for c in sample if c.isalpha()) < MIN_LETTERS:
        return None
    guesses = detector().compute_language_confidence_values(sample)
    if guesses and guesses[0].value >= SURE:
        return guesses[0].language.iso_code_639_1.name.lower()
    return None


def clean_tag(lang: str | None) -> str | None:
    """A language tag as a source gives it (``en``, ``pt_BR``, ``EN-us``), as stored: ``en``, ``pt-br``."""
    if not lang:
        return None
    tag = lang.strip().replace("_", "-").lower()[:20]
    return tag if re.fullmatch(r"[a-z]{2,3}(?:-[a-z0-9]{1,8})*", tag) else None
