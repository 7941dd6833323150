"""Rules of tone that need no training: text normalisation, the fallback lexicon, and the plain
ask — a question or request that judges nothing.

The lexicon scores feedback until an organisation has enough rated comments to train on
(`insights.ml.sentiment`). The plain ask is the one thing ratings often cannot teach: survey
comments hardly ever ask how to do something, so a model trained on them has never seen a how-to
question and guesses from whatever it resembles (the requests inside complaints). `plain_ask`
recognises the texts that only ask, so that they are scored neutral when the model has not learnt
what such texts mean; the rule and its figures are in `insights.ml.sentiment`'s docstring.

A text is cut into units (lines, and sentences ending in ".", "!" or "?"). It is a plain ask when

- at least one unit asks: it holds a "?", opens as a request or a how-to question ("Could you …",
  "Please …", "How do I …", "Is there a way …", "Let us know …"), says "please", or says what the
  writer could not find ("I couldn't find it in the help centre", "not sure how …");
- every other unit is courtesy — a greeting ("Hi team,"), a closing ("Thanks, Ana", "Best
  regards") or a way to reach the writer ("You can reach me on [PHONE].") — and nothing else:
  a unit that states something ("Exports take 20 minutes.") leaves the text to the model;
- no unit judges: none holds a word of the lexicon (courtesy words such as "thanks", "kind" and
  "best" aside), a negation ("not", "can't", "never" — except in "I couldn't find it"), a word
  that signals a problem ("fix", "still", "again", "urgent", "unclear", "better", "too", "down"),
  a "why" or "how come" (a complaint put as a question), or "?!" and runs of "!!!".
"""

import math
import re

# --- normalisation ---------------------------------------------------------------------------

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_HANDLE = re.compile(r"@\w+")
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.-]+\b")
_NUMBER = re.compile(r"\b\d+(?:[.,:]\d+)*\b")
_ENTITIES = {"&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#39;": "'"}


def normalise(text: str) -> str:
    """Lower-cased text with e-mail addresses, URLs, @handles and numbers replaced by a
    placeholder: which airline or ticket number it names says nothing about its tone."""
    for entity, char in _ENTITIES.items():
        text = text.replace(entity, char)
    text = _EMAIL.sub(" email ", text)
    text = _URL.sub(" url ", text)
    text = _HANDLE.sub(" @user ", text)
    text = _NUMBER.sub(" 0 ", text)
    return " ".join(text.lower().split())


# --- the fallback lexicon ---------------------------------------------------------------------

_POSITIVE = {
    **dict.fromkeys(
        "good nice fine cool okay ok decent helpful useful easy smooth fast quick "
        "clean clear comfortable friendly polite kind works working fixed solved resolved "
        "recommend enjoy enjoyed like liked pleased glad happy satisfied improvement improved "
        "reliable intuitive simple affordable worth".split(),
        1.0,
    ),
    **dict.fromkeys(
        "great love loved loving awesome amazing excellent fantastic wonderful perfect best "
        "brilliant superb outstanding incredible impressive delighted thank thanks thx "
        "appreciate appreciated grateful kudos congrats congratulations".split(),
        2.0,
    ),
    **dict.fromkeys(":) :-) :d ;) <3 😀 😊 😍 👍 ❤️ 🙏".split(), 1.5),
}
_NEGATIVE = {
    **dict.fromkeys(
        "bad poor slow late delay delayed delays wait waiting waited lost missing missed "
        "cancel cancelled canceled cancellation problem problems issue issues bug bugs buggy "
        "broken crash crashes crashed error errors fail fails failed failure wrong confusing "
        "confused hard difficult expensive overpriced unhelpful annoying annoyed frustrating "
        "frustrated disappointed disappointing dirty rude stuck unable refund complaint "
        "complain sucks sorry unfortunately hate hated".split(),
        -1.0,
    ),
    **dict.fromkeys(
        "terrible awful horrible worst useless pathetic ridiculous disgusting unacceptable "
        "disgrace nightmare furious angry scam incompetent".split(),
        -2.0,
    ),
    **dict.fromkeys(":( :-( :/ 😡 😠 😞 😢 👎".split(), -1.5),
}
_LEXICON = {**_POSITIVE, **_NEGATIVE}
_NEGATIONS = frozenset(
    "not no never none nothing nobody neither nor without cannot cant dont doesnt didnt isnt "
    "wasnt arent werent wont wouldnt couldnt shouldnt havent hasnt hadnt aint".split()
)
_BOOSTERS = {
    "very": 1.5,
    "really": 1.5,
    "so": 1.4,
    "extremely": 1.8,
    "super": 1.5,
    "too": 1.3,
    "totally": 1.5,
    "absolutely": 1.6,
    "quite": 1.2,
    "slightly": 0.5,
    "somewhat": 0.6,
    "bit": 0.6,
}
# A negated word keeps a fraction of its weight, reversed: "not bad" is mildly good, "not good"
# mildly bad (as in VADER).
_NEGATION_FACTOR = -0.6
_NEGATION_SCOPE = 3
# "but" shifts the weight onto what follows it.
_BEFORE_BUT, _AFTER_BUT = 0.5, 1.5
_NEUTRAL_BAND = 0.2
_TOKEN = re.compile(r"[:;][-']?[()dp/]|<3|[^\W\d_]+(?:'[a-z]+)?|[^\w\s]", re.IGNORECASE)


