"""The words exports use: header synonyms (in several languages) that say what a column holds,
for surveys, support tickets, usage files and touchpoint logs; the labels survey tools and
helpdesks write in place of NPS, CSAT and CES scores; and the feature name in a usage column's
header."""

import re

from insights.formats.roles import Role

_CAMEL_CASE = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SEPARATORS = re.compile(r"[\s_\-./:]+")


def _norm(text: str) -> str:
    """'ResponseId' → 'response id', 'feature:dashboards' → 'feature dashboards'."""
    return _SEPARATORS.sub(" ", _CAMEL_CASE.sub(" ", text)).strip().lower()


_EMAIL_HINT = re.compile(r"\be ?mail\b|\bcorreo\b|courriel")
_CUSTOMER_HINT = re.compile(
    r"\b(?:account|customer|company|client|organi[sz]ation|org|tenant|kunden?)\s?"
    r"(?:external\s)?(?:id|number|no|nr|nummer|key|ref|reference)\b"
    r"|external (?:data )?reference|kundennummer"
)
_RESPONSE_ID_HINT = re.compile(r"^(?:response|respondent|submission|record|entry)?\s?id$|^#$")
_DATE_HINT = re.compile(
    r"\b(?:date|datum|fecha|submitted|submit|timestamp|zeitstempel|created|recorded|completed"
    r"|time|answered)\b"
)
_CHANNEL_HINT = re.compile(r"\b(?:channel|source|via|medium|kanal|canal)\b")
_ATTRIBUTE_HINT = re.compile(
    r"segment|\bplan\b|region|country|language|locale|\btier\b|industry|\brole\b|department"
    r"|persona|company|organi[sz]ation|\bsize\b|\bland\b|sprache|idioma|\bpa[ií]s\b|\bpays\b"
    r"|langue|branche"
)
_NPS_HINT = re.compile(
    r"\bnps\b|net promoter|recomm?i?end|recommand|raccomand|empfehl|aanbevel"
    r"|勧め|薦め|推薦|推奨|おすすめ"
)
_CES_HINT = re.compile(
    r"\bces\b|customer effort|\beffort|\beas(?:y|ier|e)\b|aufwand|\beinfach|esfuerzo"
    r"|\bf[aá]cil|\bfacile"
)
_CSAT_HINT = re.compile(r"\bcsat\b|satisf|zufrieden|満足|\brating\b")
_COMMENT_HINT = re.compile(
    r"comment|feedback|\bwhy\b|reason|anything else|suggest|improve|better|tell us|\bnotes?\b"
    r"|verbatim|open ended|explain|kommentar|warum|grund|anmerk|verbesser|por ?qu[eé]"
    r"|raz[oó]n|comentario|algo m[aá]s|pourquoi|raison|commentaire|autre chose"
    r"|理由|意見|コメント|感想"
)
_SCORE_WORD_HINT = re.compile(r"\bscore\b|\brating\b|\blikely\b")
_IDENTITY_RULES = (
    (Role.EMAIL, _EMAIL_HINT),
    (Role.CUSTOMER_ID, _CUSTOMER_HINT),
    (Role.RESPONSE_ID, _RESPONSE_ID_HINT),
    (Role.SUBMITTED_AT, _DATE_HINT),
    (Role.CHANNEL, _CHANNEL_HINT),
)
_QUESTION_RULES = (
    (Role.NPS, _NPS_HINT),
    (Role.CES, _CES_HINT),
    (Role.CSAT, _CSAT_HINT),
    (Role.COMMENT, _COMMENT_HINT),
)

