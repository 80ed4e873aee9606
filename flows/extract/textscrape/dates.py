"""Datelines: the absolute dates a header line holds, and whether a label says what they are.

Read: ISO dates, ``2025年1月13日``, ``5 March 2024``, ``March 5, 2024``,
``05.03.2024``, ``30/04/2024`` in many languages, with an optional time and
zone. A numeric date is read only when its order is certain (``03/04/2024`` in
English is not), and relative dates ("2 hours ago") never. A stated zone is
resolved through the project's one zone table
(:func:`connectors.text.dates.zone_offset`); a zone not in it (IST: India,
Ireland or Israel) leaves the time naive. A line is a dateline when little but
dates, labels and weekdays is left on it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from connectors.text.dates import zone_offset
from flows.extract.textscrape.lexicon import fold
from flows.extract.textscrape.lines import WORD, Line

__all__ = [
    "DATELINE_ZONES",
    "DATE_LABEL",
    "YEARISH",
    "DateHit",
    "dates_in",
    "is_dateline",
    "month_numbers",
]


_CJK_DATE_CHARS = re.compile(r"[年月日時分秒更新発行公開入力수정입력년월일시분()（）]")

_DATE_LABELS_PUBLISHED = (
    r"published(?:\s+on)?|posted(?:\s+on)?|first\s+published|date\s+published|publication"
    r"|veröffentlicht(?:\s+am)?|erschienen(?:\s+am)?|erstellt(?:\s+am)?|stand|datum|publié(?:\s+le)?"
    r"|mis\s+en\s+ligne(?:\s+le)?|publicado(?:\s+el|\s+em)?|fecha|pubblicato(?:\s+il)?"
    r"|gepubliceerd(?:\s+op)?|publicerad|publiceret|publisert|opublikowano|publikacja|data\s+publikacji"
    r"|zveřejněno|publikováno|yayınlanma(?:\s+tarihi)?|yayın\s+tarihi|diterbitkan|dipublikasikan"
    r"|terbit|opublikowany|опубликовано|дата\s+публикации|опубліковано|發布|发布|公開|掲載|입력|등록|게재"
    r"|date"
)
_DATE_LABELS_UPDATED = (
    r"updated(?:\s+on)?|last\s+updated|modified|aktualisiert(?:\s+am)?|zuletzt\s+aktualisiert|akt"
    r"|geändert(?:\s+am)?|mis\s+à\s+jour(?:\s+le)?|modifié(?:\s+le)?|actualizado(?:\s+el)?"
    r"|atualizado(?:\s+em)?|aggiornato(?:\s+il)?|bijgewerkt(?:\s+op)?|uppdaterad|opdateret|oppdatert"
    r"|aktualizacja|zaktualizowano|aktualizováno|güncelleme|güncellenme|diperbarui|обновлено"
    r"|оновлено|更新|수정"
)
DATE_LABEL = re.compile(
    rf"(?P<label>\b(?:{_DATE_LABELS_PUBLISHED})\b|\b(?:{_DATE_LABELS_UPDATED})\b)\s*:?",
    re.IGNORECASE,
)
_UPDATED_LABEL = re.compile(rf"^(?:{_DATE_LABELS_UPDATED})", re.IGNORECASE)

# Month names by number; a line starting with "  " continues the previous month.
_MONTH_NAMES = """
1: january jänner januar janvier enero gennaio janeiro januari styczeń stycznia leden ledna
  ocak január janúar sausio январь января січень січня 1월
2: february februar février febrero febbraio fevereiro februari luty lutego únor února şubat
  február febrúar vasario февраль февраля лютий лютого
3: march märz mars marzo março maart marts marzec marca březen března mart maret március
  kovo март марта березень березня
4: april avril abril aprile kwiecień kwietnia duben dubna nisan április apríl balandžio
  апрель апреля квітень квітня
5: may mai mayo maggio maio mei maj maja květen května mayıs május maí gegužės май мая
  травень травня
6: june juni juin junio giugno junho czerwiec czerwca červen června haziran június júní
  birželio июнь июня червень червня
