"""A touchpoint row's cell values: its kind and partner team from their synonyms or from keywords,
observation lines with their severity, durations ("1h30"), times of day, and lists of people,
accounts and emails. Plain Python, shared with the touchpoint form (`observation_lines`)."""

import datetime as dt
import re

# The touchpoint form's limits too (touchpoints.forms imports them), so a row imports when the
# form would take it.
MAX_OBSERVATIONS = 50
MAX_OBSERVATION_LENGTH = 2000
MAX_DURATION_MINUTES = 24 * 60
DEFAULT_DURATION_MINUTES = 60
WORKING_DAY_MINUTES = 8 * 60

# --- values: kinds, partner teams, severities ---------------------------------------------------

# touchpoints.models.TouchpointKind, PartnerTeam and Observation.Severity values: insights cannot
# import touchpoints, so tests/touchpoints/test_import.py holds these lists to the models'.
RIDE_ALONG = "ride_along"
EMPATHY_SESSION = "empathy_session"
EMBEDDED_SUPPORT = "embedded_support"
HACKATHON = "hackathon"
CUSTOMER_CALL = "customer_call"
SITE_VISIT = "site_visit"
TOUCHPOINT_KINDS = (
    RIDE_ALONG,
    EMPATHY_SESSION,
    EMBEDDED_SUPPORT,
    HACKATHON,
    CUSTOMER_CALL,
    SITE_VISIT,
)
PARTNER_TEAMS = ("sales", "support", "success", "design", "product")
SEVERITIES = ("low", "medium", "high")

_KIND_WORDS = {  # a kind cell, normalised by `_word_key` → kind
    "ride along": RIDE_ALONG,
    "ridealong": RIDE_ALONG,
    "empathy": EMPATHY_SESSION,
    "empathy session": EMPATHY_SESSION,
    "digital empathy": EMPATHY_SESSION,
    "digital empathy session": EMPATHY_SESSION,
    "support shift": EMBEDDED_SUPPORT,
    "embedded support": EMBEDDED_SUPPORT,
    "embedded support shift": EMBEDDED_SUPPORT,
    "hackathon": HACKATHON,
    "customer hackathon": HACKATHON,
    "call": CUSTOMER_CALL,
    "customer call": CUSTOMER_CALL,
    "phone call": CUSTOMER_CALL,
    "video call": CUSTOMER_CALL,
    "visit": SITE_VISIT,
    "site visit": SITE_VISIT,
    "customer visit": SITE_VISIT,
    "onsite": SITE_VISIT,
    "on site": SITE_VISIT,
}
# Keywords in a subject or a category, most specific first: "support shift" before "call".
_KIND_KEYWORDS = (
    (RIDE_ALONG, re.compile(r"\bride[\s_-]?alongs?\b", re.I)),
    (EMPATHY_SESSION, re.compile(r"\bempathy\b", re.I)),
    (EMBEDDED_SUPPORT, re.compile(r"\bsupport[\s_-]shifts?\b|\bembedded[\s_-]support\b", re.I)),
    (HACKATHON, re.compile(r"\bhackathons?\b", re.I)),
    (SITE_VISIT, re.compile(r"\bvisits?\b|\bon[\s-]?site\b", re.I)),
    (CUSTOMER_CALL, re.compile(r"\bcalls?\b", re.I)),
)
_KIND_HINT = "ride-along, empathy session, support shift, hackathon, call or visit"

_PARTNER_WORDS = {
    "sales": "sales",
    "sales team": "sales",
    "support": "support",
    "support team": "support",
    "customer support": "support",
    "success": "success",
    "customer success": "success",
    "cs": "success",
    "csm": "success",
    "design": "design",
    "ux": "design",
    "product design": "design",
    "product": "product",
    "product management": "product",
    "pm": "product",
    "none": "",
    "no": "",
    "n/a": "",
}
_PARTNER_IN_SUBJECT = re.compile(
    r"\bwith (?:the )?(sales|support|customer success|success|design|ux|product)(?: team)?\b", re.I
)
_PARTNER_HINT = "sales, support, customer success, design or product"

_SEVERITY_WORDS = {"low": "low", "medium": "medium", "med": "medium", "high": "high"}
_SEVERITY_PREFIX = re.compile(
    r"^(?:\[\s*(?P<bracket>high|medium|med|low)\s*\]|\(\s*(?P<paren>high|medium|med|low)\s*\)"
    r"|(?P<colon>high|medium|med|low)\s*:|(?P<dash>high|medium|med|low)\s+[-–—])\s*",
    re.I,
)
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")

_WORD_SEPARATORS = re.compile(r"[\s_\-/]+")


def _word_key(text: str) -> str:
    """'Ride-along' → 'ride along', 'EMBEDDED_SUPPORT' → 'embedded support'."""
    return _WORD_SEPARATORS.sub(" ", text.strip().lower()).strip()


