"""Readable names for themes: a short label in the members' own words, a one-sentence summary,
keyphrases and representative quotes. Everything shown is cut from the feedback as written;
nothing is generated.

Label: candidates are windows of the wording of the theme's most central members
(`insights.ml.phrases.label_candidates`); the LABEL_CANDIDATES most distinctive by class-based
TF-IDF are embedded with the feedback's own model and ranked by the probability that the phrase
belongs to its theme rather than another — a softmax over its cosines to every theme's centroid,
so a label must be close to its own centroid and closer to it than to any other — and the same
probability for the members that say it, plus a little c-TF-IDF, less a little for "my" and
"I". Bigger themes choose first and no two themes (nor any of `existing_labels`) share a label:
a theme whose best candidate is taken takes its next best; "(2)" only when none is left.

Summary: among the sentences of the most central members, the one whose embedding is closest to
the centroid, cut at a word to SUMMARY_MAX_CHARS. Keywords: c-TF-IDF 1-3-grams of lemmas chosen
by maximal marginal relevance (MMR) on their embeddings, near-duplicates ("dashboards" after
"dashboard") skipped. Quotes: the members closest to the centroid, near-duplicates skipped.

At 100k texts and 250 themes this embeds about 7,000 short phrases and sentences (≈ 5 s on two
idle cores) besides tokenizing every text once (bench/RESULTS.md, "Theme labels and summaries").
"""

import functools
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from insights.ml import phrases

KEYWORDS = 8
# c-TF-IDF phrases embedded per theme for the keywords' MMR.
KEYWORD_POOL = 12
# MMR weight of relevance against novelty: 0.7 as KeyBERT's examples use.
KEYWORD_RELEVANCE = 0.7
# Keywords this similar (cosine) to one already chosen repeat it: a word and its plural are 0.8-0.9.
KEYWORD_NEAR_DUPLICATE = 0.8
QUOTES = 3
# A label has this many words when the members' wording allows it.
LABEL_MIN_WORDS = 3
# Label candidates are cut from this many of a theme's most central members, and this many of them
# (the best by c-TF-IDF) are embedded: at most 250 themes x 40 short phrases at 100k texts.
LABEL_MEMBERS = 50
LABEL_CANDIDATES = 40
# A candidate's theme probability is a softmax over its cosines to the centroids times this (5 and
# 20 did worse on banking77); its c-TF-IDF distinctiveness (0-1 within the theme) adds this much
# to the log-probability.
LABEL_SHARPNESS = 10.0
LABEL_DISTINCT_WEIGHT = 0.05
# The members that say a candidate weigh in with the log-probability of their mean vector: on four
# banking77 clusterings (the same candidate vectors) label match rose from 0.684 to 0.704 pooled,
# the same at weights 0.5-1.0 and lower at 2.
LABEL_MEMBER_WEIGHT = 1.0
# Each personal word ("my", "I", "we") costs a candidate this much log-probability: "Transfer was
# declined" names a theme, "Cause my transfer to be declined" is one member speaking. Label match
# on four banking77 clusterings is the same within its noise (0.700 against 0.707 pooled).
LABEL_PERSONAL_PENALTY = 0.4
PERSONAL_WORDS = frozenset(
    {"i", "me", "my", "mine", "myself", "you", "your", "yours", "we", "us", "our", "ours", "it"}
    | {"i'm", "i've", "i'd", "i'll", "you're", "we're", "we've", "it's"}
)
# The summary is chosen among the sentences of this many central members, at most this many.
SUMMARY_MEMBERS = 8
SUMMARY_SENTENCES = 16
SUMMARY_MAX_CHARS = 200
PHRASE_BATCH_SIZE = 256
# Quotes this similar (cosine) to a quote already chosen repeat it.
NEAR_DUPLICATE = 0.95


@dataclass(frozen=True)
class ThemeDescription:
    label: str
    keywords: list[str]
    quotes: list[int]
    summary: str


@dataclass
class _Candidate:
    key: str
    surfaces: Counter
    words: int
    distinctiveness: float = 0.0
    members: set = field(default_factory=set)

    @property
    def surface(self) -> str:
        return self.surfaces.most_common(1)[0][0]


