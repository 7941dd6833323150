"""Feedback text hygiene: normalisation, language detection and PII redaction (no database)."""

import json
import re
from pathlib import Path

import pytest

from insights.ml.text import (
    REDACTION_VERSION,
    Redaction,
    language_detect,
    redact,
    redact_many,
    text_normalize,
)

CASES = json.loads(
    (Path(__file__).parents[2] / "fixtures" / "redaction_cases.json").read_text(encoding="utf-8")
)
PLACEHOLDER = re.compile(r"\[(?:EMAIL|PHONE|CARD|IBAN|ACCOUNT|URL|NAME)\]")
TICKET = "support_ticket"


# --- text_normalize ----------------------------------------------------------------------------


def test_normalize_strips_html_and_unescapes_entities():
    html = "<p>The <b>export</b> fails&nbsp;&amp; crashes.</p><p>It&#39;s bad<br>since Monday</p>"

    assert text_normalize(html) == "The export fails & crashes.\nIt's bad\nsince Monday"


def test_normalize_drops_scripts_and_comments_but_keeps_angle_bracketed_emails():
    text = "<script>alert(1)</script><!-- x -->Mail <ana@b.com> says 3 < 5"

    assert text_normalize(text) == "Mail <ana@b.com> says 3 < 5"


def test_normalize_collapses_whitespace_and_removes_invisible_characters():
    text = "Hello\u200b  wor\u00adld\x07\t!\r\n\n\n\n  New   para\ufeff  \n"

    assert text_normalize(text) == "Hello world !\nNew para"


def test_normalize_leaves_quotes_and_signatures_outside_support_tickets():
    text = "Broken.\n> quoted\nThanks,\nBob"

    assert text_normalize(text) == text
    assert text_normalize(text, source=TICKET) == "Broken."


@pytest.mark.parametrize(
    ("ticket", "expected"),
    [
        (
            "The export is broken.\n\nOn Tue, 3 Mar 2026 at 10:00, Ana <a@b.com> wrote:\n> Hi?",
            "The export is broken.",
        ),
        (
            "Still broken.\nOn Tue, 3 Mar 2026 at 10:00, Ana Silva <ana.silva@example.com>\n"
            "wrote:\nold text",
            "Still broken.",
        ),
        ("Still broken.\n> quoted line\nMore detail here.", "Still broken.\nMore detail here."),
        ("Fixed!\n\n-----Original Message-----\nFrom: Support\nSent: Monday", "Fixed!"),
        (
            "Works now.\n\nFrom: Ana <a@b.com>\nSent: Tuesday, March 3, 2026\nSubject: Re: export",
            "Works now.",
        ),
        ("Please call me.\n-- \nAna Silva\nAcme Corp | +44 20 7946 0958", "Please call me."),
        ("It crashes on login.\n\nSent from my iPhone", "It crashes on login."),
        ("The total is wrong.\n\nBest regards,\nAna Silva\nAcme Corp", "The total is wrong."),
        ("The total is wrong.\nThanks,\nBob", "The total is wrong."),
        ("The total is wrong. Thanks, Bob", "The total is wrong."),
        (
            "<div>Export broken</div><div>On Tue, 3 Mar 2026 at 10:00, Ana &lt;a@b.com&gt; "
            "wrote:</div><blockquote>old</blockquote>",
            "Export broken",
        ),
    ],
)
def test_normalize_strips_quoted_replies_and_signatures_from_tickets(ticket, expected):
    assert text_normalize(ticket, source=TICKET) == expected


def test_normalize_keeps_sentences_that_only_start_like_a_closing():
    text = "Thanks, the export is broken again.\nThanks, works now"

    assert text_normalize(text, source=TICKET) == text


def test_normalize_keeps_the_quoted_text_when_stripping_would_leave_nothing():
    # given a forwarded ticket whose only content is the quoted part
    ticket = (
        "<p>On Tue, 3 Mar 2026 at 10:00, Ana &lt;a@b.com&gt; wrote:</p><p>&gt; Export broken</p>"
    )

    # when it is normalised
    normalized = text_normalize(ticket, source=TICKET)

    # then the HTML is cleaned but the quote is kept rather than returning nothing
    assert normalized == "On Tue, 3 Mar 2026 at 10:00, Ana <a@b.com> wrote:\n> Export broken"


