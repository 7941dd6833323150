"""The text that themes are clustered on: feedback with who-was-addressed masked out.

On short real-world complaints, an embedding of the raw text knows above all whom it was sent to:
"@united lost my bag" sits nearer to "@united the wifi is down" than to "@USAirways lost my bag".
Themes then follow the addressee, not the problem. So before embedding for clustering (never in
the text shown to anyone) this module removes what says who wrote to whom:

- @handles, URLs, e-mail addresses and the redactor's placeholders ("[EMAIL]", "[NAME]" …);
- a greeting at the start ("Hi team,", "Hello Acme support,", "Dear Sir/Madam"), a sign-off at
  the end ("Thanks, John", "Best regards\\nJane Doe\\nAcme Inc", "Sent from my iPhone"), quoted
  replies and ticket footers ("-----Original Message-----", "On Mon, … wrote:", "Ticket #12345",
  "This email and any attachments are confidential…");
- the corpus's own names: words that behave like a company, product or brand name *in this
  corpus* (`corpus_names`), and #hashtags of them.

`corpus_names` keeps a word when all three of these hold (figures for the negative airline tweets
and banking77 are in bench/RESULTS.md, "Themes: noisy text masking"):

1. Frequent: in at least `min_share` (1 %) of the texts and at least `min_texts` (5) of them.
2. Name-like: written as an @handle in at least half of the texts that contain it ("@united",
   "@JetBlue"); or, for a word that is not ordinary English (spaCy's English log-probability at
   most -12 — about the 7,000th lower-case word — or not in its table at all; not a stop word),
   capitalised in at least 80 % of its mid-sentence uses ("Acme") or written as a #hashtag in at
   least half of its texts.
3. Spread evenly: it occurs whatever the topic. The texts that contain it are hardly more alike
   than the corpus as a whole: their mean pairwise TF-IDF cosine, compared on what they say
   (greetings, sign-offs and footers masked, the word itself left out), is at most
   `max_cohesion` (1.3) times the corpus's. On the negative airline tweets the six airline
   handles score 0.62-0.90 and the name-like words that are not names 1.8-7.9 ("JFK" 1.82, "DFW"
   3.0, the data set's "Flightled" 5.4); topical words, never name-like anyway, score above 1.1
   ("bag" 1.13, "luggage" 1.25, "delayed" 1.64, "refund" 1.70). On banking77 the brands are
   topics and score far above ("Visa" 10.6, "Apple" 11.5, "Mastercard" 15.3); on banking77
   dressed as e-mail to five banks, the banks score 0.91-1.05.

Each name also brings the capitalised phrases that spell it in the corpus, with or without a
company word such as "Airlines" or "Inc" ("US Airways", "Virgin America", "Southwest Airlines"
for "usairways", "virginamerica", "southwestair"); a one-word spelling only when it is not
ordinary English ("Southwest", not "American"). Everything is deterministic: no sampling by
chance, only every k-th text when a corpus is large.

New feedback between two full runs must be masked with the names of the last full run
(`text_for_clustering(text, names=stored_names)`), so that it lands in the same space.
Bump `MASKING_VERSION` whenever a rule changes: masked texts and their vectors are then stale.
"""

import functools
import gzip
import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import chain
from pathlib import Path

import numpy as np

MASKING_VERSION = "1"

MIN_SHARE = 0.01
MIN_TEXTS = 5
# A word written as an @handle in at least this share of the texts that contain it is a name.
HANDLE_SHARE = 0.5
# A word that is not ordinary English and is capitalised in at least this share of its
# mid-sentence uses (seen at least MIN_TEXTS times there) is name-like.
CAPITALISED_SHARE = 0.8
# spaCy's English unigram log-probabilities: above this a word is ordinary English. -12 is about
# the 10,000th most frequent lower-case word; "luggage" (-13.0) counts as rare, "united" (-10.1),
# "card" (-9.0) as ordinary.
ENGLISH_LOGPROB = -12.0
# Only words above this log-probability are kept in memory; the table's floor is about -19.5.
_ENGLISH_TABLE_FLOOR = -15.0
MAX_COHESION = 1.3
# Cohesion is estimated on at most this many texts (every k-th one, deterministically).
COHESION_SAMPLE = 20_000
# A candidate needs this many texts in the cohesion sample to be judged at all.
_COHESION_MIN_TEXTS = 5
# A handle may end in one of these ("acmesupport", "southwestair"); what comes before is the stem
# that a plain spelling of the name may use ("Acme", "Southwest").
HANDLE_ENDINGS = (
    "airlines",
    "airline",
    "airways",
    "air",
    "inc",
    "ltd",
    "llc",
    "corp",
    "co",
    "company",
    "group",
    "app",
    "support",
    "help",
    "team",
    "official",
    "hq",
    "care",
    "cares",
    "uk",
    "us",
)
# Company words that may follow a name in its spelling ("Southwest Airlines", "Acme Inc"); words
# such as "app" or "support" are not among them, because they say what the text is about.
COMPANY_WORDS = ("airlines", "airline", "airways", "air", "inc", "ltd", "llc", "corp", "co")
_STEM_MIN_LENGTH = 4