def lexicon_score(text: str) -> float:
    """The fallback's score in −1…1: lexicon weights with negation, boosters and "but"."""
    pieces = [p.replace("'", "") for p in _TOKEN.findall(normalise(text))]
    total = 0.0
    after_but = False
    negated_for = 0
    boost = 1.0
    for piece in pieces:
        if piece in _NEGATIONS:
            negated_for = _NEGATION_SCOPE
            continue
        if piece in {".", "!", "?", ";", ",", "but"}:
            negated_for = 0
            boost = 1.0
            if piece == "but":
                total *= _BEFORE_BUT
                after_but = True
            continue
        if piece in _BOOSTERS:
            boost *= _BOOSTERS[piece]
            continue
        value = _LEXICON.get(piece)
        if value is not None:
            value *= boost * (_AFTER_BUT if after_but else 1.0)
            if negated_for:
                value *= _NEGATION_FACTOR
            total += value
            boost = 1.0
        if negated_for:
            negated_for -= 1
    if "!" in pieces:
        total *= 1.2
    return math.tanh(total / 2)


def label_from_score(score: float) -> str:
    """The fallback's label: neutral within ±0.2."""
    if score <= -_NEUTRAL_BAND:
        return "negative"
    if score >= _NEUTRAL_BAND:
        return "positive"
    return "neutral"


# --- the plain ask ----------------------------------------------------------------------------

_UNIT = re.compile(r"\n+|(?<=[.!?])\s+")
_GREETING = re.compile(
    r"(?i:hi|hello|hey|hiya|dear|greetings|good[^\S\n]+(?:morning|afternoon|evening|day))\b"
    r"(?:[^\S\n]+[\w'’.&@/\[\]-]+){0,3}[^\S\n]*[,!:.;-]*"
)
# A greeting that opens a sentence: "Good morning, could you …".
_GREETING_OPENING = re.compile(
    r"(?i:hi|hello|hey|hiya|good[^\S\n]+(?:morning|afternoon|evening|day))\b[^\S\n]*[,!:;-]+"
)
_CLOSING = re.compile(
    r"(?i:thanks|thank[^\S\n]+you|thx|ty|tia|many[^\S\n]+thanks|cheers|regards|best|sincerely"
    r"|cordially|(?:best|kind|warm|warmest)[^\S\n]+(?:regards|wishes)|all[^\S\n]+the[^\S\n]+best"
    r"|have[^\S\n]+a[^\S\n]+(?:nice|good|great)[^\S\n]+(?:day|weekend))"
    r"(?i:[^\S\n]+(?:in[^\S\n]+advance|again|a[^\S\n]+lot|so[^\S\n]+much|very[^\S\n]+much"
    r"|for[^\S\n]+(?:your|the|all[^\S\n]+your)[^\S\n]+(?:help|time|assistance|support)))?"
    r"[\s,.!:)-]*(?:\[NAME\]|[A-Z][\w'’.-]*(?:[^\S\n]+[A-Z][\w'’.-]*)?)?[\s.!]*"
)
_CONTACT = re.compile(
    r"\[(?:PHONE|EMAIL)\]|\b(?:reach|call|contact|e-?mail|text|ring)[^\S\n]+(?:me|us)\b"
    r"|\breply[^\S\n]+to\b",
    re.IGNORECASE,
)
# How a question or request opens when its writer left out the "?".
_ASK_OPENING = re.compile(
    r"(?:please|kindly|(?:can|could|would|will)\s+(?:you|someone|somebody|anyone|i|we)"
    r"|may\s+(?:i|we)|how\s+(?:do|can|should|would)\s+(?:i|we)|how\s+to"
    r"|where\s+(?:do|can)\s+(?:i|we)|is\s+there\s+a\s+way|is\s+it\s+possible"
    r"|(?:i|we)(?:'d|’d|\s+would)\s+like\s+to\s+know|let\s+(?:me|us)\s+know"
    r"|any\s+(?:idea|way|tips?))\b",
    re.IGNORECASE,
)
_PLEASE = re.compile(r"\b(?:please|pls|plz)\b", re.IGNORECASE)
# What the writer could not find is a question put as a statement ("I couldn't find it in the
# help centre"); what the product could not find is a complaint ("search can't find anything").
_NOT_FOUND = re.compile(
    r"\b(?:i|we)\s+(?:could\s*n[o'’]?t|can\s*n[o'’]?t|cannot|did\s*n[o'’]?t|do\s*n[o'’]?t)"
    r"\s+(?:find|see|locate|figure\s+out|work\s+out)\s+(?:it|this|that|how|where|which|what|out"
    r"|anything|any|the\s+(?:option|setting|settings|button|page|menu|place|answer|article))\b"
    r"|\bnot\s+sure\s+(?:how|where|what|which|whether|if)\b",
    re.IGNORECASE,
)
_WOULD_LIKE = re.compile(r"\b(?:would|'d|’d)\s+like\b", re.IGNORECASE)
# A complaint put as a question, or said loudly.
_COMPLAINT = re.compile(
    r"\bwhy\b|\bhow\s+come\b|\b(?:any|no)\s+(?:more|longer)\b|n['’]t\b|\?!|!\?|!{3,}|\?{3,}",
    re.IGNORECASE,
)
# Words of the lexicon that are courtesy, not judgement, when someone asks for something.
_COURTESY_WORDS = frozenset("thank thanks thx appreciate appreciated grateful kind best".split())
_PROBLEM_WORDS = frozenset(
    "fix still again anymore urgent urgently asap unclear weird strange instead too better "
    "faster quicker down damn wtf crap crashing failing freezes freezing frozen hangs hanging "
    "timeout timeouts glitch loop lag lagging spam".split()
)
_JUDGING_WORDS = (frozenset(_LEXICON) - _COURTESY_WORDS) | _PROBLEM_WORDS | _NEGATIONS