_TICKET_RULES = (
    (Role.EMAIL, _EMAIL_HINT),
    (Role.CUSTOMER_ID, _CUSTOMER_HINT),
    (
        Role.TICKET_ID,
        re.compile(r"^(?:ticket|case|issue|conversation|request)?\s?(?:id|number|no|nr|#)$"),
    ),
    (Role.SUBMITTED_AT, re.compile(r"\b(?:created|opened|submitted|received)\b|^date$")),
    (Role.SUBJECT, re.compile(r"\b(?:subject|title|summary)\b")),
    (
        Role.BODY,
        re.compile(r"\b(?:description|body|message|details|content|text|comment|question)\b"),
    ),
    (Role.TAGS, re.compile(r"\btags?\b|\blabels?\b")),
    (Role.STATUS, re.compile(r"\b(?:status|state)\b")),
    (Role.SATISFACTION, re.compile(r"satisf|\bcsat\b|\brating\b")),
    (Role.CHANNEL, re.compile(r"\b(?:channel|via|source)\b")),
    (
        Role.ATTRIBUTE,
        re.compile(r"priority|\btype\b|product|\bplan\b|region|segment|organi|category|country"),
    ),
)
_TICKET_ID_HEADER = re.compile(r"^(?:ticket|case|issue)\s?(?:id|number|no|nr|#)?$")

_USAGE_TOTALS = re.compile(r"^(?:total|licensed|paid|all|invited) users?$|^seats$")
_USAGE_RULES = (
    (
        Role.CUSTOMER_ID,
        re.compile(
            _CUSTOMER_HINT.pattern
            + r"|^(?:account|customer|company|org|organi[sz]ation|tenant|client)$"
        ),
    ),
    (Role.PERIOD, re.compile(r"\b(?:period|month|date|monat|mes|mois)\b")),
    (Role.ACTIVE_USERS, re.compile(r"active users?|\bmau\b|^actives?$|^users? active")),
    (Role.TASK_ATTEMPTS, re.compile(r"attempt|tasks? started|\btries\b")),
    (Role.TASK_SUCCESSES, re.compile(r"success|succeed|tasks? completed|tasks? done")),
    (Role.FEATURE, re.compile(r"^feature\b|\busers$|\badoption$|\badopted$")),
)

# A touchpoint log's columns; the first rule that matches a header wins, so the narrow ones
# (an engineer's email, an end date) come before the broad ones (an email, a date).
_TOUCHPOINT_RULES = (
    (
        Role.ENGINEER,
        re.compile(
            r"^(?:engineer|engineer (?:e ?mail|user ?name|user|login|name)|logged by|logger"
            r"|(?:meeting )?organi[sz]er)$"
        ),
    ),
    (
        Role.ATTENDEES,
        re.compile(
            r"attendees?\b|participants?\b|^(?:other )?engineers$|^(?:with|invitees?|guests?)$"
        ),
    ),
    (
        Role.RESPONSE_ID,
        re.compile(
            r"^(?:event|meeting|touchpoint|entry|record|calendar)?\s?(?:id|uid|#)$|i cal uid"
        ),
    ),
    (Role.END_TIME, re.compile(r"^(?:end|ends|ending|finish) time$")),
    (Role.START_TIME, re.compile(r"^(?:start|starts|starting|begin) time$|^time$")),
    (
        Role.END_AT,
        re.compile(r"^(?:end|ends|end date|ends? (?:at|on)|finish(?:ed)?(?: at| on)?|until)$"),
    ),
    (Role.DURATION, re.compile(r"\bduration\b|^(?:minutes|mins?|hours|length|time spent)\b")),
    (
        Role.TOUCHPOINT_KIND,
        re.compile(
            r"^(?:kind|type|(?:touchpoint|meeting|event|activity) (?:kind|type)|activity"
            r"|categor(?:y|ies))$"
        ),
    ),
    (Role.PARTNER_TEAM, re.compile(r"\bpartner\b|^(?:with )?team$")),
    (Role.FOLLOW_UPS, re.compile(r"follow ?ups?|next steps?|action items?|^actions?$|to ?dos?")),
    (
        Role.OBSERVATIONS,
        re.compile(
            r"observations?|findings?|learnings?|pain points?|what (?:we|i) (?:saw|learned|heard)"
            r"|\bnotes?\b"
        ),
    ),
    (
        Role.CUSTOMER_ID,
        re.compile(
            _CUSTOMER_HINT.pattern
            + r"|^(?:customers?|accounts?|compan(?:y|ies)|clients?|organi[sz]ations?)$"
            + r"|^(?:customer|account) (?:ids|names?)$"
        ),
    ),
    (Role.EMAIL, re.compile(_EMAIL_HINT.pattern + r"|\be ?mails\b|^contacts?$")),
    (Role.SUBJECT, re.compile(r"^(?:subject|summary|title|topic|meeting|event|description)$")),
    (
        Role.SUBMITTED_AT,
        re.compile(r"\bdate\b|^(?:day|when|occurred(?: on| at)?|start|starts|start (?:at|on))$"),
    ),
)