# ---------------------------------------------------------------------------------------------
# Masking rules

_WS = r"[^\S\n]"
_EMAIL = re.compile(r"(?<![\w.%+-])[\w.%+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}\b")
_URL = re.compile(
    r"(?i:\bhttps?://\S+|\bwww\.\S+|\b(?:[a-z0-9-]+\.)+(?:com|net|org|io|co|ly|gl|me|to)/\S*)"
)
_HANDLE = re.compile(r"(?<![\w.@])@\w+")
# The redactor's placeholders (insights.ml.text.redact); the test checks every kind it writes.
_PLACEHOLDER = re.compile(r"\[(?:EMAIL|PHONE|CARD|IBAN|ACCOUNT|URL|NAME)\]")
_TICKET_REF = re.compile(
    r"(?i:\[?\b(?:ticket|case|request|incident|ref(?:erence)?|conversation)[^\S\n]*"
    r"(?:#[^\S\n]*\d{2,}|(?:(?:no\.?|number|id)[^\S\n]*)?:?[^\S\n]*[a-z]{0,4}-?\d{4,})\b\]?)"
)
# Where quoted replies, forwarded mail, signatures and footers begin: everything after goes.
_CUT = re.compile(
    r"^[ \t]*On\b[^\n]{0,250}(?:\n[^\n]{0,250})?\bwrote:[ \t]*$"
    r"|^[ \t]*-{2,}[ \t]*(?i:original message|forwarded message)[ \t]*-{2,}"
    r"|^[ \t]*From:[^\n]*\n(?:[^\n]*\n){0,2}?[ \t]*(?:Sent|Date):"
    r"|^[ \t]*_{10,}[ \t]*$"
    r"|^--[ \t]*$"
    r"|^[ \t]*>"
    r"|(?:^[ \t]*|(?<=[.!?])[ \t]+)(?i:sent from my \w+|get outlook for \w+)"
    r"|(?i:\bthis[^\S\n]+(?:e-?mail|message|communication)(?:[^\S\n]+and[^\S\n]+any"
    r"[^\S\n]+(?:attachments?|files?)(?:[^\S\n]+transmitted[^\S\n]+with[^\S\n]+it)?)?"
    r"[^\S\n]+(?:is|are|may[^\S\n]+(?:be|contain)|contains?)[^\S\n]+(?:strictly[^\S\n]+)?"
    r"(?:confidential|privileged|intended[^\S\n]+(?:solely|only)))"
    r"|(?i:\b(?:confidentiality[^\S\n]+notice|disclaimer)[^\S\n]*:)"
    r"|(?i:\bplease[^\S\n]+consider[^\S\n]+the[^\S\n]+environment)"
    r"|(?i:\byou[^\S\n]+(?:are[^\S\n]+receiving|received)[^\S\n]+this[^\S\n]+"
    r"(?:e-?mail|message)[^\S\n]+because)"
    r"|(?i:^[^\n]*(?:type|reply|write)[^\S\n]+(?:your[^\S\n]+)?(?:reply|response)"
    r"[^\S\n]+above[^\S\n]+this[^\S\n]+line)",
    re.M,
)

