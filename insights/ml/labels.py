"""Readable names for themes: keyphrases by class-based TF-IDF, and representative quotes.

c-TF-IDF (as in BERTopic) treats each theme's members as one document: a phrase scores by its
share of the theme's phrases times log(1 + average phrases per theme / the phrase's count over all
themes), so a phrase common in one theme and rare elsewhere wins. Phrases are 1-3-grams of spaCy
lookup lemmas with stop words and punctuation dropped, except negations ("card not arrived" needs
its "not"). A theme is labelled with the surface wording its members use most for its best
multi-word phrase, lower-cased.
"""

import functools
import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

KEYWORDS = 8
# A label is looked for among this many best phrases.
LABEL_POOL = 10
QUOTES = 3
MAX_NGRAM = 3
# Quotes this similar (cosine) to a quote already chosen repeat it.
NEAR_DUPLICATE = 0.95
NEGATIONS = frozenset({"not", "no", "never", "n't", "nor", "without", "cannot"})
# What spaCy's tokenizer leaves of "won't", "can't", "shan't", "ain't" besides the "n't".
CONTRACTION_STUBS = frozenset({"wo", "ca", "sha", "ai"})
_WORD = re.compile(r"\w")


@dataclass(frozen=True)
class ThemeDescription:
    label: str
    keywords: list[str]
    quotes: list[int]


def describe_clusters(
    texts: Sequence[str], labels: np.ndarray, vectors: np.ndarray, centroids: np.ndarray
) -> dict[int, ThemeDescription]:
    """A label, keyphrases and quotes (indices into `texts`) for each theme in `labels`;
    unthemed texts (-1) are described by nothing."""
    labels = np.asarray(labels)
    if len(texts) != len(labels) or len(labels) != len(vectors):
        raise ValueError("texts, labels and vectors must have one entry per item.")
    themes = sorted(int(theme) for theme in np.unique(labels) if theme >= 0)
    if not themes:
        return {}
    phrases_per_text = [_phrases(tokens) for tokens in _tokens(texts)]
    ranked_phrases, surfaces = _class_tfidf(phrases_per_text, labels, themes)
    vectors = np.asarray(vectors, dtype=np.float32)
    centroids = np.asarray(centroids, dtype=np.float32)

    descriptions: dict[int, ThemeDescription] = {}
    used_labels: set[str] = set()
    sizes = {theme: int((labels == theme).sum()) for theme in themes}
    # The biggest themes name themselves first; a later theme takes its next-best phrase rather
    # than repeat a label.
    for theme in sorted(themes, key=lambda theme: (-sizes[theme], theme)):
        ranked = ranked_phrases[theme]
        keywords = _distinct_phrases(ranked, KEYWORDS)
        label = _label(ranked, surfaces[theme], used_labels)
        used_labels.add(label)
        descriptions[theme] = ThemeDescription(
            label=label,
            keywords=[_surface(phrase, surfaces[theme]) for phrase in keywords],
            quotes=_quotes(texts, labels, vectors, centroids, theme),
        )
    return dict(sorted(descriptions.items()))


@functools.cache
def _nlp():
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    return nlp


def _tokens(texts: Sequence[str]) -> list[list[tuple[str, str] | None]]:
    """Per text, (lemma, surface) pairs, with None where punctuation or a number breaks the
    phrase. Stop words are skipped without a break, as BERTopic's vectorizer does, so "my card
    has not arrived" yields "card not arrived"."""
    result = []
    for doc in _nlp().pipe((str(text) for text in texts), batch_size=256):
        tokens: list[tuple[str, str] | None] = []
        for token in doc:
            lower = token.lower_
            if lower in NEGATIONS:
                tokens.append(("not", "not" if lower in ("n't", "cannot") else lower))
            elif token.is_stop or lower in CONTRACTION_STUBS:
                continue
            elif token.is_punct or token.is_space or token.like_num or not _WORD.search(lower):
                tokens.append(None)
            else:
                tokens.append(((token.lemma_ or lower).lower(), lower))
        result.append(tokens)
    return result


def _phrases(tokens: list[tuple[str, str] | None]) -> list[tuple[str, str]]:
    """(lemma phrase, surface phrase) for each 1-3-gram of kept tokens unbroken by punctuation
    that does not end with a negation."""
    phrases = []
    for start in range(len(tokens)):
        for length in range(1, MAX_NGRAM + 1):
            window = tokens[start : start + length]
            if len(window) < length or any(token is None for token in window):
                break
            if window[-1][0] == "not":
                continue
            phrases.append(
                (" ".join(lemma for lemma, _ in window), " ".join(word for _, word in window))
            )
    return phrases