_FEATURE_PREFIX = re.compile(r"^feature[\s_:\-./]*", re.I)
_FEATURE_SUFFIX = re.compile(r"[\s_\-]*(?:users|adoption|adopted)$", re.I)
_FEATURE_SPACES = re.compile(r"[\s\-]+")


def feature_name(header: str) -> str:
    """The feature a usage column counts: 'feature_export' → 'export', 'Alerts users' → 'alerts'."""
    name = _FEATURE_SUFFIX.sub("", _FEATURE_PREFIX.sub("", header.strip())).strip()
    return _FEATURE_SPACES.sub("_", name).lower() or header.strip()


_SCORE_TEXT = re.compile(r"(-?\d+(?:\.\d+)?)(?:\s*[-–—:=)]\s*(.*))?", re.S)
_NPS_LABELS = {"not at all likely": 0, "not likely at all": 0, "extremely likely": 10}
_CSAT_LABELS = {
    "very satisfied": 5,
    "extremely satisfied": 5,
    "completely satisfied": 5,
    "satisfied": 4,
    "somewhat satisfied": 4,
    "mostly satisfied": 4,
    "neutral": 3,
    "neither satisfied nor dissatisfied": 3,
    "neither satisfied or dissatisfied": 3,
    "somewhat dissatisfied": 2,
    "somewhat unsatisfied": 2,
    "dissatisfied": 2,
    "unsatisfied": 2,
    "very dissatisfied": 1,
    "very unsatisfied": 1,
    "extremely dissatisfied": 1,
    "completely dissatisfied": 1,
    "sehr zufrieden": 5,
    "zufrieden": 4,
    "unzufrieden": 2,
    "sehr unzufrieden": 1,
    "muy satisfecho": 5,
    "satisfecho": 4,
    "insatisfecho": 2,
    "muy insatisfecho": 1,
    "très satisfait": 5,
    "satisfait": 4,
    "insatisfait": 2,
    "très insatisfait": 1,
}
_CES_LABELS = {
    "strongly disagree": 1,
    "disagree": 2,
    "somewhat disagree": 3,
    "neither agree nor disagree": 4,
    "neutral": 4,
    "somewhat agree": 5,
    "agree": 6,
    "strongly agree": 7,
    "very difficult": 1,
    "difficult": 2,
    "somewhat difficult": 3,
    "neither easy nor difficult": 4,
    "somewhat easy": 5,
    "easy": 6,
    "very easy": 7,
}

_SCORE_SCALES = {  # role → (noun in messages, lowest, highest, labels)
    Role.NPS: ("NPS", 0, 10, _NPS_LABELS),
    Role.CSAT: ("CSAT", 1, 5, _CSAT_LABELS),
    Role.CES: ("CES", 1, 7, _CES_LABELS),
}
_ZENDESK_SATISFACTION = {"good": 5, "bad": 1, "offered": None, "unoffered": None}
_INTERCOM_RATINGS = {"amazing": 5, "great": 4, "ok": 3, "okay": 3, "bad": 2, "terrible": 1}