7: july juli juillet julio luglio julho lipiec lipca červenec července temmuz július júlí
  liepos июль июля липень липня
8: august août agosto augustus augusti sierpień sierpnia srpen srpna ağustos agustus
  augusztus ágúst rugpjūčio август августа серпень серпня
9: september septembre septiembre settembre setembro wrzesień września září eylül szeptember
  rugsėjo сентябрь сентября вересень вересня
10: october oktober octobre octubre ottobre outubro październik października říjen října
  ekim október spalio октябрь октября жовтень жовтня
11: november novembre noviembre novembro listopad listopada listopadu kasım nóvember
  lapkričio ноябрь ноября листопад листопада
12: december dezember décembre diciembre dicembre dezembro desember grudzień grudnia
  prosinec prosince aralık gruodžio декабрь декабря грудень грудня
"""


def _month_table() -> dict[str, int]:
    """Full month names, plus 3- and 4-letter abbreviations that are unambiguous."""
    table: dict[str, int] = {}
    prefixes: dict[str, set[int]] = {}
    month = 0
    for row in _MONTH_NAMES.strip("\n").splitlines():
        head, _, rest = row.partition(":") if not row.startswith(" ") else ("", "", row)
        month = int(head) if head else month
        for name in rest.split():
            folded = fold(name)
            table[name] = month
            table[folded] = month
            for size in (3, 4):
                if len(folded) > size:
                    prefixes.setdefault(folded[:size], set()).add(month)
    for prefix, months in prefixes.items():
        if len(months) == 1 and prefix not in table:
            table[prefix] = next(iter(months))
    table["sept"] = 9
    return table


YEARISH = re.compile(r"(?:19|20)\d\d")

_TIME = (
    r"(?:\s*(?:,|um|à|a\s+las|alle|at|kl\.?|klo|o|godz\.?|saat|-|–|—|\|)?\s*"
    r"(?P<hour>[01]?\d|2[0-3])[:.h](?P<minute>[0-5]\d)(?::(?P<second>[0-5]\d))?"
    r"\s*(?P<ampm>[ap]\.?\s?m\.?)?)?"
)
# Zone names looked for after a dateline's time; their offsets come from the project's one
# table (connectors.text.dates.ZONE_OFFSETS). Fewer than the table on purpose: datelines are
# matched ignoring case, and names such as "MET", "WEST" or "UT" are words of running text.
# IST is matched so that it does not count as a word, but it has no offset (India, Ireland or
# Israel), so its time stays naive.
DATELINE_ZONES = (
    "BST", "CET", "CEST", "MEZ", "MESZ", "EST", "EDT", "CST", "CDT", "MST", "MDT", "PST", "PDT",
    "IST", "JST", "KST", "AEST", "AEDT",
)  # fmt: skip
_TZ = (
    r"(?:\s*(?P<tz>Z|UTC|GMT|[+-]\d{2}:?\d{2}|(?:UTC|GMT)\s?[+-]\d{1,2}(?::?\d{2})?"
    rf"|{'|'.join(DATELINE_ZONES)}))?"
)
_ISO_DATE = re.compile(
    r"(?<!\d)(?P<year>(?:19|20)\d{2})-(?P<month>0?[1-9]|1[0-2])-(?P<day>3[01]|[12]\d|0?[1-9])(?!\d)"
    r"(?:[T\s]+(?P<hour>[01]\d|2[0-3]):(?P<minute>[0-5]\d)(?::(?P<second>[0-5]\d)(?:\.\d+)?)?"
    r"(?P<tz>Z|[+-]\d{2}:?\d{2})?)?",
)
_NUMERIC_DATE = re.compile(
    r"(?<![\d.])(?P<a>\d{1,2})(?P<sep>[./])\s?(?P<b>\d{1,2})(?P=sep)\s?(?P<year>(?:19|20)\d{2})(?!\d)"
    + _TIME
    + _TZ,
)
_YMD_DATE = re.compile(
    r"(?<!\d)(?P<year>(?:19|20)\d{2})\s?(?:[./]|年|년)\s?(?P<month>0?[1-9]|1[0-2])\s?(?:[./]|月|월)"
    r"\s?(?P<day>3[01]|[12]\d|0?[1-9])(?:日|일)?(?!\d)"
    r"(?:\s*(?:\([^)]{1,3}\))?\s*(?P<hour>[01]?\d|2[0-3])(?:[:時시]\s?)(?P<minute>[0-5]\d))?",
)
_MONTH_WORD = r"(?P<mname>[^\W\d_]{3,12})\.?"
_DAY = r"(?P<day>3[01]|[12]\d|0?[1-9])(?!\d)"
_YEAR = r"(?P<year>(?:19|20)\d{2})(?=\D|\d{1,2}[:.]\d{2}|$)"
_DMY_WORDS = re.compile(
    rf"(?<!\d){_DAY}(?:\.|º|er|st|nd|rd|th)?\s*(?:de\s+)?{_MONTH_WORD},?\s*(?:de\s+)?{_YEAR}"
    + _TIME
    + _TZ,
    re.IGNORECASE,
)
_MDY_WORDS = re.compile(
    rf"{_MONTH_WORD}\s+{_DAY}(?:st|nd|rd|th)?,?\s*{_YEAR}" + _TIME + _TZ,
    re.IGNORECASE,
)

_MONTHS_TABLE: dict[str, int] = {}


@dataclass(frozen=True, slots=True)
class DateHit:
    """A date found in a line, with whether it was labelled and how."""

    value: datetime
    labelled: bool
    updated: bool
    start: int
    end: int


def month_numbers() -> dict[str, int]:
    """Month name or unambiguous abbreviation (accents folded too) -> month number."""
    if not _MONTHS_TABLE:
        _MONTHS_TABLE.update(_month_table())
    return _MONTHS_TABLE


def _tzinfo(raw: str | None) -> timezone | None:
    if not raw:
        return None
    offset = zone_offset(raw)
    return None if offset is None else timezone(offset)


def _build(
    year: int, month: int, day: int, match: re.Match[str], *, with_time: bool = True
) -> datetime | None:
    groups = match.groupdict()
    hour = minute = second = 0
    if with_time and groups.get("hour") is not None and groups.get("minute") is not None:
        hour, minute = int(groups["hour"]), int(groups["minute"])
        second = int(groups.get("second") or 0)
        ampm = (groups.get("ampm") or "").replace(".", "").replace(" ", "").lower()
        if ampm == "pm" and hour < 12:
            hour += 12
        elif ampm == "am" and hour == 12:
            hour = 0
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=_tzinfo(groups.get("tz")))
    except ValueError:
        return None


def dates_in(text: str, *, language: str | None) -> list[tuple[int, int, datetime]]:
    """Every unambiguous absolute date in a line, with its span."""
    found: list[tuple[int, int, datetime]] = []
    taken: list[tuple[int, int]] = []

    def add(match: re.Match[str], value: datetime | None) -> None:
        span = match.span()
        if value is None or any(span[0] < e and s < span[1] for s, e in taken):
            return
        taken.append(span)
        found.append((span[0], span[1], value))

    for m in _ISO_DATE.finditer(text):
        add(m, _build(int(m["year"]), int(m["month"]), int(m["day"]), m))
    for m in _YMD_DATE.finditer(text):
        add(m, _build(int(m["year"]), int(m["month"]), int(m["day"]), m))
    months = month_numbers()
    for m in _MDY_WORDS.finditer(text):
        month = months.get(fold(m["mname"]))
        if month:
            add(m, _build(int(m["year"]), month, int(m["day"]), m))
    for m in _DMY_WORDS.finditer(text):
        month = months.get(fold(m["mname"]))
        if month:
            add(m, _build(int(m["year"]), month, int(m["day"]), m))
    for m in _NUMERIC_DATE.finditer(text):
        a, b = int(m["a"]), int(m["b"])
        day_month = _order_numeric(a, b, sep=m["sep"], language=language)
        if day_month:
            add(m, _build(int(m["year"]), day_month[1], day_month[0], m))
    found.sort()
    return [(start, end, _time_before(text, start, value)) for start, end, value in found]


_TIME_BEFORE = re.compile(
    r"(?P<hour>[01]?\d|2[0-3])[:.h](?P<minute>[0-5]\d)\s*(?P<ampm>[ap]\.?\s?m\.?)?"
    + _TZ
    + r"[\s,|•·–-]*$",
    re.IGNORECASE,
)


def _time_before(text: str, start: int, value: datetime) -> datetime:
    """Take a clock time written before the date ("15:56 BST, 27 April 2024")."""
    if value.hour or value.minute or value.tzinfo:
        return value
    match = _TIME_BEFORE.search(text[max(0, start - 30) : start])
    if not match:
        return value
    with_time = _build(value.year, value.month, value.day, match)
    return with_time or value


def _order_numeric(a: int, b: int, *, sep: str, language: str | None) -> tuple[int, int] | None:
    """(day, month) of ``a/b/yyyy``; ``None`` when the order cannot be known."""
    if sep == ".":
        return (a, b) if 1 <= b <= 12 else None  # dotted dates are day-first everywhere
    if a > 12 >= b >= 1:
        return (a, b)
    if b > 12 >= a >= 1:
        return (b, a)
    if a == b and 1 <= a <= 12:
        return (a, b)
    if language in {None, "en"}:
        return None  # 03/04/2024: US or British order, unknowable from the text
    return (a, b) if 1 <= b <= 12 else None


def _date_hits(text: str, *, language: str | None) -> list[DateHit]:
    """Dates in a dateline, each tagged with the nearest preceding label."""
    dates = dates_in(text, language=language)
    if not dates:
        return []  # relative dates ("2 hours ago", "vor 3 Stunden") never get here
    hits: list[DateHit] = []
    labels = [(m.start(), m.end(), m["label"]) for m in DATE_LABEL.finditer(text)]
    for start, end, value in dates:
        label = None
        for l_start, l_end, name in labels:
            if l_end <= start and start - l_end <= 12:
                label = name
            elif l_start >= start:
                break
        hits.append(
            DateHit(
                value=value,
                labelled=label is not None,
                updated=bool(label and _UPDATED_LABEL.match(label.strip())),
                start=start,
                end=end,
            )
        )
    return hits


def _residual_words(text: str, hits: Sequence[DateHit]) -> int:
    """Words left on a dateline once dates, labels and filler are removed."""
    rest = text
    for hit in sorted(hits, key=lambda h: h.start, reverse=True):
        rest = rest[: hit.start] + " " + rest[hit.end :]
    rest = _CJK_DATE_CHARS.sub(" ", DATE_LABEL.sub(" ", rest))
    words = [
        w
        for w in WORD.findall(rest)
        if w.casefold()
        not in {
            "uhr",
            "am",
            "pm",
            "um",
            "le",
            "el",
            "il",
            "on",
            "at",
            "de",
            "à",
            "a",
            "min",
            "read",
        }
    ]
    return len(words)


_WEEKDAY = re.compile(
    r"\b(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\b|\b(?:montag|dienstag|mittwoch|donnerstag|freitag"
    r"|samstag|sonntag|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|lunes|martes|miércoles"
    r"|jueves|viernes|sábado|domingo|lunedì|martedì|mercoledì|giovedì|venerdì|sabato|domenica)\b",
    re.IGNORECASE,
)


def is_dateline(ln: Line, *, language: str | None) -> tuple[bool, list[DateHit]]:
    """A line that is essentially a date (possibly labelled), and its dates."""
    if ln.words > 25 or ln.caption:
        return False, []
    hits = _date_hits(ln.text, language=language)
    if not hits:
        return False, []
    residual = _residual_words(_WEEKDAY.sub(" ", ln.text), hits)
    labelled = any(h.labelled for h in hits)
    return residual <= (6 if labelled else 3), hits
