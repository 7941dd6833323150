"""Recognising survey tools' exports by their header layout: Qualtrics (three header rows, and
the legacy V1, V2, … layout), SurveyMonkey (question over sub-answer), Typeform and Google Forms,
with each tool's own metadata columns."""

import json
import re

from insights.formats.columns import _cell, _make_columns, _propose_question, _Reading, _samples
from insights.formats.roles import Role
from insights.formats.vocabulary import _norm

_QUALTRICS_METADATA = {
    "startdate": Role.IGNORE,
    "enddate": Role.IGNORE,  # the submitted date only when there is no RecordedDate
    "status": Role.IGNORE,
    "ipaddress": Role.IGNORE,
    "progress": Role.IGNORE,
    "duration (in seconds)": Role.IGNORE,
    "finished": Role.IGNORE,
    "recordeddate": Role.SUBMITTED_AT,
    "responseid": Role.RESPONSE_ID,
    "recipientlastname": Role.IGNORE,
    "recipientfirstname": Role.IGNORE,
    "recipientemail": Role.EMAIL,
    "externalreference": Role.CUSTOMER_ID,
    "locationlatitude": Role.IGNORE,
    "locationlongitude": Role.IGNORE,
    "locationaccuracy": Role.IGNORE,
    "distributionchannel": Role.CHANNEL,
    "userlanguage": Role.ATTRIBUTE,
}
_QUALTRICS_LEGACY_METADATA = {
    "responseid": Role.RESPONSE_ID,
    "responseset": Role.IGNORE,
    "name": Role.IGNORE,
    "externaldatareference": Role.CUSTOMER_ID,
    "emailaddress": Role.EMAIL,
    "ipaddress": Role.IGNORE,
    "status": Role.IGNORE,
    "startdate": Role.IGNORE,
    "enddate": Role.SUBMITTED_AT,
    "finished": Role.IGNORE,
    "locationlatitude": Role.IGNORE,
    "locationlongitude": Role.IGNORE,
    "locationaccuracy": Role.IGNORE,
}
# Qualtrics' own computed columns: NPS group, display order, timing, scores, fraud checks.
_QUALTRICS_AUXILIARY = re.compile(
    r"_NPS_GROUP$|_DO$|_(?:First Click|Last Click|Page Submit|Click Count)$|^SC\d+$|^Q_",
    re.I,
)
_V_TAG = re.compile(r"V\d+")


def _import_id(cell: str) -> dict | None:
    text = cell.strip()
    if not (text.startswith("{") and "ImportId" in text):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) and "ImportId" in value else None


def _read_qualtrics(rows: list[list[str]], *, forced: bool) -> _Reading | None:
    if len(rows) < 3:
        return None
    width = len(rows[0])
    imports = [_import_id(_cell(rows[2], index)) for index in range(width)]
    filled = sum(1 for index in range(width) if _cell(rows[2], index))
    found = sum(1 for value in imports if value is not None)
    if not found or found * 2 < filled:
        return None
    keys = [_cell(rows[0], index) for index in range(width)]
    labels = [_cell(rows[1], index) for index in range(width)]
    zones = [str((value or {}).get("timeZone") or "") for value in imports]
    columns = _make_columns(keys, labels, zones)
    has_recorded_date = any(key.lower() == "recordeddate" for key in keys)
    roles = []
    for column in columns:
        tag = column.key.lower()
        if tag == "enddate" and not has_recorded_date:
            roles.append(Role.SUBMITTED_AT)
        elif tag in _QUALTRICS_METADATA:
            roles.append(_QUALTRICS_METADATA[tag])
        elif _QUALTRICS_AUXILIARY.search(column.key):
            roles.append(Role.IGNORE)
        else:
            text = f"{column.key} {column.label}"
            roles.append(_propose_question(text, _samples(rows, 3, column.index)))
    return _Reading("qualtrics", 3, columns, roles)


def _read_qualtrics_legacy(rows: list[list[str]], *, forced: bool) -> _Reading | None:
    if len(rows) < 2 or not rows[0] or not _V_TAG.fullmatch(_cell(rows[0], 0)):
        return None
    if sum(1 for cell in rows[0] if _V_TAG.fullmatch(cell.strip())) < 3:
        return None
    if "responseid" not in {cell.strip().lower() for cell in rows[1]}:
        return None
    width = max(len(rows[0]), len(rows[1]))
    tags = [_cell(rows[0], index) for index in range(width)]
    names = [_cell(rows[1], index) for index in range(width)]
    keys = [
        name if _V_TAG.fullmatch(tag) or not tag else tag
        for tag, name in zip(tags, names, strict=True)
    ]
    columns = _make_columns(keys, names)
    roles = []
    for column in columns:
        tag = column.key.lower()
        if tag in _QUALTRICS_LEGACY_METADATA:
            roles.append(_QUALTRICS_LEGACY_METADATA[tag])
        else:
            text = f"{column.key} {column.label}"
            roles.append(_propose_question(text, _samples(rows, 2, column.index)))
    return _Reading("qualtrics_legacy", 2, columns, roles)


