"""Phrases of feedback as its members wrote them: spaCy tokens (a blank English pipeline and its
lookup lemmas, as nothing trained may be downloaded), lemma n-grams scored by class-based TF-IDF,
and the windows of a clause that could name a theme.

c-TF-IDF (as in BERTopic) treats each theme's members as one document: a phrase scores by its
share of the theme's phrases times log(1 + average phrases per theme / its count over all themes),
so a phrase common in one theme and rare elsewhere wins. Phrases are 1-3-grams of lemmas with stop
words and punctuation dropped, except negations ("card not arrived" needs its "not").

Without a part-of-speech tagger, a label candidate is a window of up to seven words inside a
clause (clauses end at punctuation and at "and", "but", "because"…) that starts and ends where a
phrase does: on a content word, a negated auxiliary ("haven't received my card") or a question
word (then to the clause's end), ending on a content word or a completing particle ("can't log
in"), never inside a compound ("auto top up") nor across a question's inverted "can I".
"""

import functools
import math
import re
from collections import Counter

MAX_NGRAM = 3
LABEL_MAX_WORDS = 7
NEGATIONS = frozenset({"not", "no", "never", "n't", "nor", "without", "cannot"})
# What spaCy's tokenizer leaves of "won't", "can't", "shan't", "ain't" besides the "n't".
CONTRACTION_STUBS = frozenset({"wo", "ca", "sha", "ai"})
# spaCy's stop list holds words that carry meaning in feedback ("top up", "show", "name").
CONTENT_STOP_WORDS = frozenset(
    {"top", "show", "call", "name", "empty", "full", "front", "back", "bottom", "side", "part"}
    | {"give", "take", "make", "made", "see", "move", "put", "find", "fill", "keep", "amount"}
)
# Words a label neither starts nor ends on, though spaCy does not count them as stop words.
FILLERS = frozenset(
    {"hi", "hello", "hey", "dear", "thanks", "thank", "please", "regards", "cheers", "fyi", "ok"}
    | {"okay", "ugh", "honestly", "sorry", "team", "guys", "lol", "pls", "plz", "yes"}
)
# A candidate may end on a particle after a word it completes ("log in", "top up"), or on one of
# these adverbs after any content word ("not arrived yet", "crashed again").
PARTICLES = frozenset({"in", "up", "out", "off", "down", "on", "back", "over"})
CLOSING_ADVERBS = frozenset({"yet", "again"})
# Verbs of wanting and asking that lead into what a member means ("need to change my PIN"): a
# label starts after them.
LEAD_VERBS = frozenset(
    {"think", "want", "wanted", "need", "needed", "like", "wondering", "wonder", "know", "tell"}
    | {"help", "trying", "try", "tried", "hoping", "hope", "believe", "guess", "let", "seems"}
    | {"feel", "wish", "able", "unable", "looking", "explain", "understand", "anyone"}
)
# A question word may start a label ("how long does a transfer take"); an auxiliary before a
# pronoun ("can I", "does it") is a question cut in half anywhere else.
QUESTION_WORDS = frozenset({"what", "which", "where", "why", "how"})
AUXILIARIES = frozenset(
    {"do", "does", "did", "can", "could", "will", "would", "should", "shall", "may", "might"}
    | {"must", "is", "are", "was", "were", "am", "have", "has", "had", "ca", "wo"}
)
PRONOUNS = frozenset(
    {"i", "you", "we", "they", "it", "he", "she", "my", "your", "our", "their", "this", "that"}
    | {"there", "these", "those", "his", "her", "its", "me", "us", "them"}
)
# "Isn't working" needs its subject; "can't log in" does not.
BE_FORMS = frozenset({"am", "is", "are", "was", "were", "be", "been", "being"})
# Words whose particle completes them: a label does not end between "top" and "up".
PHRASAL_HEADS = frozenset(
    {"top", "log", "sign", "set", "cash", "check", "back", "roll", "shut", "time", "lock"}
    | {"pick", "follow", "turn", "figure", "fill", "sort", "freeze", "close", "break", "crash"}
    | {"show", "come", "go", "get", "pay", "hold", "carry", "look"}
)
# Clauses end here as well as at punctuation.
CLAUSE_BREAKS = frozenset({"and", "but", "because", "although", "though", "however", "while"})
PLACEHOLDER = re.compile(r"\[[A-Z][A-Z_]*\]")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\s*\n\s*")
_WORD = re.compile(r"\w")
_TRAILING = re.compile(r"[\W_]+$")
_NUMBERED = re.compile(r" \((\d+)\)$")