def describe_clusters(
    texts: Sequence[str],
    labels: np.ndarray,
    vectors: np.ndarray,
    centroids: np.ndarray,
    *,
    existing_labels: Iterable[str] = (),
    embed_texts: Callable[[Sequence[str]], np.ndarray] | None = None,
) -> dict[int, ThemeDescription]:
    """A label, summary, keyphrases and quotes (indices into `texts`) for each theme in `labels`;
    unthemed texts (-1) are described by nothing.

    `existing_labels` are labels of themes not being described here: no theme is given one of
    them. `embed_texts` embeds phrases into the space of `vectors` (the feedback's own model,
    `insights.ml.embeddings.embed`, unless given)."""
    labels = np.asarray(labels)
    if len(texts) != len(labels) or len(labels) != len(vectors):
        raise ValueError("texts, labels and vectors must have one entry per item.")
    themes = sorted(int(theme) for theme in np.unique(labels) if theme >= 0)
    if not themes:
        return {}
    if embed_texts is None:
        from insights.ml.embeddings import embed

        # Phrases are short: batches of 256 embed them in 40 % less time than batches of 64.
        embed_texts = functools.partial(embed, batch_size=PHRASE_BATCH_SIZE)
    vectors = np.asarray(vectors, dtype=np.float32)
    centroids = _unit_rows(np.asarray(centroids, dtype=np.float32))

    members = {theme: np.flatnonzero(labels == theme) for theme in themes}
    central = {theme: _by_centrality(vectors, members[theme], centroids[theme]) for theme in themes}
    sample = {int(index): theme for theme in themes for index in central[theme][:LABEL_MEMBERS]}

    counts: dict[int, Counter] = {theme: Counter() for theme in themes}
    surfaces: dict[int, dict[str, Counter]] = {theme: defaultdict(Counter) for theme in themes}
    candidates: dict[int, dict[str, _Candidate]] = {theme: {} for theme in themes}
    themed = np.flatnonzero(labels >= 0).tolist()
    cleaned = [phrases.without_placeholders(str(texts[index])) for index in themed]
    docs = phrases.nlp().tokenizer.pipe(cleaned, batch_size=1000)
    for index, text, doc in zip(themed, cleaned, docs, strict=True):
        theme = int(labels[index])
        for lemma, surface in phrases.ngrams(phrases.tokens(doc)):
            counts[theme][lemma] += 1
            surfaces[theme][lemma][surface] += 1
        if index in sample:
            for key, surface, words in phrases.label_candidates(doc, text):
                found = candidates[theme].get(key)
                if found is None:
                    found = candidates[theme][key] = _Candidate(key, Counter(), words)
                found.surfaces[surface] += 1
                found.members.add(index)

    scores = phrases.class_tfidf(counts)
    pools = {theme: _candidate_pool(candidates[theme], scores[theme]) for theme in themes}
    keyword_pools = {
        theme: [
            _surface(phrase, surfaces[theme])
            for phrase in phrases.distinct_phrases(scores[theme], KEYWORD_POOL)
        ]
        for theme in themes
    }
    sentences = {
        theme: _summary_sentences(texts, central[theme][:SUMMARY_MEMBERS]) for theme in themes
    }

    # One call for every theme: sentence-transformers sorts the strings by length, and the int8
    # model's output moves with the padding in its batch (embedding each theme's phrases apart
    # cost 0.03-0.05 label match on banking77).
    vectors_of = _embedder(
        [candidate.surface.lower() for pool in pools.values() for candidate in pool]
        + [phrase for pool in keyword_pools.values() for phrase in pool]
        + [sentence for found in sentences.values() for sentence, member in found if member < 0],
        embed_texts,
        centroids.shape[1],
    )
    theme_centroids = centroids[themes]
    used = {phrases.label_key(label) for label in existing_labels}
    sizes = {theme: len(members[theme]) for theme in themes}
    descriptions: dict[int, ThemeDescription] = {}
    # The biggest themes name themselves first; a later theme takes its next-best candidate
    # rather than repeat a label.
    for theme in sorted(themes, key=lambda theme: (-sizes[theme], theme)):
        pool, keywords = pools[theme], keyword_pools[theme]
        ranked = _rank_candidates(
            pool,
            vectors_of([candidate.surface.lower() for candidate in pool]),
            theme_centroids,
            themes.index(theme),
            vectors,
        )
        label = _label(ranked, scores[theme], surfaces[theme], used)
        used.add(phrases.label_key(label))
        descriptions[theme] = ThemeDescription(
            label=label,
            keywords=_mmr(keywords, vectors_of(keywords), centroids[theme], KEYWORDS),
            quotes=_quotes(texts, vectors, central[theme]),
            summary=_summary(sentences[theme], vectors, vectors_of, centroids[theme]),
        )
    return dict(sorted(descriptions.items()))