def test_normalize_empty_text_stays_empty():
    assert text_normalize("  \n\u200b ", source=TICKET) == ""


# --- language_detect ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("The app keeps crashing when I try to export my reports", "en"),
        ("It would be nice to have an export to Excel", "en"),
        ("Die App stürzt immer ab, wenn ich den Bericht exportiere", "de"),
        ("Der Support war super und hat mir schnell geholfen", "de"),
        ("L'application plante quand j'exporte mes rapports", "fr"),
        ("Le support a été très rapide et efficace", "fr"),
        ("La aplicación se cierra cuando intento exportar los informes", "es"),
        ("¿Por qué no funciona la exportación a Excel?", "es"),
        ("De app crasht steeds als ik het rapport exporteer", "nl"),
        ("Bedankt voor de update, het werkt nu veel beter", "nl"),
        ("Não consigo mudar minha senha desde ontem", "pt"),
        ("O suporte foi muito rápido e atencioso", "pt"),
        ("Non riesco a cambiare la mia password da ieri", "it"),
        ("Perché l'esportazione in Excel non funziona?", "it"),
    ],
)
def test_language_detect_recognises_ordinary_feedback(text, language):
    assert language_detect(text) == language


@pytest.mark.parametrize(
    "text", ["", "   ", "ok", "👍", "12345", "thanks!", "Backlight v2.3.1", "asdf qwer zxcv uiop"]
)
def test_language_detect_is_unsure_without_evidence(text):
    assert language_detect(text) == ""


# --- redact ------------------------------------------------------------------------------------


def test_fixture_corpus_is_large_and_covers_every_kind():
    kinds = {m.group() for case in CASES for m in PLACEHOLDER.finditer(case["expected"])}

    assert len(CASES) >= 60
    assert kinds == {f"[{k}]" for k in ("EMAIL", "PHONE", "CARD", "IBAN", "ACCOUNT", "URL", "NAME")}


@pytest.mark.parametrize("case", CASES, ids=lambda case: case["text"][:40])
def test_redact_matches_the_fixture_corpus(case):
    assert redact(case["text"]).text == case["expected"]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case["text"][:40])
def test_redact_spans_point_at_the_original_text(case):
    # given the original text and its redaction
    original = case["text"]
    result = redact(original)

    # when the spans are replaced by their placeholders, in order
    rebuilt, cursor = [], 0
    for start, end, kind in result.spans:
        assert cursor <= start < end <= len(original)
        assert not PLACEHOLDER.fullmatch(original[start:end])
        rebuilt += [original[cursor:start], f"[{kind}]"]
        cursor = end
    rebuilt.append(original[cursor:])

    # then the result is the redacted text: spans are sorted, disjoint and in original offsets
    assert "".join(rebuilt) == result.text


def test_redact_spans_name_the_kind_and_the_original_characters():
    text = "Hi Ana, mail ana@acme.io or call +44 20 7946 0958"

    spans = redact(text).spans

    assert [(text[s:e], kind) for s, e, kind in spans] == [
        ("Ana", "NAME"),
        ("ana@acme.io", "EMAIL"),
        ("+44 20 7946 0958", "PHONE"),
    ]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case["text"][:40])
def test_redact_is_idempotent(case):
    once = redact(case["text"]).text

    twice = redact(once)

    assert twice.text == once
    assert twice.spans == ()


def test_redact_prefers_the_longest_candidate():
    # an email inside a URL carrying a token is covered by the URL, not split in two
    text = "Go to https://example.com/login?user=ana@acme.io&token=s3cr3t now"

    result = redact(text)

    assert result.text == "Go to [URL] now"
    assert [kind for _, _, kind in result.spans] == ["URL"]


def test_redact_returns_a_frozen_dataclass():
    result = redact("call 020 7946 0958")

    assert result == Redaction(text="call [PHONE]", spans=((5, 18, "PHONE"),))
    with pytest.raises(AttributeError):
        result.text = "changed"  # type: ignore[misc]


def test_redact_many_equals_redact_one_by_one():
    texts = [case["text"] for case in CASES]

    assert redact_many(texts) == [redact(text) for text in texts]


def test_redact_many_accepts_an_empty_batch():
    assert redact_many([]) == []


def test_redaction_version_is_a_non_empty_string():
    assert isinstance(REDACTION_VERSION, str)
    assert REDACTION_VERSION
