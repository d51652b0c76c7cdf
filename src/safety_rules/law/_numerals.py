"""Chinese numerals for article numbers, as statutes print them (第一百零二条)."""

from __future__ import annotations

_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1-9999 in the form used for article, paragraph and item numbers.

    >>> [chinese_number(n) for n in (10, 15, 21, 99, 102, 110, 117)]
    ['十', '十五', '二十一', '九十九', '一百零二', '一百一十', '一百一十七']
    """
    if not 0 < n < 10000:
        raise ValueError(f"article numbers run from 1 to 9999, got {n}")
    if n < 10:
        return _DIGITS[n]
    if n < 20:
        return "十" + (_DIGITS[n % 10] if n % 10 else "")
    out = ""
    zero = False
    for value, name in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d = n // value % 10
        if d:
            if zero:
                out += "零"
            out += _DIGITS[d] + name
            zero = False
        elif out:
            zero = True
    return out


def article_label(article: int, paragraph: int | None = None, item: int | None = None) -> str:
    """第九十四条第一款第五项 style label."""
    label = f"第{chinese_number(article)}条"
    if paragraph is not None:
        label += f"第{chinese_number(paragraph)}款"
    if item is not None:
        label += f"第{chinese_number(item)}项"
    return label
