"""Sentiment per feedback: a score in −1…1 and a label, learnt from the organisation's own rated
comments.

A comment that came with an NPS, CSAT or CES answer carries its polarity (`polarity_from_scores`);
`SentimentModel.fit` learns from those comments, so the model speaks the organisation's own
vocabulary (a "delay" is bad for an airline, a "refund" is a complaint, "@handles" are noise).
Two logistic regressions vote: one on TF-IDF word 1–2-grams and character 2–5-grams (the exact
words), one on the MiniLM sentence embeddings the pipeline computes anyway (paraphrases, words
never seen in training). Their class probabilities are averaged; the score is P(positive) −
P(negative) and the label the most probable class.

Until there are `MIN_TRAINING_TEXTS` rated comments, `MIN_TEXTS_PER_CLASS` of each label, `fit`
returns the fallback: a small lexicon scorer with negation (`insights.ml.sentiment_rules`, nothing
downloaded). Averaging two models beat either alone and one model on both feature sets
concatenated: 5-fold accuracy on the airline tweets 0.838 against 0.822, 0.815 and 0.828
(bench/RESULTS.md).

Politeness is not praise (#13). On the demo organisation (seed 7: 6,702 survey comments, 3,178
tickets) 1,694 tickets scored positive: every how-to ticket ("Hi team, how do I change our billing
email?", mean score 0.83) and 45 % of the tickets reporting a problem. Not the courtesy words (the
redacted ticket has lost its sign-off already; the TF-IDF half alone calls 1,800 tickets positive
on the redacted text, 1,799 on the clustering text) but the ratings: 1,445 tickets carried a
CSAT, which rates how support handled the ticket after its text was written, and 191 of the 218
rated how-to tickets and 564 of the 1,227 rated problem tickets had CSAT 4–5. Two rules follow
(figures in bench/RESULTS.md):

- A support ticket's rating gives its text no polarity (`polarity_from_scores(source=…)`): trained
  on the survey comments alone, the demo's problem tickets are all negative and praise stays
  positive.
- A plain ask (`sentiment_rules.plain_ask`: questions and requests with courtesy around them and
  no word that judges) is never praise: its P(positive) goes to neutral. Whether it is a complaint
  the model may know, if its rated comments held at least `MIN_RATED_ASKS` (100) plain asks;
  otherwise it is neutral, keeping `ASK_MODEL_SHARE` (a quarter) of the model's probabilities.
  Survey comments hardly ever ask how to do something (none of the demo's 6,702 do), and a model
  trained on them judges a how-to question by the requests it knows, those inside complaints
  ("Can exports run in the background?"): it called 81 % of the demo's how-to tickets negative.
  Where ratings do cover asks the model is trusted: 591 airline tweets (4 %) are plain asks, 73 %
  of them labelled neutral, 24 % negative ("so what's the solution?"); the model gets 82 % of them
  right (78 % with none in training, 80 % with 100), the rule 73 %.

The fallback scores the text without its greeting, closing and signature ("Thanks, Ana" is not
praise), and a plain ask 0.

No ORM here: texts and labels in, `SentimentPrediction` out. The embedding model loads lazily,
only when vectors are needed and not passed in.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold

from insights.ml.sentiment_rules import (
    label_from_score,
    lexicon_score,
    normalise,
    plain_ask,
    without_courtesy,
)

LABELS = ("negative", "neutral", "positive")

# Below this many rated comments, or with a class (nearly) missing, the lexicon is the better bet.
# On the airline tweets (lexicon: accuracy 0.56, macro-F1 0.56) a model trained on 300 random
# texts reaches accuracy 0.75 but macro-F1 only 0.62 (rare classes still unlearnt); on 1,000 texts
# 0.80 and 0.72. 500 is where both figures are clearly past the lexicon's.
MIN_TRAINING_TEXTS = 500
MIN_TEXTS_PER_CLASS = 20

FORMAT = "backlight-sentiment/1"
TRAINED_METHOD = "tfidf-lr+minilm-lr/2"
LEXICON_METHOD = "lexicon/2"

# A plain ask (`insights.ml.sentiment_rules.plain_ask`) is never praise: its P(positive) goes to
# neutral. A trained model has learnt whether it is a complaint when it saw at least this many
# plain asks among its rated comments; below, the rule decides: the text is neutral, keeping this
# share of the model's probabilities (so its label is neutral and its score within ±0.25).
MIN_RATED_ASKS = 100
ASK_MODEL_SHARE = 0.25
# Ratings on these sources judge what happened after the text was written (how support handled
# the ticket), not the text itself.
_RATINGS_NOT_ABOUT_TEXT = frozenset({"support_ticket"})

# Regularisation and vote weight, tuned lightly by 5-fold CV on the airline tweets
# (bench/RESULTS.md, "Sentiment: airline tweets").
TFIDF_C = 4.0
EMBEDDING_C = 4.0
TFIDF_WEIGHT = 0.5
# Keeps the model and its fit bounded on 100k comments; the tail holds single typos.
MAX_WORD_FEATURES = 200_000
MAX_CHAR_FEATURES = 300_000


def polarity_from_scores(
    *,
    nps: int | None = None,
    csat: int | None = None,
    ces: int | None = None,
    source: str = "",
) -> str | None:
    """The polarity a rating gives the comment that came with it; None without a usable rating.

    NPS 0–6 negative, 7–8 neutral, 9–10 positive; CSAT 1–2 negative, 3 neutral, 4–5 positive;
    CES on the 1–7 "how much effort" scale, where high effort is bad: 1–3 positive, 4 neutral,
    5–7 negative. When several are given the first usable of NPS, CSAT, CES decides: NPS is the
    most common and the best studied. Out-of-range values count as missing. A support ticket's
    rating (`source="support_ticket"`) gives none: it rates how the ticket was handled, after
    its text was written ("How do I …?" rated 5 for a quick answer is not praise).
    """
    if source in _RATINGS_NOT_ABOUT_TEXT:
        return None
    if nps is not None and 0 <= nps <= 10:
        return "negative" if nps <= 6 else "neutral" if nps <= 8 else "positive"
    if csat is not None and 1 <= csat <= 5:
        return "negative" if csat <= 2 else "neutral" if csat == 3 else "positive"
    if ces is not None and 1 <= ces <= 7:
        return "positive" if ces <= 3 else "neutral" if ces == 4 else "negative"
    return None


@dataclass(frozen=True)
class SentimentPrediction:
    scores: np.ndarray  # float64, −1..1
    labels: list[str]


# --- the trained model ------------------------------------------------------------------------

# Words of one letter count too ("i", "u"), as do "@user", "!" and "?".
_WORD_PATTERN = r"(?u)@?\b\w+\b|[!?]"


def _vectorizers() -> tuple[TfidfVectorizer, TfidfVectorizer]:
    words = TfidfVectorizer(
        ngram_range=(1, 2),
        sublinear_tf=True,
        min_df=2,
        max_features=MAX_WORD_FEATURES,
        token_pattern=_WORD_PATTERN,
        dtype=np.float32,
    )
    chars = TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=(2, 5),
        sublinear_tf=True,
        min_df=2,
        max_features=MAX_CHAR_FEATURES,
        dtype=np.float32,
    )
    return words, chars


def _logistic(c: float, seed: int) -> LogisticRegression:
    return LogisticRegression(C=c, max_iter=3000, random_state=seed)


def _embed(texts: Sequence[str]) -> np.ndarray:
    from insights.ml.embeddings import embed

    return embed(list(texts))


def _embedding_version() -> str:
    from insights.ml.embeddings import embedding_version

    return embedding_version()


class SentimentModel:
    """Either the trained two-part model or the lexicon fallback; build with `fit`, `fallback`
    or `loads`."""

    def __init__(
        self,
        *,
        version: str,
        trained_on: int,
        word_vectorizer: TfidfVectorizer | None = None,
        char_vectorizer: TfidfVectorizer | None = None,
        tfidf_model: LogisticRegression | None = None,
        embedding_model: LogisticRegression | None = None,
        tfidf_weight: float = TFIDF_WEIGHT,
        rated_asks: int = MIN_RATED_ASKS,
    ):
        self.version = version
        self.trained_on = trained_on
        # How many of the rated comments it learnt from were plain asks.
        self.rated_asks = rated_asks
        self._words = word_vectorizer
        self._chars = char_vectorizer
        self._tfidf_model = tfidf_model
        self._embedding_model = embedding_model
        self._tfidf_weight = tfidf_weight

    def __repr__(self) -> str:
        return f"SentimentModel(version={self.version!r}, trained_on={self.trained_on})"

    @property
    def is_fallback(self) -> bool:
        return self._tfidf_model is None

    @property
    def needs_vectors(self) -> bool:
        return not self.is_fallback

    @property
    def asks_learnt(self) -> bool:
        """Whether the model saw enough plain asks to be trusted on them (else the rule)."""
        return not self.is_fallback and self.rated_asks >= MIN_RATED_ASKS

    @classmethod
    def fallback(cls) -> SentimentModel:
        return cls(version=LEXICON_METHOD, trained_on=0)

    @classmethod
    def fit(
        cls,
        texts: Sequence[str],
        labels: Sequence[str],
        *,
        vectors: np.ndarray | None = None,
        seed: int = 0,
    ) -> SentimentModel:
        """Learn from rated comments (labels from `LABELS`); the fallback when there are fewer
        than `MIN_TRAINING_TEXTS` of them or fewer than `MIN_TEXTS_PER_CLASS` in some class.
        `vectors` are the texts' MiniLM embeddings when the caller has them already."""
        texts = [str(t) for t in texts]
        y = np.asarray(list(labels), dtype=object)
        if len(texts) != len(y):
            raise ValueError(f"{len(texts)} texts but {len(y)} labels.")
        unknown = set(y) - set(LABELS)
        if unknown:
            raise ValueError(f"Unknown labels {sorted(map(str, unknown))}; expected {LABELS}.")
        counts = {label: int(np.sum(y == label)) for label in LABELS}
        if len(texts) < MIN_TRAINING_TEXTS or min(counts.values()) < MIN_TEXTS_PER_CLASS:
            return cls.fallback()
        if vectors is None:
            vectors = _embed(texts)
        vectors = _checked_vectors(vectors, len(texts))
        y = y.astype(str)

        normalised = [normalise(t) for t in texts]
        words, chars = _vectorizers()
        features = sp.hstack(
            [words.fit_transform(normalised), chars.fit_transform(normalised)], format="csr"
        )
        tfidf_model = _logistic(TFIDF_C, seed).fit(features, y)
        embedding_model = _logistic(EMBEDDING_C, seed).fit(vectors, y)
        return cls(
            version=f"{TRAINED_METHOD}+{_embedding_version()}",
            trained_on=len(texts),
            word_vectorizer=words,
            char_vectorizer=chars,
            tfidf_model=tfidf_model,
            embedding_model=embedding_model,
            rated_asks=sum(plain_ask(text) for text in texts),
        )

    def probabilities(
        self, texts: Sequence[str], *, vectors: np.ndarray | None = None
    ) -> np.ndarray:
        """P(label) per text, columns in `LABELS` order (trained model only). A plain ask is
        never positive (that probability goes to neutral); one the model has not learnt is
        neutral: `ASK_MODEL_SHARE` of the model's probabilities, the rest on neutral."""
        if self.is_fallback:
            raise ValueError("The lexicon fallback gives scores, not probabilities.")
        texts = [str(t) for t in texts]
        if not texts:
            return np.zeros((0, len(LABELS)))
        if vectors is None:
            vectors = _embed(texts)
        vectors = _checked_vectors(vectors, len(texts))
        normalised = [normalise(t) for t in texts]
        features = sp.hstack(
            [self._words.transform(normalised), self._chars.transform(normalised)], format="csr"
        )
        tfidf = _in_label_order(self._tfidf_model, self._tfidf_model.predict_proba(features))
        dense = _in_label_order(self._embedding_model, self._embedding_model.predict_proba(vectors))
        proba = self._tfidf_weight * tfidf + (1 - self._tfidf_weight) * dense
        asks = np.fromiter((plain_ask(text) for text in texts), dtype=bool, count=len(texts))
        if asks.any():
            proba[asks] = self._plain_ask_probabilities(proba[asks])
        return proba

    def _plain_ask_probabilities(self, proba: np.ndarray) -> np.ndarray:
        neutral, positive = LABELS.index("neutral"), LABELS.index("positive")
        proba = proba.copy()
        proba[:, neutral] += proba[:, positive]
        proba[:, positive] = 0.0
        if not self.asks_learnt:
            proba *= ASK_MODEL_SHARE
            proba[:, neutral] += 1 - ASK_MODEL_SHARE
        return proba

    def predict(
        self, texts: Sequence[str], *, vectors: np.ndarray | None = None
    ) -> SentimentPrediction:
        texts = [str(t) for t in texts]
        if self.is_fallback:
            scores = np.array(
                [0.0 if plain_ask(t) else lexicon_score(without_courtesy(t)) for t in texts],
                dtype=np.float64,
            )
            return SentimentPrediction(scores, [label_from_score(s) for s in scores])
        proba = self.probabilities(texts, vectors=vectors)
        scores = np.clip(proba[:, 2] - proba[:, 0], -1.0, 1.0)
        return SentimentPrediction(scores, [LABELS[i] for i in proba.argmax(axis=1)])

    # Serialised as an .npz of plain arrays plus a JSON header, loaded with allow_pickle=False:
    # a stored model is data, never code to unpickle.
    def dumps(self) -> bytes:
        header = {
            "format": FORMAT,
            "version": self.version,
            "trained_on": self.trained_on,
            "tfidf_weight": self._tfidf_weight,
            "rated_asks": self.rated_asks,
        }
        arrays: dict[str, np.ndarray] = {}
        if not self.is_fallback:
            for name, vectorizer in (("words", self._words), ("chars", self._chars)):
                terms = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.get)
                arrays[f"{name}_terms"] = _json_array(terms)
                arrays[f"{name}_idf"] = vectorizer.idf_.astype(np.float64)
            for name, model in (("tfidf", self._tfidf_model), ("embedding", self._embedding_model)):
                arrays[f"{name}_coef"] = model.coef_
                arrays[f"{name}_intercept"] = model.intercept_
                arrays[f"{name}_classes"] = _json_array([str(c) for c in model.classes_])
        arrays["header"] = _json_array(header)
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)
        return buffer.getvalue()

    @classmethod
    def loads(cls, data: bytes) -> SentimentModel:
        with np.load(io.BytesIO(data), allow_pickle=False) as stored:
            header = _from_json_array(stored["header"])
            if header.get("format") != FORMAT:
                raise ValueError(f"Not a stored sentiment model ({header.get('format')!r}).")
            if header["trained_on"] == 0:
                return cls.fallback()
            words, chars = _vectorizers()
            for name, vectorizer in (("words", words), ("chars", chars)):
                terms = _from_json_array(stored[f"{name}_terms"])
                vectorizer.vocabulary = {term: i for i, term in enumerate(terms)}
                vectorizer.idf_ = stored[f"{name}_idf"]
            models = {}
            for name in ("tfidf", "embedding"):
                model = LogisticRegression()
                model.coef_ = stored[f"{name}_coef"]
                model.intercept_ = stored[f"{name}_intercept"]
                model.classes_ = np.array(_from_json_array(stored[f"{name}_classes"]))
                model.n_features_in_ = model.coef_.shape[1]
                models[name] = model
            return cls(
                version=header["version"],
                trained_on=header["trained_on"],
                word_vectorizer=words,
                char_vectorizer=chars,
                tfidf_model=models["tfidf"],
                embedding_model=models["embedding"],
                tfidf_weight=header["tfidf_weight"],
                # A model stored before the rule existed keeps its own judgement of asks.
                rated_asks=header.get("rated_asks", MIN_RATED_ASKS),
            )