def _embedder(
    strings: list[str], embed_texts: Callable[[Sequence[str]], np.ndarray], dimensions: int
) -> Callable[[list[str]], np.ndarray]:
    """Embeds `strings` at once; the returned function looks their vectors up."""
    unique = sorted(set(strings))
    embedded = np.asarray(embed_texts(unique) if unique else [], dtype=np.float32)
    embedded = embedded.reshape(len(unique), -1) if unique else np.zeros((0, dimensions))
    if embedded.shape[1] != dimensions:
        raise ValueError("embed_texts must embed into the space of the vectors.")
    row = {string: position for position, string in enumerate(unique)}

    def vectors_of(wanted: list[str]) -> np.ndarray:
        return embedded[[row[string] for string in wanted]].reshape(len(wanted), dimensions)

    return vectors_of


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return matrix / np.maximum(norms, 1e-12)


def _by_centrality(vectors: np.ndarray, members: np.ndarray, centroid: np.ndarray) -> np.ndarray:
    """`members`, the closest to the centroid first."""
    similarity = _unit_rows(vectors[members]) @ centroid
    return members[np.argsort(-similarity, kind="stable")]


def _candidate_pool(candidates: dict[str, _Candidate], scores: dict[str, float]) -> list:
    """The LABEL_CANDIDATES most distinctive candidates, of LABEL_MIN_WORDS words or more when
    there are any. A candidate's distinctiveness is the c-TF-IDF of the n-grams of its key, over
    the square root of the key's length (so padding a phrase with words earns little), relative
    to the theme's best."""
    for candidate in candidates.values():
        lemmas = candidate.key.split()
        total = 0.0
        for start in range(len(lemmas)):
            for length in range(1, phrases.MAX_NGRAM + 1):
                if start + length <= len(lemmas):
                    total += scores.get(" ".join(lemmas[start : start + length]), 0.0)
        candidate.distinctiveness = total / math.sqrt(max(len(lemmas), 1))
    long_enough = [c for c in candidates.values() if c.words >= LABEL_MIN_WORDS and c.key]
    pool = long_enough or [c for c in candidates.values() if c.key]
    pool.sort(key=lambda c: (-c.distinctiveness, -sum(c.surfaces.values()), c.key))
    pool = pool[:LABEL_CANDIDATES]
    best = max((c.distinctiveness for c in pool), default=0.0)
    for candidate in pool:
        candidate.distinctiveness = candidate.distinctiveness / best if best > 0 else 0.0
    return pool


def _rank_candidates(
    pool: list[_Candidate],
    embedded: np.ndarray,
    theme_centroids: np.ndarray,
    own: int,
    vectors: np.ndarray,
) -> list[_Candidate]:
    """`pool`, the best label first: the log-probability that the candidate belongs to its own
    theme rather than another (a softmax over its cosines to every theme's centroid, so both
    closeness and distinctiveness count), plus the same for the mean vector of the members that
    say it (a phrase of members on the theme's border is a weaker name for it), plus a little of
    its c-TF-IDF distinctiveness, less a little for each personal word."""
    if not pool:
        return []
    speakers = np.vstack([vectors[sorted(candidate.members)].mean(axis=0) for candidate in pool])
    distinctiveness = np.array([candidate.distinctiveness for candidate in pool])
    personal = np.array(
        [
            sum(word.strip(".,!?").lower() in PERSONAL_WORDS for word in candidate.surface.split())
            for candidate in pool
        ]
    )
    score = (
        _log_probability(embedded, theme_centroids, own)
        + LABEL_MEMBER_WEIGHT * _log_probability(speakers, theme_centroids, own)
        + LABEL_DISTINCT_WEIGHT * distinctiveness
        - LABEL_PERSONAL_PENALTY * personal
    )
    return [pool[position] for position in np.argsort(-score, kind="stable")]


def _log_probability(rows: np.ndarray, theme_centroids: np.ndarray, own: int) -> np.ndarray:
    """Per row, log softmax over LABEL_SHARPNESS x its cosines to the themes' centroids, at the
    theme `own`."""
    logits = LABEL_SHARPNESS * (_unit_rows(rows) @ theme_centroids.T)
    peak = logits.max(axis=1)
    return logits[:, own] - (peak + np.log(np.exp(logits - peak[:, None]).sum(axis=1)))