def _read_qualtrics_any(rows: list[list[str]], *, forced: bool) -> _Reading | None:
    return _read_qualtrics(rows, forced=forced) or _read_qualtrics_legacy(rows, forced=forced)


_SURVEYMONKEY_METADATA = {
    "respondent id": Role.RESPONSE_ID,
    "collector id": Role.IGNORE,
    "start date": Role.IGNORE,
    "end date": Role.SUBMITTED_AT,
    "ip address": Role.IGNORE,
    "email address": Role.EMAIL,
    "first name": Role.IGNORE,
    "last name": Role.IGNORE,
}
_SURVEYMONKEY_PLAIN_ANSWERS = frozenset({"response", "open-ended response"})
_CUSTOM_DATA = re.compile(r"^custom (?:data|variable) ?\d*$")


def _read_surveymonkey(rows: list[list[str]], *, forced: bool) -> _Reading | None:
    if len(rows) < 2 or "respondent id" not in {_norm(cell) for cell in rows[0]}:
        return None
    width = max(len(rows[0]), len(rows[1]))
    keys, labels, answers = [], [], []
    question = ""
    for index in range(width):
        question = _cell(rows[0], index) or question  # merged cells: the question carries on
        answer = _cell(rows[1], index)
        keys.append(f"{question} / {answer}" if answer else question)
        plain = not answer or answer.lower() in _SURVEYMONKEY_PLAIN_ANSWERS
        labels.append(question if plain else f"{question} / {answer}")
        answers.append(answer)
    columns = _make_columns(keys, labels)
    roles = []
    for column, answer in zip(columns, answers, strict=True):
        header = _norm(column.label)
        if not answer and header in _SURVEYMONKEY_METADATA:
            roles.append(_SURVEYMONKEY_METADATA[header])
        elif not answer and _CUSTOM_DATA.match(header):
            roles.append(Role.ATTRIBUTE)
        else:
            roles.append(
                _propose_question(
                    column.label,
                    _samples(rows, 2, column.index),
                    open_ended=answer.lower() == "open-ended response",
                )
            )
    return _Reading("surveymonkey", 2, columns, roles)


_TYPEFORM_TRAILING = {
    "response type": Role.IGNORE,
    "start date (utc)": Role.IGNORE,
    "stage date (utc)": Role.IGNORE,
    "submit date (utc)": Role.SUBMITTED_AT,
    "network id": Role.IGNORE,
    "tags": Role.ATTRIBUTE,
    "ending": Role.IGNORE,
}


def _read_typeform(rows: list[list[str]], *, forced: bool) -> _Reading | None:
    headers = [cell.strip() for cell in rows[0]]
    normalized = {header.lower() for header in headers}
    if headers[0] != "#" or not normalized & {
        "submit date (utc)",
        "start date (utc)",
        "network id",
    }:
        return None
    zones = ["UTC" if header.endswith("(UTC)") else "" for header in headers]
    columns = _make_columns(headers, headers, zones)
    roles = []
    for column in columns:
        if column.index == 0:
            roles.append(Role.RESPONSE_ID)
        elif column.key.lower() in _TYPEFORM_TRAILING:
            roles.append(_TYPEFORM_TRAILING[column.key.lower()])
        else:
            roles.append(_propose_question(column.label, _samples(rows, 1, column.index)))
    return _Reading("typeform", 1, columns, roles)


_GOOGLE_FORMS_FIXED = {"timestamp": Role.SUBMITTED_AT, "email address": Role.EMAIL}


def _read_google_forms(rows: list[list[str]], *, forced: bool) -> _Reading | None:
    headers = [cell.strip() for cell in rows[0]]
    if forced:
        if "timestamp" not in {header.lower() for header in headers}:
            return None
    elif headers[0].lower() != "timestamp":
        return None
    columns = _make_columns(headers, headers)
    roles = [
        _GOOGLE_FORMS_FIXED.get(column.key.lower())
        or _propose_question(column.label, _samples(rows, 1, column.index))
        for column in columns
    ]
    return _Reading("google_forms", 1, columns, roles)