_GREETING_WORD = (
    r"(?i:hi|hello|hey|hiya|howdy|dear|greetings|good[^\S\n]+(?:morning|afternoon|evening|day)"
    r"|to[^\S\n]+whom[^\S\n]+it[^\S\n]+may[^\S\n]+concern)"
)
# Words that can stand after a greeting as (part of) the addressee.
_ADDRESSEE_WORD = (
    r"(?i:team|support|there|all|everyone|everybody|guys|folks|friends|sirs?|madam|mate|customer"
    r"|service|services|care|helpdesk|help|desk|and|or|the|to|of)"
)
# Capitalised words that start the message itself rather than name its addressee.
_NOT_ADDRESSEE = (
    r"(?:I|I'm|I've|I'd|I'll|Im|My|Me|We|We're|Our|Us|You|Your|You're|The|This|That|It|It's|Its"
    r"|Is|Are|Was|Can|Could|Would|Will|Please|What|Why|How|When|Where|Who|Do|Does|Did|Just|So"
    r"|Thanks|Thank|Any|Has|Have|Had|Not|No|Yes|Since|After|Still|Again)\b"
)
_ADDRESSEE = (
    rf"(?:@\w+|\[NAME\]|{_ADDRESSEE_WORD}\b|(?!{_NOT_ADDRESSEE})[A-Z][\w'’.&-]*(?:/[A-Z]\w*)?)"
)
# "Hi team," / "Hello Acme support," / "Dear Sir/Madam": greeting, up to four addressee words,
# then punctuation or the end of the line. Without punctuation only the greeting itself and one
# obvious addressee go ("Hi there my card …"), never a capitalised word that may be content.
_GREETING = re.compile(
    rf"^{_GREETING_WORD}\b,?(?:{_WS}+{_ADDRESSEE}){{0,4}}{_WS}*(?:[,!:;.\-–—]+|(?=\n)|$)"
    rf"|^{_GREETING_WORD}\b(?:{_WS}+(?:@\w+|\[NAME\]|(?i:there|team|all|everyone|guys|folks)\b))?"
)
_CLOSING = (
    r"(?i:thanks|thank[^\S\n]+you|thx|thnx|ty|tia|cheers|regards|best|sincerely|cordially"
    r"|(?:best|kind|warm|warmest|many)[^\S\n]+(?:regards|wishes|thanks)|all[^\S\n]+the[^\S\n]+best"
    r"|yours[^\S\n]+(?:sincerely|truly|faithfully)|thanks[^\S\n]+again|many[^\S\n]+thanks"
    r"|have[^\S\n]+a[^\S\n]+(?:nice|good|great)[^\S\n]+day"
    r"|(?:i[^\S\n]+)?look(?:ing)?[^\S\n]+forward[^\S\n]+to[^\S\n]+(?:your[^\S\n]+reply"
    r"|hearing[^\S\n]+from[^\S\n]+you))"
)
_CLOSING_TAIL = (
    r"(?i:[^\S\n]+(?:in[^\S\n]+advance|again|a[^\S\n]+lot|so[^\S\n]+much|very[^\S\n]+much"
    r"|for[^\S\n]+(?:your|the|all[^\S\n]+your)[^\S\n]+(?:help|time|assistance|support"
    r"|understanding|attention)))?"
)
_SIGNER = r"(?:\[NAME\]|[A-Z][\w'’.&-]*(?:[^\S\n]+[A-Z][\w'’.&-]*){0,2})"
# A closing as the last sentence: "… Thanks!", "… Thanks in advance, John", "Best regards\nJane
# Doe\nAcme Inc" (the closing line, then at most three short lines of name, role and company).
_SIGNOFF = re.compile(
    rf"(?:^|(?<=[.!?,;:)\n]))\s*{_CLOSING}{_CLOSING_TAIL}[\s,.!\-–—:)]*"
    rf"(?:{_SIGNER})?[ \t.!]*(?:\n[^\n]{{1,60}}){{0,3}}\s*$"
)
# Cheap gates, checked on the lower-cased text before the costlier patterns run.
_CUT_HINTS = (
    "wrote:",
    "--",
    "from:",
    "__",
    ">",
    "sent from my",
    "outlook for",
    "confidential",
    "privileged",
    "disclaimer",
    "environment",
    "receiv",
    "above this line",
)
_SIGNOFF_HINTS = (
    "thank",
    "thx",
    "thnx",
    "ty",
    "tia",
    "cheers",
    "regards",
    "best",
    "sincerely",
    "cordially",
    "yours",
    "day",
    "forward",
)
_TICKET_HINTS = ("ticket", "case", "request", "incident", "ref", "conversation")
_LETTER = re.compile(r"[^\W\d_]")
_SPACE_BEFORE_PUNCT = re.compile(r" ([,.!?;:])(?= |$)")
_LEADING_PUNCT = re.compile(r"^[\s,.;:!?\-–—|/]+")
_TRAILING_PUNCT = re.compile(r"[\s,;:\-–—|/]+$")
_EMPTY_BRACKETS = re.compile(r"\(\s*\)|\[\s*\]")