def _label(
    ranked: list[_Candidate],
    scores: dict[str, float],
    surfaces: dict[str, Counter],
    used: set[str],
) -> str:
    """The best candidate no other theme has; else the theme's two best words; a numbered label
    only when every candidate is taken."""
    for candidate in ranked:
        label = phrases.sentence_case(candidate.surface)
        if phrases.label_key(label) not in used:
            return label
    words = [_surface(phrase, surfaces) for phrase in scores if " " not in phrase][:2]
    if words and phrases.label_key(" ".join(words)) not in used:
        return phrases.sentence_case(" ".join(words))
    if ranked:
        fallback = phrases.sentence_case(ranked[0].surface)
    else:
        fallback = phrases.sentence_case(" ".join(words)) if words else "Other feedback"
    label, suffix = fallback, 2
    while phrases.label_key(label) in used:
        label = f"{fallback} ({suffix})"
        suffix += 1
    return label


def _surface(phrase: str, surfaces: dict[str, Counter]) -> str:
    forms = surfaces.get(phrase)
    return forms.most_common(1)[0][0] if forms else phrase


def _mmr(phrases: list[str], embedded: np.ndarray, centroid: np.ndarray, limit: int) -> list[str]:
    """Up to `limit` phrases by maximal marginal relevance: each next one the most relevant
    (its rank by c-TF-IDF and its closeness to the centroid) less its similarity to those taken."""
    if not phrases:
        return []
    unit = _unit_rows(embedded)
    closeness = unit @ centroid
    rank_score = 1.0 - np.arange(len(phrases)) / len(phrases)
    relevance = 0.5 * closeness + 0.5 * rank_score
    pairwise = unit @ unit.T
    chosen = [int(np.argmax(relevance))]
    while len(chosen) < limit:
        redundancy = pairwise[:, chosen].max(axis=1)
        value = KEYWORD_RELEVANCE * relevance - (1 - KEYWORD_RELEVANCE) * redundancy
        # A phrase that says what a chosen one says ("dashboards" after "dashboard") is no
        # keyword of its own.
        value[redundancy > KEYWORD_NEAR_DUPLICATE] = -np.inf
        value[chosen] = -np.inf
        if not np.isfinite(value.max()):
            break
        chosen.append(int(np.argmax(value)))
    return [phrases[position] for position in chosen]


def _summary_sentences(texts: Sequence[str], central: np.ndarray) -> list[tuple[str, int]]:
    """The sentences of the central members, each with its member's index when the member is
    that one sentence (its vector is then the member's), else -1; at most SUMMARY_SENTENCES.
    Sentences of fewer than three words or with a placeholder are left out unless there are no
    others."""
    found: list[tuple[str, int]] = []
    for index in central.tolist():
        text = str(texts[index]).strip()
        parts = [part.strip() for part in phrases.SENTENCE_END.split(text) if part and part.strip()]
        for part in parts:
            sentence = " ".join(part.split())
            found.append((sentence, index if len(parts) == 1 and part == text else -1))
    good = [
        (sentence, member)
        for sentence, member in found
        if len(sentence.split()) >= 3 and not phrases.PLACEHOLDER.search(sentence)
    ]
    first_of: dict[str, int] = {}
    for sentence, member in good or found:
        first_of.setdefault(sentence, member)
    return list(first_of.items())[:SUMMARY_SENTENCES]


def _summary(
    sentences: list[tuple[str, int]],
    vectors: np.ndarray,
    vectors_of: Callable[[list[str]], np.ndarray],
    centroid: np.ndarray,
) -> str:
    if not sentences:
        return ""
    rows = [
        vectors[member] if member >= 0 else vectors_of([sentence])[0]
        for sentence, member in sentences
    ]
    best = sentences[int(np.argmax(_unit_rows(np.vstack(rows)) @ centroid))][0]
    return _trim(best, SUMMARY_MAX_CHARS)


def _trim(sentence: str, limit: int) -> str:
    """`sentence` cut at a word boundary to at most `limit` characters, an ellipsis marking a
    cut."""
    if len(sentence) <= limit:
        return sentence
    cut = sentence[: limit - 1].rsplit(" ", 1)[0]
    return re.sub(r"[\s,;:(\-]+$", "", cut) + "…"


def _quotes(texts: Sequence[str], vectors: np.ndarray, central: np.ndarray) -> list[int]:
    """The QUOTES members closest to the centroid, skipping repeats and near-duplicates."""
    unit = _unit_rows(vectors[central])
    chosen: list[int] = []
    seen_texts: set[str] = set()
    for position in range(len(central)):
        text = " ".join(str(texts[central[position]]).lower().split())
        if text in seen_texts:
            continue
        if any(float(unit[position] @ unit[other]) > NEAR_DUPLICATE for other in chosen):
            continue
        chosen.append(position)
        seen_texts.add(text)
        if len(chosen) == QUOTES:
            break
    return [int(central[position]) for position in chosen]