@functools.cache
def nlp():
    """spaCy's blank English pipeline with its lookup lemmatizer (spacy-lookups-data): its
    tokenizer splits the texts, the lemmatizer's table lemmatizes them."""
    import spacy

    pipeline = spacy.blank("en")
    pipeline.add_pipe("lemmatizer", config={"mode": "lookup"})
    pipeline.initialize()
    return pipeline


def _is_stop(token) -> bool:
    lower = token.lower_
    return (token.is_stop and lower not in CONTENT_STOP_WORDS) or lower in CONTRACTION_STUBS


def without_placeholders(text: str) -> str:
    """`text` with each redaction placeholder ("[EMAIL]") turned into a phrase break of the same
    length, so no phrase, keyword or label holds one and offsets still point into `text`."""
    if "[" not in text:
        return text
    return PLACEHOLDER.sub(lambda match: "," + " " * (len(match.group()) - 1), text)


@functools.cache
def _lemma(lower: str) -> str:
    table = nlp().get_pipe("lemmatizer").lookups.get_table("lemma_lookup")
    return table.get(lower, lower)


_SKIP = ("", "")


@functools.cache
def _token_kind(orth: int) -> tuple[str, str] | None:
    """What a word is for phrases, decided once per distinct word: (lemma, lower case), None
    for a break (punctuation, a number) or _SKIP for a stop word."""
    lexeme = nlp().vocab[orth]
    lower = lexeme.lower_
    if lower in NEGATIONS:
        return ("not", "not" if lower in ("n't", "cannot") else lower)
    if (lexeme.is_stop and lower not in CONTENT_STOP_WORDS) or lower in CONTRACTION_STUBS:
        return _SKIP
    if lower in FILLERS:
        return _SKIP
    if lexeme.is_punct or lexeme.is_space or lexeme.like_num or not _WORD.search(lower):
        return None
    return (_lemma(lower), lower)


def tokens(doc) -> list[tuple[str, str] | None]:
    """(lemma, surface) pairs, with None where punctuation, a number or a placeholder breaks the
    phrase. Stop words are skipped without a break, as BERTopic's vectorizer does, so "my card
    has not arrived" yields "card not arrived"."""
    from spacy.attrs import ORTH

    kinds = [_token_kind(orth) for orth in doc.to_array(ORTH).tolist()]
    return [kind for kind in kinds if kind is not _SKIP]


def ngrams(tokens: list[tuple[str, str] | None]) -> list[tuple[str, str]]:
    """(lemma phrase, surface phrase) for each 1-3-gram of kept tokens unbroken by punctuation
    that does not end with a negation."""
    phrases = []
    run: list[tuple[str, str]] = []
    for token in [*tokens, None]:
        if token is not None:
            run.append(token)
            continue
        for start in range(len(run)):
            for end in range(start + 1, min(start + MAX_NGRAM, len(run)) + 1):
                if run[end - 1][0] == "not":
                    continue
                window = run[start:end]
                phrases.append(
                    (" ".join(lemma for lemma, _ in window), " ".join(word for _, word in window))
                )
        run = []
    return phrases


def _content(token) -> bool:
    lower = token.lower_
    return (
        not _is_stop(token)
        and lower not in FILLERS
        and lower not in NEGATIONS
        and not token.like_num
        and token.is_alpha
    )


def _joins(left, right) -> bool:
    """Whether two neighbouring tokens belong to one phrase: two content words, a word and its
    particle ("top up", "logged in"), or a hyphenated word."""
    if not left.whitespace_ and (right.text == "-" or left.text == "-"):
        return True
    if _content(left) and _content(right):
        return True
    return right.lower_ in PARTICLES and _lemma(left.lower_) in PHRASAL_HEADS