def text_for_clustering(text: str, *, names: frozenset[str] = frozenset()) -> str:
    """`text` as it is embedded for clustering: handles, URLs, e-mails, placeholders, greeting,
    sign-off, quoted reply, ticket footer and the corpus `names` removed, whitespace collapsed.
    Never empty when `text` had words: if masking leaves none, the text with only handles, URLs,
    e-mails and placeholders removed, or else the text itself (collapsed), is returned."""
    masked = _mask(text, names)
    if _LETTER.search(masked):
        return masked
    bare = _tidy(_strip_addresses(text))
    if _LETTER.search(bare):
        return bare
    return " ".join(text.split())


def texts_for_clustering(texts: Sequence[str]) -> tuple[list[str], frozenset[str]]:
    """Each text masked for clustering, and the corpus names that were masked (store them: new
    feedback until the next full run is masked with the same names)."""
    names = corpus_names(texts)
    return [text_for_clustering(text, names=names) for text in texts], names


def _strip_addresses(text: str, *, placeholders: bool = True, handles: bool = True) -> str:
    if "@" in text:
        text = _EMAIL.sub(" ", text)
        if handles:
            text = _HANDLE.sub(" ", text)
    if "/" in text or "www." in text:
        text = _URL.sub(" ", text)
    if placeholders and "[" in text:
        text = _PLACEHOLDER.sub(" ", text)
    return text


def _mask(text: str, names: frozenset[str], *, handles: bool = True) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lowered = text.lower()
    if any(hint in lowered for hint in _CUT_HINTS):
        cut = _CUT.search(text)
        if cut and _LETTER.search(text[: cut.start()]):
            text = text[: cut.start()]
    # "[NAME]" stays until greeting and sign-off are gone: "Dear [NAME]," and "Thanks, [NAME]".
    text = _strip_addresses(text, placeholders=False, handles=handles)
    if any(hint in lowered for hint in _TICKET_HINTS):
        text = _TICKET_REF.sub(" ", text)
    text = _strip_greeting(text)
    if any(hint in lowered for hint in _SIGNOFF_HINTS):
        # Twice: "… Thanks! Cheers, John" holds two closings.
        for _ in range(2):
            stripped = _SIGNOFF.sub("", text.rstrip())
            if stripped == text.rstrip():
                break
            text = stripped
    if "[" in text:
        text = _PLACEHOLDER.sub(" ", text)
    if names:
        text = _names_pattern(names).sub(" ", text)
    return _tidy(text)


def _strip_greeting(text: str) -> str:
    start = _LEADING_PUNCT.match(text)
    body = text[start.end() :] if start else text
    greeting = _GREETING.match(body)
    return body[greeting.end() :] if greeting else text


def _tidy(text: str) -> str:
    if "(" in text or "[" in text:
        text = _EMPTY_BRACKETS.sub(" ", text)
    text = " ".join(text.split())
    if " " in text:
        text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)
    return _TRAILING_PUNCT.sub("", _LEADING_PUNCT.sub("", text))


@functools.lru_cache(maxsize=16)
def _names_pattern(names: frozenset[str]) -> re.Pattern[str]:
    # Longest first, so "virgin america" wins over a shorter name inside it.
    spellings = sorted(names, key=lambda name: (-len(name), name))
    alternatives = "|".join(r"\s+".join(map(re.escape, name.split())) for name in spellings)
    return re.compile(rf"(?<![\w@#])#?(?:{alternatives})(?:['’]s)?(?!\w)", re.I)


# ---------------------------------------------------------------------------------------------
# Corpus names

