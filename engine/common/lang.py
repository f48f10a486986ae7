"""Which language jixiao speaks, and the one call that says a message in it.

Messages (diagnostics, the command line's own lines, batch and selfeval findings) are written
in English in the code; `say` gives them in Chinese from the gettext catalogue when the language
is `zh` (see `i18n`, imported only then: an English run pays nothing for it). The language is,
first found first:

1. `--lang zh|en` on the command line (`choose(...)`),
2. the JIXIAO_LANG environment variable (`zh` or `en`),
3. the locale: LC_ALL, then LC_MESSAGES, then LANG (the POSIX order) naming `zh…` (zh_CN.UTF-8,
   zh_TW, zh-Hans …); on Windows, where these are not set, the user's UI language
   (`locale.getlocale()` answers e.g. `Chinese (Simplified)_China`),
4. otherwise English.

Reports (the score table, HTML, Markdown, XLSX, Word) are documents for the bureau: their labels
are Chinese unless the language was chosen explicitly (steps 1 and 2) as English.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing is not imported at run time (see dsl/record.py)
if TYPE_CHECKING:
    from collections.abc import Mapping

LANGS = ("zh", "en")

#: The language of messages and the language explicitly chosen (None: the locale decided).
_state = {"lang": "en", "explicit": ""}


def from_locale_name(name: str | None) -> str | None:
    """`zh` or `en` for a locale name — POSIX (`zh_CN.UTF-8`, `en_US`, `C`), BCP 47 (`zh-Hans`)
    or Windows (`Chinese (Simplified)_China`, `Chinese_Taiwan.950`, `English_United States`);
    None when it names no language (empty, `C`, `POSIX`)."""
    if not name:
        return None
    text = name.strip().lower()
    if text in ("c", "posix") or text.startswith(("c.", "posix.")):
        return None
    if text.startswith(("zh", "chinese")):
        return "zh"
    return "en"


def from_environment(environ: Mapping[str, str] | None = None, platform: str | None = None) -> str:
    """The language the environment asks for (steps 2 to 4 above)."""
    env = os.environ if environ is None else environ
    chosen = env.get("JIXIAO_LANG", "").strip().lower()
    if chosen in LANGS:
        return chosen
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(variable)
        if value:  # the first one set decides, as the C library's setlocale does
            return from_locale_name(value.split(":")[0]) or "en"
    if (platform or sys.platform) == "win32":
        return _windows_language() or "en"
    return "en"


def _windows_language() -> str | None:  # pragma: no cover - Windows only
    """The user's language on Windows: Python starts with LC_CTYPE set to the user's default
    locale there, which `locale.getlocale()` names (`('Chinese (Simplified)_China', '936')`)."""
    import locale

    try:
        return from_locale_name(locale.getlocale()[0])
    except (ValueError, locale.Error):
        return None


def choose(explicit: str | None, environ: Mapping[str, str] | None = None) -> str:
    """Set the language for this run: `--lang` if given, else the environment's."""
    env = os.environ if environ is None else environ
    from_env = env.get("JIXIAO_LANG", "").strip().lower()
    given = explicit or (from_env if from_env in LANGS else "")
    _state["explicit"] = given
    _state["lang"] = given or from_environment(env)
    return _state["lang"]


def current() -> str:
    """The language of messages: `zh` or `en`."""
    return _state["lang"]


def explicit() -> str:
    """The language chosen by `--lang` or JIXIAO_LANG, or "" when the locale decided."""
    return _state["explicit"]


def report_lang(given: str | None = None) -> str:
    """The language of a report's labels: `given` (a command's own `--lang`), else the one
    chosen explicitly, else Chinese (a report is the bureau's document)."""
    return given or _state["explicit"] or "zh"


def say(text: str) -> str:
    """`text`, a message written in English, in the language of this run."""
    if _state["lang"] == "en":
        return text
    from .i18n import translate

    return translate(text)
