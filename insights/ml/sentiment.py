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
returns the fallback: a small lexicon scorer with negation, written below (nothing downloaded).
Averaging two models beat either alone and one model on both feature sets concatenated: 5-fold
accuracy on the airline tweets 0.838 against 0.822, 0.815 and 0.828 (bench/RESULTS.md).

No ORM here: texts and labels in, `SentimentPrediction` out. The embedding model loads lazily,
only when vectors are needed and not passed in.
"""

from __future__ import annotations

import io
import json
import math
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold

LABELS = ("negative", "neutral", "positive")

# Below this many rated comments, or with a class (nearly) missing, the lexicon is the better bet.
# On the airline tweets (lexicon: accuracy 0.56, macro-F1 0.56) a model trained on 300 random
# texts reaches accuracy 0.75 but macro-F1 only 0.62 (rare classes still unlearnt); on 1,000 texts
# 0.80 and 0.72. 500 is where both figures are clearly past the lexicon's.
MIN_TRAINING_TEXTS = 500
MIN_TEXTS_PER_CLASS = 20

FORMAT = "backlight-sentiment/1"
TRAINED_METHOD = "tfidf-lr+minilm-lr/1"
LEXICON_METHOD = "lexicon/1"

# Regularisation and vote weight, tuned lightly by 5-fold CV on the airline tweets
# (bench/RESULTS.md, "Sentiment: airline tweets").
TFIDF_C = 4.0
EMBEDDING_C = 4.0
TFIDF_WEIGHT = 0.5
# Keeps the model and its fit bounded on 100k comments; the tail holds single typos.
MAX_WORD_FEATURES = 200_000
MAX_CHAR_FEATURES = 300_000


def polarity_from_scores(
    *, nps: int | None = None, csat: int | None = None, ces: int | None = None
) -> str | None:
    """The polarity a rating gives the comment that came with it; None without a usable rating.

    NPS 0–6 negative, 7–8 neutral, 9–10 positive; CSAT 1–2 negative, 3 neutral, 4–5 positive;
    CES on the 1–7 "how much effort" scale, where high effort is bad: 1–3 positive, 4 neutral,
    5–7 negative. When several are given the first usable of NPS, CSAT, CES decides: NPS is the
    most common and the best studied. Out-of-range values count as missing.
    """
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


# --- preprocessing ---------------------------------------------------------------------------

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
# Words of one letter count too ("i", "u"), as do "@user", "!" and "?".
_WORD_PATTERN = r"(?u)@?\b\w+\b|[!?]"
_TOKEN = re.compile(r"[:;][-']?[()dp/]|<3|[^\W\d_]+(?:'[a-z]+)?|[^\w\s]", re.IGNORECASE)


def _lexicon_score(text: str) -> float:
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


def _label_from_score(score: float) -> str:
    if score <= -_NEUTRAL_BAND:
        return "negative"
    if score >= _NEUTRAL_BAND:
        return "positive"
    return "neutral"


# --- the trained model ------------------------------------------------------------------------


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
    ):
        self.version = version
        self.trained_on = trained_on
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
        )

    def probabilities(
        self, texts: Sequence[str], *, vectors: np.ndarray | None = None
    ) -> np.ndarray:
        """P(label) per text, columns in `LABELS` order (trained model only)."""
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
        return self._tfidf_weight * tfidf + (1 - self._tfidf_weight) * dense

    def predict(
        self, texts: Sequence[str], *, vectors: np.ndarray | None = None
    ) -> SentimentPrediction:
        texts = [str(t) for t in texts]
        if self.is_fallback:
            scores = np.array([_lexicon_score(t) for t in texts], dtype=np.float64)
            return SentimentPrediction(scores, [_label_from_score(s) for s in scores])
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
                return cls(version=header["version"], trained_on=0)
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