def label_candidates(doc, text: str) -> list[tuple[str, str, int]]:
    """(lemma key, wording as written, words) for each window of a clause of `doc` (the tokens of
    `text`, placeholders already turned into breaks) that could name its theme: at most
    LABEL_MAX_WORDS words, starting on a content word, "no"/"never", a negated auxiliary or a
    question word (a question runs to its clause's end), ending on a content word, on "yet" or
    "again", or on the particle of a phrasal verb."""
    clauses: list[list] = [[]]
    for token in doc:
        # A hyphen inside a word ("real-time") stays in its clause so no window ends at it.
        inner_hyphen = token.text == "-" and token.i > 0 and not doc[token.i - 1].whitespace_
        if not inner_hyphen and (
            token.is_punct
            or token.is_space
            or token.lower_ in CLAUSE_BREAKS
            or not _WORD.search(token.text)
        ):
            if clauses[-1]:
                clauses.append([])
            continue
        clauses[-1].append(token)
    found = []
    for clause in clauses:
        lowers = [token.lower_ for token in clause]
        # Positions where an auxiliary (possibly negated) meets a pronoun: "can I", "doesn't my".
        inversions = [
            position
            for position in range(len(clause) - 1)
            if lowers[position] in AUXILIARIES
            and (
                lowers[position + 1] in PRONOUNS
                or (
                    lowers[position + 1] in ("n't", "not")
                    and position + 2 < len(clause)
                    and lowers[position + 2] in PRONOUNS
                )
            )
        ]
        for start, first in enumerate(clause):
            following = lowers[start + 1] if start + 1 < len(clause) else ""
            question = lowers[start] in QUESTION_WORDS
            negated_auxiliary = (
                following in ("n't", "not")
                and first.is_stop
                and lowers[start] not in PRONOUNS | NEGATIONS | BE_FORMS
            )
            starts_well = (
                (_content(first) and lowers[start] not in LEAD_VERBS)
                or lowers[start] in ("no", "never", "cannot")
                or negated_auxiliary
                or question
            )
            # A window starts and ends where a phrase does, not inside one ("auto top up"), nor
            # inside a question ("long does a transfer take").
            if not starts_well or (
                start > 0
                and (_joins(clause[start - 1], first) or lowers[start - 1] in QUESTION_WORDS)
            ):
                continue
            for end in range(start, min(start + LABEL_MAX_WORDS + 2, len(clause))):
                last = clause[end]
                before = clause[end - 1] if end > start else None
                ends_well = _content(last) or (
                    before is not None
                    and _content(before)
                    and (
                        lowers[end] in CLOSING_ADVERBS
                        or (lowers[end] in PARTICLES and _lemma(before.lower_) in PHRASAL_HEADS)
                    )
                )
                # A question is taken whole to the end of its clause.
                if not ends_well or (question and end < len(clause) - 1):
                    continue
                if end + 1 < len(clause) and _joins(last, clause[end + 1]):
                    continue
                if not question and any(start <= position < end for position in inversions):
                    continue
                surface = text[first.idx : last.idx + len(last.text)]
                words = len(surface.split())
                if words > LABEL_MAX_WORDS:
                    break
                key = " ".join(
                    "not" if token.lower_ in NEGATIONS else _lemma(token.lower_)
                    for token in clause[start : end + 1]
                    if token.lower_ in NEGATIONS or not _is_stop(token)
                )
                found.append((key, " ".join(surface.split()), words))
    return found


def class_tfidf(counts: dict[int, Counter]) -> dict[int, dict[str, float]]:
    """Per theme, the c-TF-IDF score of each of its phrases, best first.

    Scores are computed per theme over the phrases it contains only: a dense themes x vocabulary
    matrix would not fit for 100k texts."""
    overall: Counter = Counter()
    for counter in counts.values():
        overall.update(counter)
    totals = {theme: sum(counter.values()) for theme, counter in counts.items()}
    average_words = sum(totals.values()) / max(len(counts), 1)
    scores: dict[int, dict[str, float]] = {}
    for theme, counter in counts.items():
        total = max(totals[theme], 1)
        scored = [
            (count / total * math.log(1.0 + average_words / overall[phrase]), phrase)
            for phrase, count in counter.items()
        ]
        scored.sort(key=lambda item: (-item[0], item[1]))
        scores[theme] = {phrase: score for score, phrase in scored if score > 0}
    return scores


def distinct_phrases(scores: dict[str, float], limit: int) -> list[str]:
    """The best phrases, skipping one whose words are inside a phrase already taken or that
    contains one already taken ("card", "arrive" after "card arrive")."""
    chosen: list[str] = []
    for phrase in scores:
        if len(chosen) == limit:
            break
        padded = f" {phrase} "
        if any(padded in f" {taken} " or f" {taken} " in padded for taken in chosen):
            continue
        chosen.append(phrase)
    return chosen


def label_key(label: str) -> str:
    """Labels that differ only in case, punctuation, stop words or inflection ("Card has not
    arrived", "cards not arrived!") count as one; a numbered label ("Refund (2)") keeps its
    number."""
    match = _NUMBERED.search(label)
    text = (label[: match.start()] if match else label).lower()
    lemmas = [lemma for lemma, _ in filter(None, tokens(nlp().make_doc(text)))]
    key = " ".join(lemmas) or " ".join(text.split())
    return f"{key} ({match.group(1)})" if match else key


def sentence_case(phrase: str) -> str:
    words = phrase.split()
    if len(words) > 1 and phrase.isupper():
        words = [word.lower() for word in words]
    first = words[0]
    if not any(character.isupper() for character in first[1:]):
        first = first[:1].upper() + first[1:]
    return _TRAILING.sub("", " ".join([first, *words[1:]])) or first
