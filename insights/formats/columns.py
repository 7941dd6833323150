"""A header's columns and what each one probably is: unique column keys, sample values, and the
role proposed for a column from its header text (and, in surveys, its sample values)."""

from collections.abc import Sequence
from dataclasses import dataclass

from insights.formats.roles import Column, Role
from insights.formats.vocabulary import (
    _ATTRIBUTE_HINT,
    _CES_LABELS,
    _CSAT_LABELS,
    _IDENTITY_RULES,
    _NPS_LABELS,
    _QUESTION_RULES,
    _SCORE_TEXT,
    _SCORE_WORD_HINT,
    _TICKET_RULES,
    _USAGE_RULES,
    _USAGE_TOTALS,
    _norm,
)

_SHORT_HEADER_WORDS = 5  # identity columns have short names; questions are sentences

_FITS = {
    Role.NPS: frozenset({"scale_0_10", "scale_1_5", "scale_1_7"}),
    Role.CES: frozenset({"scale_1_5", "scale_1_7", "ces_labels"}),
    Role.CSAT: frozenset({"scale_1_5", "csat_labels"}),
}
_ROLE_BY_VALUES = {"csat_labels": Role.CSAT, "ces_labels": Role.CES, "text": Role.COMMENT}


def _sample_kind(samples: Sequence[str]) -> str:
    """What a column's sample values look like: a score scale, score labels, text, categories."""
    values = [value.strip() for value in samples if value.strip()]
    if not values:
        return "empty"
    numbers = []
    for value in values:
        match = _SCORE_TEXT.fullmatch(value)
        if match is not None:
            numbers.append(float(match[1]))
        elif value.lower() in _NPS_LABELS:
            numbers.append(float(_NPS_LABELS[value.lower()]))
        else:
            break
    else:
        if not all(number.is_integer() for number in numbers):
            return "number"
        low, high = min(numbers), max(numbers)
        if low >= 1 and high <= 5:
            return "scale_1_5"
        if low >= 1 and high <= 7:
            return "scale_1_7"
        if low >= 0 and high <= 10:
            return "scale_0_10"
        return "number"
    lowered = [value.lower() for value in values]
    if all(value in _CSAT_LABELS for value in lowered):
        return "csat_labels"
    if all(value in _CES_LABELS for value in lowered):
        return "ces_labels"
    if any(value.count(" ") >= 3 or (len(value) >= 30 and " " in value) for value in values):
        return "text"
    return "category"


def _propose_question(
    text: str, samples: Sequence[str], *, values_decide: bool = True, open_ended: bool = False
) -> Role:
    """A survey column's role from its header or question text and its sample values.

    `values_decide`: survey tools' question columns may become NPS from 0–10 values alone; a
    generic file's columns need a header that says score, rating or likely.
    """
    header = _norm(text)
    kind = _sample_kind(samples)
    if kind != "text" and len(header.split()) <= _SHORT_HEADER_WORDS:
        for role, pattern in _IDENTITY_RULES:
            if pattern.search(header):
                return role
    hints = [role for role, pattern in _QUESTION_RULES if pattern.search(header)]
    if kind == "text":
        return Role.COMMENT
    for role in hints:
        if role is not Role.COMMENT and kind in _FITS[role]:
            return role
    if kind == "scale_0_10" and (values_decide or _SCORE_WORD_HINT.search(header)):
        return Role.NPS
    if kind in _ROLE_BY_VALUES:
        return _ROLE_BY_VALUES[kind]
    if (Role.COMMENT in hints or open_ended) and kind in ("empty", "category"):
        return Role.COMMENT
    if kind == "empty" and hints:
        return hints[0]
    if _ATTRIBUTE_HINT.search(header) and kind in ("empty", "category"):
        return Role.ATTRIBUTE
    return Role.IGNORE


def _propose_ticket(header: str) -> Role:
    normalized = _norm(header)
    for role, pattern in _TICKET_RULES:
        if pattern.search(normalized):
            return role
    return Role.IGNORE


def _propose_usage(header: str) -> Role:
    normalized = _norm(header)
    if _USAGE_TOTALS.search(normalized):
        return Role.IGNORE
    for role, pattern in _USAGE_RULES:
        if pattern.search(normalized):
            return role
    return Role.IGNORE


@dataclass
class _Reading:
    name: str
    header_rows: int
    columns: list[Column]
    roles: list[Role]


def _cell(row: Sequence[str], index: int) -> str:
    return row[index].strip() if index < len(row) else ""


def _samples(rows: list[list[str]], header_rows: int, index: int) -> list[str]:
    return [row[index] for row in rows[header_rows:] if index < len(row)]


def _make_columns(
    keys: list[str], labels: list[str], zones: list[str] | None = None
) -> list[Column]:
    """Columns with unique keys: an empty header becomes 'Column 7', a repeated one 'Email (2)'."""
    seen: dict[str, int] = {}
    columns = []
    for index, (key, label) in enumerate(zip(keys, labels, strict=True)):
        key = key or f"Column {index + 1}"
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            key = f"{key} ({seen[key]})"
        zone = zones[index] if zones else ""
        columns.append(Column(index=index, key=key, label=label or key, timezone=zone))
    return columns