def _checked_vectors(vectors: np.ndarray, rows: int) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim != 2 or vectors.shape[0] != rows:
        raise ValueError(f"Expected one vector per text ({rows}), got shape {vectors.shape}.")
    return vectors


def _in_label_order(model: LogisticRegression, proba: np.ndarray) -> np.ndarray:
    order = [list(model.classes_).index(label) for label in LABELS]
    return proba[:, order]


def _json_array(value) -> np.ndarray:
    return np.frombuffer(json.dumps(value).encode(), dtype=np.uint8)


def _from_json_array(array: np.ndarray):
    return json.loads(array.tobytes().decode())


def cross_validate(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    folds: int = 5,
    seed: int = 0,
    vectors: np.ndarray | None = None,
) -> dict:
    """Stratified k-fold accuracy and macro-F1 of `SentimentModel.fit`/`predict` — the same
    trainer the product runs, fallback included when a fold is too small. The embeddings are
    computed once for all folds; `seconds` counts them."""
    started = time.perf_counter()
    texts = [str(t) for t in texts]
    y = np.asarray([str(label) for label in labels])
    if len(texts) != len(y):
        raise ValueError(f"{len(texts)} texts but {len(y)} labels.")
    unknown = set(y) - set(LABELS)
    if unknown:
        raise ValueError(f"Unknown labels {sorted(unknown)}; expected {LABELS}.")
    present, counts = np.unique(y, return_counts=True)
    if len(present) < 2:
        raise ValueError("Cross-validation needs at least 2 classes.")
    if counts.min() < folds:
        raise ValueError(
            f"Every class needs at least {folds} rows for {folds}-fold cross-validation "
            f"({dict(zip(present.tolist(), counts.tolist(), strict=True))})."
        )
    if vectors is None and len(texts) >= MIN_TRAINING_TEXTS:
        vectors = _embed(texts)
    if vectors is not None:
        vectors = _checked_vectors(vectors, len(texts))
    predicted = np.empty(len(texts), dtype=object)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, test in splitter.split(np.zeros(len(y)), y):
        model = SentimentModel.fit(
            [texts[i] for i in train],
            y[train],
            vectors=None if vectors is None else vectors[train],
            seed=seed,
        )
        prediction = model.predict(
            [texts[i] for i in test],
            vectors=None if vectors is None or model.is_fallback else vectors[test],
        )
        predicted[test] = prediction.labels
    predicted = predicted.astype(str)
    return {
        "accuracy": float(accuracy_score(y, predicted)),
        "macro_f1": float(f1_score(y, predicted, average="macro", labels=present)),
        "rows": len(texts),
        "seconds": round(time.perf_counter() - started, 1),
    }
