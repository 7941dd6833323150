"""Text hygiene for feedback: normalise, guess the language, redact personal data.

Everything here is offline and rule-based, so results are reproducible and cheap to recompute:

- `text_normalize` cleans HTML, invisible characters and whitespace; for support tickets it also
  cuts quoted replies and signatures, falling back to the uncut text if the cut leaves nothing.
- `language_detect` scores function-word profiles (a word shared by several languages counts for
  each in proportion) plus a few letters typical of one language; it answers "" rather than guess.
- `redact` finds PII with regexes over the raw text, each candidate checked by a validator (Luhn for
  cards, mod-97 for IBANs, a cue word for accounts and bare phone numbers). Person names need
  context, so they come from spaCy `Matcher` patterns over the `spacy.blank("en")` tokenizer; the
  tokenizer only runs on texts that contain a name cue, which keeps `redact_many` fast. Overlapping
  candidates are resolved longest first, and spans are offsets into the original text.

Bump `REDACTION_VERSION` whenever a rule changes, so stored redactions can be recomputed.
"""

import functools
import html
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

REDACTION_VERSION = "1"

# ---------------------------------------------------------------------------------------------
# Normalisation

_INVISIBLE = re.compile(r"[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_HTML_HINT = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]*)?/?>|&#?\w+;|<!--")
_HTML_DROP = re.compile(r"<(script|style|head)\b[^>]*>.*?</\1\s*>|<!--.*?-->", re.I | re.S)
_HTML_BREAK = re.compile(r"<br\s*/?>", re.I)
_HTML_BLOCK = re.compile(
    r"</?(?:p|div|li|ul|ol|tr|table|h[1-6]|blockquote|section|article|pre)\b[^>]*>", re.I
)
# A tag must start with a letter and be followed by space, "/" or ">": "<ana@b.com>" survives.
_HTML_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]*)?/?>")
_SPACES = re.compile(r"[^\S\n]+")

_QUOTE_STARTS = (
    re.compile(r"^[ \t]*On\b[^\n]{0,250}(?:\n[^\n]{0,250})?\bwrote:[ \t]*$", re.M),
    re.compile(
        r"^[ \t]*(?:Am|Le|El|Em|Il|Op)\b[^\n]{0,250}(?:\n[^\n]{0,250})?"
        r"\b(?:schrieb|a écrit|escribió|escreveu|ha scritto|schreef)[^\n]{0,40}:[ \t]*$",
        re.M,
    ),
    re.compile(r"^[ \t]*-{2,}\s*(?:Original Message|Forwarded message)\s*-{2,}", re.M | re.I),
    re.compile(r"^[ \t]*From:[^\n]*\n(?:[^\n]*\n){0,2}?[ \t]*(?:Sent|Date):", re.M),
    re.compile(r"^[ \t]*_{10,}[ \t]*$", re.M),
)
_SIGNATURE_STARTS = (
    re.compile(r"^--[ \t]*$", re.M),
    re.compile(r"^[ \t]*(?:Sent from my \w+|Get Outlook for \w+)", re.M | re.I),
)
_QUOTED_LINE = re.compile(r"^[ \t]*>.*(?:\n|$)", re.M)
_CLOSING = (
    r"(?:(?:best|kind|warm|warmest|many)\s+(?:regards|wishes|thanks)|regards|thanks|thank you|"
    r"thanks again|cheers|best|sincerely|yours sincerely|yours truly|all the best|cordially|br)"
)
_CLOSING_LINE = re.compile(rf"^[ \t]*{_CLOSING}[ \t]*[,.!]?[ \t]*$", re.I)
# The closing word is matched case-insensitively, the name after it only when capitalised.
_CLOSING_WITH_NAME = re.compile(
    rf"^[ \t]*(?i:{_CLOSING})[ \t]*[,!-][ \t]*[A-Z][\w'.-]*(?:[ \t]+[A-Z][\w'.-]*){{0,2}}[ \t]*$"
)
_INLINE_SIGNOFF = re.compile(
    rf"(?<=[.!?])[ \t]+(?i:{_CLOSING})[ \t]*[,!-][ \t]*[A-Z][\w'.-]*(?:[ \t]+[A-Z][\w'.-]*)?[ \t]*$"
)
# A sign-off block is the closing line plus a few short lines (name, role, company, phone).
_SIGNOFF_TAIL_LINES = 4
_SIGNOFF_TAIL_WIDTH = 60