def observation_lines(text: str) -> list[tuple[str, str]]:
    """One observation per non-empty line, as (text, severity). A line may start with a bullet
    and a severity — "[high] …", "(low) …", "high: …", "medium - …"; without one its severity is
    "". ValueError, with a sentence for people, for a severity with nothing after it."""
    parsed = []
    for raw in text.splitlines():
        line = _BULLET.sub("", raw).strip()
        if not line:
            continue
        severity = ""
        match = _SEVERITY_PREFIX.match(line)
        if match is not None:
            word = next(group for group in match.groupdict().values() if group)
            severity = _SEVERITY_WORDS[word.lower()]
            line = line[match.end() :].strip()
            if not line:
                raise ValueError(f"“{raw.strip()}” has a severity but no observation after it.")
        parsed.append((line, severity))
    return parsed


def touchpoint_kind_of(text: str) -> str:
    """The kind a cell names ('Ride-along', 'support shift', 'customer_call') or, failing that,
    the kind its first keyword says ('Acme ride-along'); "" when it says none."""
    kind = _KIND_WORDS.get(_word_key(text))
    if kind is not None:
        return kind
    for kind, pattern in _KIND_KEYWORDS:
        if pattern.search(text):
            return kind
    return ""


def _partner_team_of(text: str) -> str | None:
    """The partner team a cell names, "" for an explicit none, None when it names no team."""
    key = _word_key(text)
    if key in _PARTNER_WORDS:
        return _PARTNER_WORDS[key]
    if key in PARTNER_TEAMS:
        return key
    return None


# --- values: durations, times, lists ------------------------------------------------------------

_MINUTES = re.compile(r"(\d+(?:[.,]\d+)?)")
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")
_HOURS_MINUTES = re.compile(
    r"(?:(?P<hours>\d+(?:[.,]\d+)?)\s*(?:h|hrs?|hours?|std|stunden?)\.?)?\s*"
    r"(?:(?P<minutes>\d+)\s*(?:m|mins?|minutes?|minuten)?\.?)?",
    re.I,
)


def duration_minutes_of(text: str) -> int | None:
    """'45' → 45, '1h30' → 90, '1:30' → 90, '90 min' → 90, '1.5 h' → 90, '' → None;
    ValueError when it is no length of time."""
    text = text.strip()
    if not text:
        return None
    if match := _MINUTES.fullmatch(text):
        return round(float(match[1].replace(",", ".")))
    if match := _CLOCK.fullmatch(text):
        return int(match[1]) * 60 + int(match[2]) + round(int(match[3] or 0) / 60)
    match = _HOURS_MINUTES.fullmatch(text)
    if match is None or not (match["hours"] or match["minutes"]):
        raise ValueError(text)
    hours = float((match["hours"] or "0").replace(",", "."))
    return round(hours * 60) + int(match["minutes"] or 0)


_TIME_OF_DAY = re.compile(
    r"(?:^|[\sT])(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?(?:\.\d+)?\s*(?:([ap])\.?\s?m\.?)?\s*$", re.I
)


def _time_of_day(text: str) -> dt.time | None:
    """'10:00:00 AM', '14:30', '2 pm', '2024-03-01 14:30' → the time of day; None for none."""
    match = _TIME_OF_DAY.search(text.strip())
    if match is None or (match[2] is None and match[4] is None):
        return None
    hour, minute, second = int(match[1]), int(match[2] or 0), int(match[3] or 0)
    if match[4]:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if match[4].lower() == "p" else 0)
    try:
        return dt.time(hour, minute, second)
    except ValueError:
        return None


_SEMICOLON_LIST = re.compile(r"\s*[;\n]\s*")
_ANY_LIST = re.compile(r"\s*[;,\n]\s*")
_ANGLE_EMAIL = re.compile(r"<\s*([^<>\s]+@[^<>\s]+)\s*>")


def _person(token: str) -> str:
    token = token.strip().strip("'\"").strip()
    if match := _ANGLE_EMAIL.search(token):
        return match[1].lower()
    return token.lower() if "@" in token else token


def _people(cell: str) -> list[str]:
    """Usernames, emails (lower case) and display names in one cell, in order, once each."""
    separator = _SEMICOLON_LIST if (";" in cell or "\n" in cell) else _ANY_LIST
    return list(dict.fromkeys(p for token in separator.split(cell) if (p := _person(token))))


def _values(cell: str) -> list[str]:
    return list(dict.fromkeys(token for token in _ANY_LIST.split(cell.strip()) if token))


def _accounts(cell: str) -> list[str]:
    """Account ids or names: split on ";" when the cell holds one ("Acme, Inc.; Globex")."""
    separator = _SEMICOLON_LIST if (";" in cell or "\n" in cell) else _ANY_LIST
    return list(dict.fromkeys(token for token in separator.split(cell.strip()) if token))


def _emails(cell: str) -> list[str]:
    return [person for person in _people(cell) if "@" in person]
