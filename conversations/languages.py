"""The language a customer wrote in, as a code agents declare ("ko", "fi",
"de", "zh-hant", "pl", "en").

py3langid (a maintained fork of langid.py: one bundled model of 97 languages,
no download at run time) names Chinese only as "zh"; which script it is
written in decides between "zh-hant" and "zh-hans": a character that only
Big5 can encode is Traditional, one that only GB2312 can is Simplified.
"""

import re

# Letters only: quoted addresses, numbers and order codes say nothing about
# the language and mislead the model on short messages.
_NOISE = re.compile(r"(\S+@\S+|https?://\S+|[\d_#/\\.:;,!?()\[\]{}<>\"'*+=-])")
MIN_LETTERS = 3
SAMPLE = 2000  # the opening of a long message is enough, and keeps detection fast


def _classify(text: str) -> str:
    # Imported when first needed: loading the model takes a moment and most
    # processes (the web side, most tasks) never detect a language.
    import py3langid

    return py3langid.classify(text)[0]


def load_model() -> None:
    """Load the model now, not at the first message: a Celery worker's
    parent process calls this before it forks its pool (helpdesk/celery.py),
    so every child shares one copy instead of each loading its own (about a
    second of CPU and the model's memory per child)."""
    _classify("hello")


def chinese_script(text: str) -> str:
    """ "zh-hant" or "zh-hans" by the characters only one of the two scripts uses."""
    traditional = simplified = 0
    for char in text:
        if not "\u4e00" <= char <= "\u9fff":
            continue
        big5, gb = _encodes(char, "big5"), _encodes(char, "gb2312")
        traditional += big5 and not gb
        simplified += gb and not big5
    return "zh-hans" if simplified > traditional else "zh-hant"


def _encodes(char: str, codec: str) -> bool:
    try:
        char.encode(codec)
    except UnicodeEncodeError:
        return False
    return True


def _enough_letters(sample: str) -> bool:
    letters = 0
    for char in sample:
        if char.isalpha():
            letters += 1
            if letters >= MIN_LETTERS:
                return True
    return False


def detect(text: str) -> str:
    """The language code of `text`, or "" when there is too little to tell."""
    sample = _NOISE.sub(" ", text[:SAMPLE])
    if not _enough_letters(sample):
        return ""
    code = _classify(sample)
    if code == "zh":
        return chinese_script(sample)
    return code


def primary(code: str) -> str:
    """ "zh-hant" -> "zh": an agent who reads one script of a language is
    matched to customers who write the other."""
    return code.split("-", 1)[0].split("_", 1)[0].lower()