def _class_tfidf(
    phrases_per_text: list[list[tuple[str, str]]], labels: np.ndarray, themes: list[int]
) -> tuple[dict[int, list[str]], dict[int, dict[str, Counter]]]:
    """Per theme its phrases, best c-TF-IDF score first, and the surface forms of each phrase.

    Scores are computed per theme over the phrases it contains only: a dense themes x vocabulary
    matrix would not fit for 100k texts."""
    counts: dict[int, Counter] = {theme: Counter() for theme in themes}
    surfaces: dict[int, dict[str, Counter]] = {theme: defaultdict(Counter) for theme in themes}
    for phrases, theme in zip(phrases_per_text, labels.tolist(), strict=True):
        if theme < 0:
            continue
        counter = counts[theme]
        for lemma, surface in phrases:
            counter[lemma] += 1
            surfaces[theme][lemma][surface] += 1
    overall: Counter = Counter()
    for counter in counts.values():
        overall.update(counter)
    totals = {theme: sum(counter.values()) for theme, counter in counts.items()}
    average_words = sum(totals.values()) / len(themes)
    ranked: dict[int, list[str]] = {}
    for theme, counter in counts.items():
        total = max(totals[theme], 1)
        scored = [
            (count / total * math.log(1.0 + average_words / overall[phrase]), phrase)
            for phrase, count in counter.items()
        ]
        scored.sort(key=lambda item: (-item[0], item[1]))
        ranked[theme] = [phrase for score, phrase in scored if score > 0]
    return ranked, surfaces


def _distinct_phrases(ranked: list[str], limit: int) -> list[str]:
    """The best phrases, skipping one whose words are inside a phrase already taken or that
    contains one already taken ("card", "arrive" after "card arrive")."""
    chosen: list[str] = []
    for phrase in ranked:
        if len(chosen) == limit:
            break
        padded = f" {phrase} "
        if any(padded in f" {taken} " or f" {taken} " in padded for taken in chosen):
            continue
        chosen.append(phrase)
    return chosen


def _surface(phrase: str, surfaces: dict[str, Counter]) -> str:
    forms = surfaces.get(phrase)
    return forms.most_common(1)[0][0] if forms else phrase


def _label(ranked: list[str], surfaces: dict[str, Counter], used: set[str]) -> str:
    """The best phrase if it has several words; else the best multi-word phrase among the top
    LABEL_POOL that contains the best word, else the best multi-word phrase among the top few;
    else the two best words. A label a bigger theme already has is passed over."""
    pool = [
        phrase
        for phrase in ranked[:LABEL_POOL]
        if " " in phrase and _surface(phrase, surfaces) not in used
    ]
    if ranked:
        best_words = f" {ranked[0]} "
        for phrase in pool:
            if best_words in f" {phrase} ":
                return _surface(phrase, surfaces)
        if pool and pool[0] in ranked[:5]:
            return _surface(pool[0], surfaces)
    words = [_surface(phrase, surfaces) for phrase in ranked if " " not in phrase][:2]
    candidate = " ".join(words) or "miscellaneous"
    suffix = 2
    label = candidate
    while label in used:
        label = f"{candidate} ({suffix})"
        suffix += 1
    return label


def _quotes(
    texts: Sequence[str],
    labels: np.ndarray,
    vectors: np.ndarray,
    centroids: np.ndarray,
    theme: int,
) -> list[int]:
    members = np.flatnonzero(labels == theme)
    centroid = centroids[theme] / max(float(np.linalg.norm(centroids[theme])), 1e-12)
    norms = np.maximum(np.linalg.norm(vectors[members], axis=1), 1e-12)
    unit = vectors[members] / norms[:, None]
    order = np.argsort(-(unit @ centroid), kind="stable")
    chosen: list[int] = []
    seen_texts: set[str] = set()
    for position in order:
        text = " ".join(str(texts[members[position]]).lower().split())
        if text in seen_texts:
            continue
        if any(float(unit[position] @ unit[other]) > NEAR_DUPLICATE for other in chosen):
            continue
        chosen.append(int(position))
        seen_texts.add(text)
        if len(chosen) == QUOTES:
            break
    return [int(members[position]) for position in chosen]