_WORD = re.compile(r"[^\W\d_][\w'’]*")
_HANDLE_WORD = re.compile(r"(?<![\w.@])@([^\W\d_]\w*)")
_TAG_WORD = re.compile(r"(?<![\w&])#([^\W\d_]\w*)")
_LEADING_HANDLES = re.compile(r"^(?:\s*[@#]\w+[:,]?)+\s*")
# A word in the middle of a sentence: after a letter, digit, comma, semicolon or bracket and one
# space. Capitalisation there says "proper noun"; at a sentence start it says nothing.
_MID_WORD = re.compile(r"(?<=[\w,;)] )[^\W\d_][\w'’]*")
_MID_CAPITALISED = re.compile(r"(?<=[\w,;)] )[A-ZÀ-ÖØ-Þ][\w'’]*")
_CAPITALISED_RUN = re.compile(r"(?<![\w@#])[A-Z][\w'’&-]*(?:[^\S\n]+[A-Z][\w'’&-]*){0,3}")


def corpus_names(
    texts: Sequence[str],
    *,
    min_share: float = MIN_SHARE,
    min_texts: int = MIN_TEXTS,
    max_cohesion: float = MAX_COHESION,
    english_logprob: float = ENGLISH_LOGPROB,
) -> frozenset[str]:
    """Lower-case words and short phrases that behave like company, product or brand names in
    `texts`: frequent, name-like and spread evenly over topics (the rule is in the module's
    docstring)."""
    n = len(texts)
    if n == 0:
        return frozenset()
    floor = max(min_texts, int(np.ceil(min_share * n)))
    lowered = [text.lower() for text in texts]
    texts_with = Counter(chain.from_iterable(set(_WORD.findall(text)) for text in lowered))
    handle_texts = Counter(
        chain.from_iterable(set(_HANDLE_WORD.findall(text)) for text in lowered if "@" in text)
    )
    tag_texts = Counter(
        chain.from_iterable(set(_TAG_WORD.findall(text)) for text in lowered if "#" in text)
    )
    # Capitalisation of mid-sentence words; leading handles are dropped first ("@united Your
    # flight …" starts a sentence at "Your"), and an all-capitals text says nothing.
    bodies = [
        _LEADING_HANDLES.sub("", text) if "@" in text or "#" in text else text for text in texts
    ]
    bodies = [body for body in bodies if not body.isupper()]
    mid_uses = Counter(chain.from_iterable(_MID_WORD.findall(body.lower()) for body in bodies))
    mid_capitalised = Counter(
        word.lower() for body in bodies for word in _MID_CAPITALISED.findall(body)
    )

    frequent = [word for word, count in texts_with.items() if count >= floor]
    candidates = []
    for word in frequent:
        count = texts_with[word]
        if handle_texts[word] >= HANDLE_SHARE * count:
            candidates.append(word)
            continue
        if word in _stop_words() or _english_logprob(word) > english_logprob:
            continue
        uses = mid_uses[word]
        capitalised = uses >= min_texts and mid_capitalised[word] >= CAPITALISED_SHARE * uses
        if capitalised or tag_texts[word] >= HANDLE_SHARE * count:
            candidates.append(word)
    if not candidates:
        return frozenset()
    cohesion = _cohesion(texts, candidates)
    names = {word for word in candidates if cohesion.get(word, np.inf) <= max_cohesion}
    return frozenset(names | _spellings(texts, names, min_count=min_texts, cutoff=english_logprob))