def _clean(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _HTML_HINT.search(text):
        text = _HTML_DROP.sub("", text)
        text = _HTML_BREAK.sub("\n", text)
        text = _HTML_BLOCK.sub("\n", text)
        text = _HTML_TAG.sub("", text)
        text = html.unescape(text)
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE.sub("", text).replace("\t", " ")
    return _CONTROL.sub("", text)


def _collapse(text: str) -> str:
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def _strip_signoff(text: str) -> str:
    lines = text.rstrip().split("\n")
    first_tail = max(0, len(lines) - 1 - _SIGNOFF_TAIL_LINES)
    for index in range(len(lines) - 1, first_tail - 1, -1):
        tail = lines[index + 1 :]
        if any(len(line.strip()) > _SIGNOFF_TAIL_WIDTH for line in tail):
            break
        line = lines[index]
        if _CLOSING_LINE.match(line) or (not tail and _CLOSING_WITH_NAME.match(line)):
            return "\n".join(lines[:index])
    return _INLINE_SIGNOFF.sub("", text)


def _strip_ticket(text: str) -> str:
    cuts = [m.start() for p in (*_QUOTE_STARTS, *_SIGNATURE_STARTS) if (m := p.search(text))]
    if cuts:
        text = text[: min(cuts)]
    text = _QUOTED_LINE.sub("", text)
    return _strip_signoff(text)


def text_normalize(text: str, *, source: str = "") -> str:
    """One feedback text cleaned for analysis; `source="support_ticket"` also drops quoted replies
    and signatures, unless that would leave nothing."""
    cleaned = _clean(text)
    if source == "support_ticket":
        stripped = _collapse(_strip_ticket(cleaned))
        if stripped:
            return stripped
    return _collapse(cleaned)


# ---------------------------------------------------------------------------------------------
# Language detection

_PROFILES = {
    "en": "the and is are was were to of in it that this for with on not have has but you my we "
    "they be can would could should will from what when there please very it's don't doesn't "
    "i'm can't just your our been an at do does i me if or any after since why how get",
    "de": "der die das und ist nicht ein eine ich wir sie es mit auf für von zu den dem des im "
    "auch aber bitte sehr wird kann können haben hat war sind nach wenn noch schon nur mein "
    "meine kein keine wie warum immer ab sich mich mir uns oder dass werden wurde seit bei aus",
    "fr": "le la les et est une un des du de je nous vous il elle pas ne que qui pour avec dans "
    "sur ce cette mais très plus mon ma mes ça c'est j'ai n'est au aux merci toujours quand "
    "sont été ai depuis encore aussi tout comme sans l' j' d' qu' n' c' m' s'",
    "es": "el la los las y es una un de que en por para con no se lo mi mis pero muy más como "
    "está esta este cuando tengo hay gracias también del al puedo siempre nuestro a desde ya "
    "todo hace porque sin sus ni",
    "nl": "de het een en is niet ik wij we je u van op met voor dat die maar ook zijn kan heb "
    "hebben wordt geen nog er bij naar als mijn graag altijd echt wel dit sinds steeds erg heel "
    "om te moet kunnen",
    "pt": "o a os as e é um uma de do da dos das que em no na não para com por mas muito mais "
    "meu minha eu nós você está isso como obrigado quando também sempre tem ao nos pelo pela "
    "seu sua já ainda foi são",
    "it": "il lo la i gli le e è un una di del della che in non per con ma molto più mio mia io "
    "noi sono questo questa quando anche grazie sempre ho ha nel alla da ci si mi perché ancora "
    "dopo dei delle nella sul l' dell' un' c'",
}
_WORD_WEIGHTS: dict[str, dict[str, float]] = {}
for _lang, _words in _PROFILES.items():
    for _word in set(_words.split()):
        _WORD_WEIGHTS.setdefault(_word, {})[_lang] = 1.0
for _word, _langs in _WORD_WEIGHTS.items():
    for _lang in _langs:
        # A word several languages share is weaker evidence for each of them.
        _langs[_lang] = 1.0 / len(_langs)

_LETTER_HINTS = {
    "de": "äöüß",
    "fr": "œëîû",
    "es": "ñ¿¡",
    "pt": "ãõ",
    "it": "ìò",
}
_LETTER_HINT_WEIGHT = 0.5
_LANGUAGE_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
_MIN_WORDS = 3
_MIN_SCORE = 1.5
_MIN_MARGIN = 0.5


def language_detect(text: str) -> str:
    """ISO 639-1 code of one of en, de, fr, es, nl, pt, it; "" when the evidence is too thin."""
    words = [w.replace("’", "'") for w in _LANGUAGE_WORD.findall(text.lower())]
    # French and Italian elide articles ("l'application"): the elided article is the evidence.
    words += [w[: w.index("'") + 1] for w in words if "'" in w]
    if len(words) < _MIN_WORDS:
        return ""
    scores = dict.fromkeys(_PROFILES, 0.0)
    for word in words:
        for lang, weight in _WORD_WEIGHTS.get(word, {}).items():
            scores[lang] += weight
    lowered = text.lower()
    for lang, letters in _LETTER_HINTS.items():
        if any(letter in lowered for letter in letters):
            scores[lang] += _LETTER_HINT_WEIGHT
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    (best, top), (_, runner_up) = ranked[0], ranked[1]
    if top < _MIN_SCORE or top - runner_up < _MIN_MARGIN:
        return ""
    return best


# ---------------------------------------------------------------------------------------------
# Redaction


@dataclass(frozen=True)
class Redaction:
    text: str
    spans: tuple[tuple[int, int, str], ...]  # (start, end, kind) in the original text


_EMAIL = re.compile(
    r"(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+"
    r"[A-Za-z]{2,}\b"
)
_URL = re.compile(r"(?:\bhttps?://|\bwww\.)[^\s<>\"'\[\]]+", re.I)
_URL_TRAILING = ".,;:!?)'\""
_URL_SECRET = re.compile(
    r"[?&#;](?:[\w-]*token|[\w-]*key|sig|signature|session|session_?id|sid|password|passwd|pwd|"
    r"pass|auth|code|secret|otp|jwt|credential)=[^&#\s]+"
    r"|://[^/\s@:]+:[^/\s@]+@"
    r"|/(?:reset|password[-_]reset|reset[-_]password|magic[-_]link|verify|confirm)[/\w-]*[/=?]\w",
    re.I,
)
_CARD = re.compile(r"(?<![\w.,-])\d(?:[ -]?\d){12,18}(?![\w-])(?![ .,]\d)")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
_ACCOUNT_CUE = (
    r"\b(?:(?:bank\s+)?account|acct|acc|a/c|customer|client|member(?:ship)?|contract|policy)"
    r"\.?\s{0,3}(?:number|num|no\.?|nr\.?|id|ref(?:erence)?|#)?\s{0,3}(?:is|was|:|#|=)?\s{0,3}"
    r"[#:]?\s{0,3}"
)
_ACCOUNT = re.compile(rf"(?i:{_ACCOUNT_CUE})(\d(?:[ -]?\d){{4,}})(?![\w-])")
_SORT_CODE = re.compile(
    r"(?i:\bsort\s?code\s{0,3}(?:is|:)?\s{0,3})(\d{2}[- ]?\d{2}[- ]?\d{2})(?![\w-])"
)
_PHONE_EDGE_BEFORE = r"(?<![\w+.,/:-])"
_PHONE_EDGE_AFTER = r"(?![\w/-])(?![ .,:]\d)"
_PHONE = re.compile(
    _PHONE_EDGE_BEFORE
    + r"(?:"
    # International: +CC, an optional (area), then groups of digits.
    + r"\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{2,4}){1,5}"
    # North American: (415) 555-0100, 415.555.0100, 1-800-555-0100.
    + r"|(?:1[ .-])?(?:\(\d{3}\) ?|\d{3}[ .-])\d{3}[ .-]\d{4}"
    # National with a trunk 0 and at least one separator: 020 7946 0958, 030 123456.
    + r"|\(?0\d{1,4}\)?[ -]\d{2,8}(?:[ -]\d{2,4}){0,3}"
    + r")"
    + _PHONE_EDGE_AFTER
)
_PHONE_CUED = re.compile(
    r"(?i:\b(?:phone|tel|telephone|mobile|cell|call me|call us|reach me|text me|whatsapp|fax)"
    r"\b\.?\s{0,3}(?:number|no\.?|#)?\s{0,3}(?:is|on|at|:)?\s{0,3})"
    r"(\+?\(?\d(?:[ ./()-]{0,2}\d){6,14})" + _PHONE_EDGE_AFTER
)
# Digit counts by first character: "+" international, "0"/"(0" national trunk, else North American.
_PHONE_DIGITS = {"+": (8, 15), "0": (9, 13), "(": (9, 13), "other": (10, 11)}

_DIGIT = re.compile(r"\d")

# Equal-length candidates: the more specific kind wins.
_PRIORITY = {"CARD": 0, "IBAN": 1, "EMAIL": 2, "URL": 3, "PHONE": 4, "ACCOUNT": 5, "NAME": 6}


def _luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _iban_ok(compact: str) -> bool:
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1


def _digit_count(text: str) -> int:
    return len(_DIGIT.findall(text))


def _pattern_spans(text: str) -> list[tuple[int, int, str]]:
    found: list[tuple[int, int, str]] = []
    if "@" in text:
        found += [(m.start(), m.end(), "EMAIL") for m in _EMAIL.finditer(text)]
    if "://" in text or "www." in text.lower():
        for match in _URL.finditer(text):
            url = match.group().rstrip(_URL_TRAILING)
            if _URL_SECRET.search(url):
                found.append((match.start(), match.start() + len(url), "URL"))
    if not _DIGIT.search(text):
        return found
    for match in _CARD.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if 13 <= len(digits) <= 19 and _luhn_ok(digits):
            found.append((match.start(), match.end(), "CARD"))
    for match in _IBAN.finditer(text):
        if _iban_ok(match.group().replace(" ", "")):
            found.append((match.start(), match.end(), "IBAN"))
    for pattern in (_ACCOUNT, _SORT_CODE):
        found += [(m.start(1), m.end(1), "ACCOUNT") for m in pattern.finditer(text)]
    for match in _PHONE.finditer(text):
        low, high = _PHONE_DIGITS.get(match.group()[0], _PHONE_DIGITS["other"])
        if low <= _digit_count(match.group()) <= high:
            found.append((match.start(), match.end(), "PHONE"))
    found += [(m.start(1), m.end(1), "PHONE") for m in _PHONE_CUED.finditer(text)]
    return found


# Capitalised words that follow a name cue but are not people.
_NOT_NAMES = frozenset(
    """
    hi hello hey dear thanks thank thx regards cheers best sincerely cordially kind warm many
    mr mrs ms dr miss mx sir madam madame team teams support customer customers client clients
    valued everyone everybody all there folks guys people friends colleagues world again anyway
    backlight admin admins sales billing help helpdesk service services staff crew devs
    developers engineering product products app apps dashboard manager managers management
    account accounts desk user users i we you he she they it this that the a an and or but so
    please sorry ok okay yes no also just hope in for to of on at with from mate gentlemen ladies
    monday tuesday wednesday thursday friday saturday sunday january february march april may
    june july august september october november december today tomorrow yesterday
    google apple microsoft slack salesforce zendesk jira excel chrome safari firefox windows
    android ios iphone mac outlook gmail zoom teams hubspot intercom stripe paypal
    unable frustrated happy glad sure new not confused disappointed annoyed angry upset tired
    unhappy satisfied impressed stuck lost done back able afraid aware curious still very really
    using currently trying having getting looking writing reaching contacting fine good great
    pleased sick fed here well now going
    """.split()
)
_NAME_WORD = re.compile(r"^(?:[A-Z][a-zà-öø-ÿ]+|[A-Z][a-z]?['’][A-Z][a-z]+|Mc[A-Z][a-z]+)$")
_NAME_TOKEN = {
    "TEXT": {"REGEX": _NAME_WORD.pattern},
    "LOWER": {"NOT_IN": sorted(_NOT_NAMES)},
}
_SURNAME_TOKEN = {**_NAME_TOKEN, "OP": "?"}
_GREETINGS = ["hi", "hello", "hey", "dear"]
_SIGNOFFS = ["thanks", "thx", "regards", "cheers", "best", "sincerely", "cordially", "rgds"]
_TITLES = ["Mr", "Mr.", "Mrs", "Mrs.", "Ms", "Ms.", "Dr", "Dr.", "Miss", "Mx", "Mx."]
_NAME_PATTERNS = {
    "INTRO": [
        [{"LOWER": "my"}, {"LOWER": "name"}, {"LOWER": {"IN": ["is", "'s"]}}],
        [{"LOWER": "name"}, {"LOWER": ":"}],
    ],
    "IM": [[{"LOWER": "i"}, {"LOWER": {"IN": ["'m", "’m", "am"]}}]],
    "THIS_IS": [[{"LOWER": "this"}, {"LOWER": {"IN": ["is", "'s"]}}]],
    "GREETING": [[{"LOWER": {"IN": _GREETINGS}}, {"ORTH": ",", "OP": "?"}]],
    "SIGNOFF": [
        [
            {"LOWER": {"IN": _SIGNOFFS}},
            {"ORTH": {"IN": [",", "!", "-"]}},
            {"IS_SPACE": True, "OP": "?"},
        ],
        [{"LOWER": {"IN": _SIGNOFFS}}, {"IS_SPACE": True, "TEXT": {"REGEX": "\n"}}],
        [
            {"LOWER": "thank"},
            {"LOWER": "you"},
            {"ORTH": {"IN": [",", "!"]}},
            {"IS_SPACE": True, "OP": "?"},
        ],
    ],
    "TITLE": [[{"ORTH": {"IN": _TITLES}}]],
    "CONTACT": [
        [{"LOWER": {"IN": ["contact", "cc"]}}],
        [{"LOWER": "ask"}, {"LOWER": "for"}],
        [
            {"LOWER": {"IN": ["speak", "spoke", "talk", "talked", "spoken", "reach"]}},
            {"LOWER": "out", "OP": "?"},
            {"LOWER": {"IN": ["to", "with"]}},
        ],
    ],
}
# Cheap pre-check before tokenising: a cue word, at most two lowercase words, then a capital.
_NAME_CUE = re.compile(
    r"(?i:\b(?:name|i['’]m|i am|this is|this's|hi|hello|hey|dear|thanks|thx|regards|cheers|best|"
    r"sincerely|cordially|rgds|thank|mrs?|ms|dr|miss|mx|contact|cc|ask|speak|spoke|spoken|talk|"
    r"talked|reach)\b)[^A-Za-z]{0,4}(?:[a-z'’]+[^A-Za-z]{1,3}){0,2}[A-Z][a-zà-öø-ÿ]"
)
_AFTER_IM = frozenset({",", ".", "!", ";", "-", "(", "from", "and", "here", "at", "with", "of"})
_AFTER_THIS_IS = frozenset({",", ".", "!", "-", "from", "at", "with", "here", "of"})
_AFTER_SIGNOFF = frozenset({".", "!"})
_AFTER_GREETING = frozenset({",", "!", ":", "-", "—"})
_NAME_BATCH = 1000


@functools.cache
def _name_matcher():
    import spacy
    from spacy.matcher import Matcher

    nlp = spacy.blank("en")
    matcher = Matcher(nlp.vocab)
    for label, cues in _NAME_PATTERNS.items():
        patterns = [[*cue, _NAME_TOKEN, _SURNAME_TOKEN, _SURNAME_TOKEN] for cue in cues]
        matcher.add(label, patterns, greedy="LONGEST")
    return nlp, matcher


def _is_name(token) -> bool:
    return token.lower_ not in _NOT_NAMES and bool(_NAME_WORD.match(token.text))


def _at_line_start(doc, index: int) -> bool:
    if index == 0:
        return True
    before = doc[index - 1]
    return before.is_space and (index == 1 or "\n" in before.text)


def _followed_by(doc, end: int, allowed: frozenset[str]) -> bool:
    if end >= len(doc):
        return True
    after = doc[end]
    return (after.is_space and "\n" in after.text) or after.lower_ in allowed


def _name_spans(doc, matcher) -> list[tuple[int, int, str]]:
    found = []
    for match_id, start, end in matcher(doc):
        label = doc.vocab.strings[match_id]
        # The pattern ends in up to three name words; the cue never looks like a name.
        name_start = end - 1
        while name_start - 1 > start and end - name_start < 3 and _is_name(doc[name_start - 1]):
            name_start -= 1
        first = doc[name_start].lower_
        if label == "IM" and (
            not _followed_by(doc, end, _AFTER_IM) or first.endswith(("ed", "ing", "ly"))
        ):
            continue
        if label == "THIS_IS" and not _followed_by(doc, end, _AFTER_THIS_IS):
            continue
        if label == "GREETING" and not (
            _at_line_start(doc, start)
            and (doc[start].lower_ == "dear" or _followed_by(doc, end, _AFTER_GREETING))
        ):
            continue
        if label == "SIGNOFF" and not _followed_by(doc, end, _AFTER_SIGNOFF):
            continue
        span = doc[name_start:end]
        found.append((span.start_char, span.end_char, "NAME"))
    return found


def _resolve(candidates: list[tuple[int, int, str]]) -> tuple[tuple[int, int, str], ...]:
    chosen: list[tuple[int, int, str]] = []
    ranked = sorted(candidates, key=lambda c: (c[0] - c[1], _PRIORITY[c[2]], c[0]))
    for start, end, kind in ranked:
        if all(end <= s or start >= e for s, e, _ in chosen):
            chosen.append((start, end, kind))
    return tuple(sorted(chosen))


def _apply(text: str, candidates: list[tuple[int, int, str]]) -> Redaction:
    spans = _resolve(candidates)
    pieces, cursor = [], 0
    for start, end, kind in spans:
        pieces += [text[cursor:start], f"[{kind}]"]
        cursor = end
    pieces.append(text[cursor:])
    return Redaction(text="".join(pieces), spans=spans)


def redact(text: str) -> Redaction:
    """`text` with personal data replaced by [EMAIL], [PHONE], [CARD], [IBAN], [ACCOUNT], [URL]
    or [NAME]; spans point into the original text."""
    return redact_many([text])[0]


def redact_many(texts: Sequence[str]) -> list[Redaction]:
    """`redact` for many texts: the tokenizer runs, batched, only on texts with a name cue."""
    candidates = [_pattern_spans(text) for text in texts]
    cued = [index for index, text in enumerate(texts) if _NAME_CUE.search(text)]
    if cued:
        nlp, matcher = _name_matcher()
        docs = nlp.pipe((texts[index] for index in cued), batch_size=_NAME_BATCH)
        for index, doc in zip(cued, docs, strict=True):
            candidates[index] += _name_spans(doc, matcher)
    return [_apply(text, found) for text, found in zip(texts, candidates, strict=True)]