# A closing line and up to three short lines after it (name, role, company) end a message.
_SIGNATURE = re.compile(rf"(?:^|\n)[^\S\n]*{_CLOSING.pattern}(?:\n[^\n]{{1,60}}){{0,3}}\s*$")


def text_units(text: str) -> list[str]:
    """Lines and sentences of `text`, stripped, empty ones left out, and without a closing line
    and the signature lines after it at its end."""
    signature = _SIGNATURE.search(text)
    if signature:
        text = text[: signature.start()]
    return [unit.strip() for unit in _UNIT.split(text) if unit and unit.strip()]


def unit_judges(unit: str) -> bool:
    """Whether a line or sentence holds a judgement: a lexicon word (courtesy aside), a negation,
    a problem word, a "why", or emphasis."""
    unit = _WOULD_LIKE.sub(" ", _NOT_FOUND.sub(" ", unit))
    if _COMPLAINT.search(unit):
        return True
    pieces = {piece.replace("'", "") for piece in _TOKEN.findall(normalise(unit))}
    return not pieces.isdisjoint(_JUDGING_WORDS)


def unit_asks(unit: str) -> bool:
    """Whether a line or sentence asks: a question, a request, or what the writer couldn't find."""
    return bool(
        "?" in unit or _ASK_OPENING.match(unit) or _PLEASE.search(unit) or _NOT_FOUND.search(unit)
    )


def unit_is_courtesy(unit: str) -> bool:
    """A greeting or a closing standing alone ("Hi team,", "Thanks in advance, Ana")."""
    return bool(_GREETING.fullmatch(unit) or _CLOSING.fullmatch(unit))


def without_courtesy(text: str) -> str:
    """`text` without its greeting, closing and signature ("Hi team," … "Thanks, Ana"): what the
    lexicon scores, since a polite frame is not praise. A text that is nothing but courtesy
    ("Thanks!") is returned whole: then the thanks is the message."""
    kept = []
    for unit in text_units(text):
        if unit_is_courtesy(unit):
            continue
        if opening := _GREETING_OPENING.match(unit):
            unit = unit[opening.end() :].strip()
        kept.append(unit)
    return " ".join(kept) if kept else text


def plain_ask(text: str) -> bool:
    """True when `text` asks (a question or a request) and judges nothing: every unit asks, is
    courtesy or gives a way to reach the writer, and none judges (the rule in the docstring)."""
    asked = False
    for unit in text_units(text):
        if unit_is_courtesy(unit):
            continue
        if opening := _GREETING_OPENING.match(unit):
            unit = unit[opening.end() :].strip()
        if unit_judges(unit):
            return False
        if _CONTACT.search(unit):
            continue
        if not unit_asks(unit):
            return False
        asked = True
    return asked