def _cohesion(texts: Sequence[str], words: Iterable[str]) -> dict[str, float]:
    """For each word, the mean pairwise TF-IDF cosine of the texts containing it, over that of
    all texts: about 1 for a word that occurs whatever the topic, well above 1 for a topical one.
    The texts are compared on what they say: greetings, sign-offs, footers and handles masked,
    and the word itself left out. Otherwise a footer that always names the company ("Acme
    Support | This email is confidential") would make the company look like a topic."""
    from scipy import sparse

    # Copies of one text (templates, retweets) would look like a topic of their own.
    distinct = list(dict.fromkeys(texts))
    step = max(1, -(-len(distinct) // COHESION_SAMPLE))
    sample = distinct[::step]
    m = len(sample)
    if m < 3:
        return {}
    stop = _stop_words()
    vocabulary: dict[str, int] = {}
    rows, columns = [], []
    for row, text in enumerate(sample):
        for token in set(_WORD.findall(_mask(text, frozenset(), handles=False).lower())):
            if token not in stop:
                rows.append(row)
                columns.append(vocabulary.setdefault(token, len(vocabulary)))
    if not vocabulary:
        return {}
    counts = sparse.csr_matrix(
        (np.ones(len(rows)), (rows, columns)), shape=(m, len(vocabulary)), dtype=np.float64
    )
    document_frequency = np.asarray(counts.sum(axis=0)).ravel()
    weighted = counts @ sparse.diags(np.log((m + 1) / (document_frequency + 1)) + 1)
    norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
    has_words = norms > 0
    units = (sparse.diags(1 / np.where(has_words, norms, 1)) @ weighted).tocsr()
    total = np.asarray(units.sum(axis=0)).ravel()
    texts_kept = int(has_words.sum())
    if texts_kept < 3:
        return {}
    baseline = (total @ total - texts_kept) / (texts_kept * (texts_kept - 1))
    if baseline <= 0:
        return {}

    # Which sampled texts contain each word, anywhere in the unmasked text.
    wanted = set(words)
    members_of: dict[str, list[int]] = {word: [] for word in wanted}
    for row, text in enumerate(sample):
        for token in wanted.intersection(_WORD.findall(text.lower())):
            members_of[token].append(row)

    scores: dict[str, float] = {}
    for word, rows_with in members_of.items():
        members = np.asarray(rows_with, dtype=np.int64)
        members = members[has_words[members]] if len(members) else members
        column = vocabulary.get(word)
        if column is None:
            rest = np.ones(len(members))
        else:
            rest = 1.0 - units[members, column].toarray().ravel() ** 2
        keep = rest > 1e-9  # a text that says only this word tells nothing about its spread
        members, rest = members[keep], rest[keep]
        size = len(members)
        if size < _COHESION_MIN_TEXTS:
            continue
        summed = np.asarray((sparse.diags(1 / np.sqrt(rest)) @ units[members]).sum(axis=0))
        summed = summed.ravel()
        if column is not None:
            summed[column] = 0.0
        mean_similarity = (summed @ summed - size) / (size * (size - 1))
        scores[word] = float(mean_similarity / baseline)
    return scores


def _spellings(texts: Sequence[str], names: set[str], *, min_count: int, cutoff: float) -> set[str]:
    """Capitalised phrases that spell a name, alone or with a company word: "US Airways" for
    "usairways", "Southwest Airlines" and "Southwest" for "southwestair". A one-word spelling only
    when it is not ordinary English."""
    if not names:
        return set()
    stems = set(names)
    for name in names:
        for ending in HANDLE_ENDINGS:
            if name.endswith(ending) and len(name) - len(ending) >= _STEM_MIN_LENGTH:
                stems.add(name[: -len(ending)])
    # A stem may be spelt with a space between any two of its letters: "Jet Blue", "US Airways".
    spelt = "|".join(
        " ?".join(map(re.escape, stem)) for stem in sorted(stems, key=lambda s: (-len(s), s))
    )
    company = "|".join(COMPANY_WORDS)
    pattern = re.compile(rf"(?<![\w@#])(?:{spelt})(?: +(?:{company}))?(?!\w)", re.I)
    counts: Counter[str] = Counter()
    for text in texts:
        for match in pattern.findall(text):
            words = match.split()
            if all(word[0].isupper() for word in words):
                counts[" ".join(words).lower()] += 1
    found = set()
    for phrase, count in counts.items():
        if count < min_count or phrase in names:
            continue
        if " " in phrase or (phrase not in _stop_words() and _english_logprob(phrase) <= cutoff):
            found.add(phrase)
    return found


@functools.cache
def _stop_words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS)


def _english_logprob(word: str) -> float:
    return _english_table().get(word, _ENGLISH_TABLE_FLOOR)


@functools.cache
def _english_table() -> dict[str, float]:
    """spaCy's English unigram log-probabilities (spacy-lookups-data, offline), lower-cased,
    keeping only words above the floor: 41k words, loaded once per process (about 1.5 s)."""
    import spacy_lookups_data

    path = Path(spacy_lookups_data.__file__).parent / "data" / "en_lexeme_prob.json.gz"
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        table = json.load(handle)
    lowered: dict[str, float] = {}
    for word, logprob in table.items():
        if logprob > _ENGLISH_TABLE_FLOOR:
            key = word.lower()
            lowered[key] = max(logprob, lowered.get(key, _ENGLISH_TABLE_FLOOR))
    return lowered
