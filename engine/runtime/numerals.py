"""Chinese numerals as offices type them → exact Decimals, or a refusal with the reason.

Read:
- positional numerals (`十二`, `二十`, `一百零一`, `一千零一十`, `两万零五`, `三亿零五百万`), with
  `两` for `二`, `〇` or `零` for a gap, and the financial capitals (`壹贰叁肆伍陆柒捌玖拾佰仟`,
  `萬`/`億` too);
- digit strings (`二〇二三` → 2023, `一二三` → 123), as years and codes are written;
- a fraction after `点` (`三点五` → 3.5) and a leading `负` (`负三` → -3);
- an Arabic number with a Chinese multiplier (`3万`, `1.5亿`, `3千`, `2.5万亿`), read exactly;
- money as a cheque or an invoice writes it (`money`): `壹拾万元整`, `贰佰叁拾肆万伍仟元`,
  `叁元零伍分`, `12万元`, with 元/圆, 角, 分 and a closing 整/正;
- a percentage written out (`percent`): `百分之九十二` → 0.92, `百分之九十二点五` → 0.925.

Refused, never guessed: two digits side by side (`三五` is "three to five" as often as 35),
repeated or misplaced units (`十十`, `一百百`, `万万`), shortened forms whose reading depends on
the dialect (`一百一` is 110 to most readers and 101 to some), and anything mixing scripts.

A positional numeral is accepted only when it is spelled the way the number is spelled in the
standard form (gaps marked by exactly one `零`, units strictly falling): the value is read, then
spelled again and compared, so every accepted text has exactly one meaning.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

from jixiao.dsl.ast import MAX_DIGITS

#: Digits, in every form offices type; `两` is `二` before a unit.
DIGITS = {
    "〇": 0,
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "壹": 1,
    "贰": 2,
    "貳": 2,
    "叁": 3,
    "參": 3,
    "肆": 4,
    "伍": 5,
    "陆": 6,
    "陸": 6,
    "柒": 7,
    "捌": 8,
    "玖": 9,
}
#: Units inside a section of four digits.
SMALL_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
#: Section units.
BIG_UNITS = {"万": 10**4, "萬": 10**4, "亿": 10**8, "億": 10**8}

#: The longest text read; longer is refused before any work (no number needs more).
MAX_LENGTH = 64

_PLAIN = "零一二三四五六七八九"
#: Folds every variant to the plain spelling the standard form is compared with.
_FOLD = str.maketrans(
    {
        "〇": "零",
        "两": "二",
        "壹": "一",
        "贰": "二",
        "貳": "二",
        "叁": "三",
        "參": "三",
        "肆": "四",
        "伍": "五",
        "陆": "六",
        "陸": "六",
        "柒": "七",
        "捌": "八",
        "玖": "九",
        "拾": "十",
        "佰": "百",
        "仟": "千",
        "萬": "万",
        "億": "亿",
    }
)
_ARABIC = re.compile(r"[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?")
_MULTIPLIERS = {
    "十": 1,
    "百": 2,
    "千": 3,
    "万": 4,
    "十万": 5,
    "百万": 6,
    "千万": 7,
    "亿": 8,
    "十亿": 9,
    "百亿": 10,
    "千亿": 11,
    "万亿": 12,
}


#: What `money` takes, for a message that refuses a text.
MONEY_FORMS = "`壹拾万元整`, `贰佰叁拾肆万伍仟元`, `叁元伍角`, `12万元`"
#: The words that open a percentage written out.
PERCENT_WORD = "百分之"

_YUAN = "元圆"
_CLOSE = "整正"


class NumeralError(ValueError):
    """The text is not a numeral read here; the message says why, for the user."""


def read(text: str) -> tuple[Decimal | None, str]:
    """(value, "") or (None, why not): the reason is one lowercase line for a diagnostic."""
    try:
        return parse(text), ""
    except NumeralError as exc:
        return None, str(exc)


def parse(text: str) -> Decimal:
    """The exact value of `text`; NumeralError when it is not a numeral or is ambiguous."""
    if len(text) > MAX_LENGTH:
        raise NumeralError(f"longer than {MAX_LENGTH} characters; write the number in digits")
    text = unicodedata.normalize("NFKC", text).strip().replace(" ", "")
    if not text:
        raise NumeralError("no number given")
    negative = text[0] == "负"
    body = text[1:] if negative else text
    if negative and body[:1] in ("+", "-", "负"):
        raise NumeralError(f"`{text}` has two signs")
    value = _unsigned(body, text)
    if len(value.as_tuple().digits) > MAX_DIGITS or abs(value.adjusted()) >= MAX_DIGITS:
        raise NumeralError(f"more than {MAX_DIGITS} digits")
    if value.as_tuple().exponent > 0:  # type: ignore[operator]
        value = value.quantize(Decimal(1))  # 3万 is 30000, not 3E+4
    return -value if negative else value


def money(text: str) -> Decimal:
    """An amount in 元 written with 元/圆, 角 and 分 (`壹拾万元整`, `贰佰叁拾肆万伍仟元`,
    `叁元零伍分`, `五角`, `12万元`): the part before 元 is any numeral `parse` reads; 角 and
    分 take one digit each, a `零` may mark a gap, and `整`/`正` closes an amount with no 分.
    NumeralError when the text is not such an amount."""
    if len(text) > MAX_LENGTH:
        raise NumeralError(f"longer than {MAX_LENGTH} characters; write the number in digits")
    folded = unicodedata.normalize("NFKC", text).strip().replace(" ", "")
    body = folded
    closed = body[-1:] in tuple(_CLOSE)
    if closed:
        body = body[:-1]
    yuan, mark, rest = body, "", ""
    for i, ch in enumerate(body):
        if ch in _YUAN:
            yuan, mark, rest = body[:i], ch, body[i + 1 :]
            break
    else:
        yuan = ""
        rest = body
    parts: dict[str, int] = {}
    for unit in "角分":
        m = re.match(rf"(零?)(.){unit}", rest)
        if m is None:
            continue
        digit = _digit(m.group(2))
        if digit is None or digit == 0:
            raise NumeralError(_not_money(text, f"{unit} takes one digit, 一 to 九 or 1 to 9"))
        if m.group(1) and not (mark or parts):
            raise NumeralError(_not_money(text, f"`零` stands between 元 and {unit}"))
        parts[unit] = digit
        rest = rest[m.end() :]
    if rest or not (mark or parts):
        raise NumeralError(_not_money(text, "not a number of 元, 角 and 分"))
    if closed and "分" in parts:
        raise NumeralError(_not_money(text, "`整` closes an amount without 分"))
    whole = Decimal(0)
    if mark:
        if not yuan:
            raise NumeralError(_not_money(text, f"no number before {mark}"))
        try:
            whole = parse(yuan)
        except NumeralError as exc:
            raise NumeralError(_not_money(text, f"before {mark}: {exc}")) from None
        if parts and whole.as_tuple().exponent < 0:  # type: ignore[operator]
            raise NumeralError(_not_money(text, "a number with a fraction before 角 or 分"))
        if whole < 0 and parts:
            raise NumeralError(_not_money(text, "a sign before an amount with 角 or 分"))
    return whole + Decimal(parts.get("角", 0)) / 10 + Decimal(parts.get("分", 0)) / 100


def _digit(ch: str) -> int | None:
    if ch.isascii() and ch.isdigit():
        return int(ch)
    return DIGITS.get(ch)


def _not_money(text: str, why: str) -> str:
    return f"`{text}` is not an amount of money ({why}); write it as {MONEY_FORMS}, or in digits"


def is_money(text: str) -> bool:
    """Whether `text` is written as an amount of 元/角/分 (`money` reads it or says why not)."""
    folded = unicodedata.normalize("NFKC", text).strip().rstrip(_CLOSE)
    return folded[-1:] in ("元", "圆", "角", "分") and not folded.startswith(PERCENT_WORD)


def percent(text: str) -> Decimal:
    """`百分之九十二` → 0.92, `百分之九十二点五` → 0.925, `百分之92.5` → 0.925: the fraction a
    percentage written out in words means. NumeralError when the rest is not a number."""
    folded = unicodedata.normalize("NFKC", text).strip().replace(" ", "")
    if not folded.startswith(PERCENT_WORD):
        raise NumeralError(f"`{text}` is not a percentage written out (`百分之九十二`)")
    rest = folded[len(PERCENT_WORD) :]
    try:
        return parse(rest) / 100
    except NumeralError as exc:
        raise NumeralError(
            f"`{text}`: after 百分之 comes the number of percent (`百分之九十二`, "
            f"`百分之九十二点五`, `百分之92.5`): {exc}"
        ) from None


def has_magnitude(text: str) -> bool:
    """Whether a numeral names 万 or 亿 (`一万二千`, `1.2万`, `三亿`): as money, such a number
    is a count of 元 whatever unit the fact is held in (`3万` is 3 万元)."""
    return any(ch in BIG_UNITS for ch in unicodedata.normalize("NFKC", text))


def _unsigned(body: str, text: str) -> Decimal:
    folded = body.translate(_FOLD)
    if _ARABIC.fullmatch(folded):
        return Decimal(folded.replace(",", ""))
    # an Arabic number with a Chinese multiplier: 3万, 1.5亿, -2千
    for suffix in sorted(_MULTIPLIERS, key=len, reverse=True):
        if folded.endswith(suffix) and _ARABIC.fullmatch(folded[: -len(suffix)]):
            return Decimal(folded[: -len(suffix)].replace(",", "")).scaleb(_MULTIPLIERS[suffix])
    if not folded or any(ch not in _PLAIN and ch not in "十百千万亿点" for ch in folded):
        raise NumeralError(f"`{text}` is not a number")
    whole, dot, fraction = folded.partition("点")
    if dot:
        scale = 0  # 三点五万, 一点二亿: a fraction of a section unit
        for suffix in ("万亿", "万", "亿"):
            if fraction.endswith(suffix) and len(fraction) > len(suffix):
                fraction, scale = fraction[: -len(suffix)], _MULTIPLIERS[suffix]
                break
        if not fraction or any(ch not in _PLAIN for ch in fraction):
            raise NumeralError(f"`{text}`: the digits after 点 must be 〇 to 九, one per place")
        digits = "".join(str(_PLAIN.index(ch)) for ch in fraction)
        return (_integer(whole, text) + Decimal(f"0.{digits}")).scaleb(scale)
    return _integer(folded, text)


def _integer(folded: str, text: str) -> Decimal:
    if not folded:
        raise NumeralError(f"`{text}` has no whole part; write 零点… for a fraction")
    if all(ch in _PLAIN for ch in folded):
        # a digit string: 二〇二三 → 2023; two digits without a zero are a range in speech
        if len(folded) == 2 and "零" not in folded:
            raise NumeralError(
                f"`{text}` is ambiguous: it may mean {_PLAIN.index(folded[0])} to "
                f"{_PLAIN.index(folded[1])} as well as "
                f"{_PLAIN.index(folded[0])}{_PLAIN.index(folded[1])}; write the number in digits"
            )
        return Decimal("".join(str(_PLAIN.index(ch)) for ch in folded))
    value = _lenient(folded, text)
    if folded not in (spell(value), _short_ten(spell(value))):
        raise NumeralError(
            f"`{text}` is not a well-formed numeral (units out of order, repeated, or a gap "
            f"without 零); write the number in digits"
        )
    return Decimal(value)


def _lenient(folded: str, text: str) -> int:
    """The value by the usual left-to-right reading; the caller checks the spelling."""
    above = wan = section = 0  # 亿 and above, the 万 part below 亿, the last four places
    digit: int | None = None
    for ch in folded:
        if ch in _PLAIN:
            digit = _PLAIN.index(ch)
        elif ch in "十百千":
            section += (1 if digit is None else digit) * SMALL_UNITS[ch]
            digit = None
        elif ch == "万":
            wan += (section + (digit or 0)) * 10**4
            section, digit = 0, None
        else:  # 亿
            above = (above + wan + section + (digit or 0)) * 10**8
            wan = section = 0
            digit = None
        if above > 10**MAX_DIGITS:
            raise NumeralError(f"`{text}` has more than {MAX_DIGITS} digits")
    return above + wan + section + (digit or 0)


def spell(n: int) -> str:
    """The standard spelling of a whole number ≥ 0 (`一百零一`, `一万零五`, `一十二` inside)."""
    if n < 0:
        raise ValueError(n)
    if n == 0:
        return "零"
    return _spell(n)


def _short_ten(spelled: str) -> str:
    """`一十二` → `十二`: a leading 一十 is written 十."""
    return spelled[1:] if spelled.startswith("一十") else spelled


def _spell(n: int) -> str:
    if n >= 10**8:
        high, low = divmod(n, 10**8)
        return _spell(high) + "亿" + _gap(low, 10**7)
    if n >= 10**4:
        high, low = divmod(n, 10**4)
        return _small(high) + "万" + _gap(low, 10**3)
    return _small(n)


def _gap(low: int, lead: int) -> str:
    if low == 0:
        return ""
    return ("零" if low < lead else "") + _spell(low)


def _small(n: int) -> str:
    out, zero = "", False
    for unit, name in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = n // unit % 10
        if digit == 0:
            zero = bool(out)
            continue
        if zero:
            out += "零"
            zero = False
        out += _PLAIN[digit] + name
    return out
