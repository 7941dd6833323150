import random
import time
from pathlib import Path

import pandas as pd
import pytest

from insights.ml.clustering_text import corpus_names, text_for_clustering, texts_for_clustering
from insights.ml.text import redact

# ---------------------------------------------------------------------------------------------
# Handles, URLs, e-mails, placeholders


def test_handles_urls_and_emails_are_removed():
    text = (
        "@united @AmericanAir my bag never arrived, see https://t.co/AbC123 and www.example.com/x "
        "or write to jane.doe@example.com"
    )

    assert text_for_clustering(text) == "my bag never arrived, see and or write to"


def test_an_email_address_is_not_taken_for_a_handle():
    assert text_for_clustering("Refund to bob@mail.example.org please") == "Refund to please"


def test_every_placeholder_the_redactor_writes_is_removed():
    redacted = redact(
        "Hi, my name is Jane Smith. Card 4111 1111 1111 1111 was charged twice, IBAN "
        "GB82 WEST 1234 5698 7654 32, account number 12345678, call +44 20 7946 0958, "
        "mail jane@example.com, reset link https://example.com/reset?token=abc123"
    ).text
    kinds = {"[NAME]", "[CARD]", "[IBAN]", "[ACCOUNT]", "[PHONE]", "[EMAIL]", "[URL]"}
    assert kinds <= {word.strip(",.") for word in redacted.split()}

    masked = text_for_clustering(redacted)

    assert "[" not in masked
    assert "]" not in masked
    assert "charged twice" in masked


# ---------------------------------------------------------------------------------------------
# Greetings


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hi team, my invoice shows the wrong VAT.", "my invoice shows the wrong VAT."),
        ("Hello Acme support,\nThe CSV export fails.", "The CSV export fails."),
        ("Dear Sir/Madam, I was charged twice.", "I was charged twice."),
        ("Dear [NAME],\n\nThe export times out.", "The export times out."),
        ("Hi, my card was declined.", "my card was declined."),
        ("Hi I cannot log in since Monday.", "I cannot log in since Monday."),
        ("hey there my refund is late", "my refund is late"),
        ("Good morning! The dashboard is blank.", "The dashboard is blank."),
        ("@united Hi, Virgin! I'm on hold again.", "I'm on hold again."),
        ("To whom it may concern: my parcel is lost.", "my parcel is lost."),
    ],
)
def test_a_greeting_at_the_start_is_removed(text, expected):
    assert text_for_clustering(text) == expected


def test_a_greeting_keeps_the_capitalised_content_after_it():
    # Without punctuation, only the greeting goes: "Flight" may be what the message is about.
    assert text_for_clustering("Hey Flight 123 was late") == "Flight 123 was late"


def test_a_greeting_inside_the_text_stays():
    text = "The agent said hi and then hung up on me."

    assert text_for_clustering(text) == text


# ---------------------------------------------------------------------------------------------
# Sign-offs and signatures


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The app crashes on login. Thanks, John", "The app crashes on login."),
        ("The app crashes on login. Thanks!", "The app crashes on login."),
        ("Export is broken.\n\nBest regards\nJane Doe\nAcme Inc", "Export is broken."),
        (
            "Export is broken.\nKind regards,\nJane Doe\nHead of Ops\n+1 555 0100",
            "Export is broken.",
        ),
        ("Please fix the refund.\nThanks in advance!\n[NAME]", "Please fix the refund."),
        ("Please fix the refund. Thanks, [NAME]", "Please fix the refund."),
        ("The sync fails.\nCheers,\nAcme Ltd, Finance", "The sync fails."),
        ("Search is slow. Thanks for your help. Cheers, Tom", "Search is slow."),
        ("Where is my parcel?\n\nSent from my iPhone", "Where is my parcel?"),
        ("My order is late, thanks", "My order is late"),
        ("Billing is wrong. Have a nice day!", "Billing is wrong."),
    ],
)
def test_a_sign_off_at_the_end_is_removed(text, expected):
    assert text_for_clustering(text) == expected


def test_thanks_that_carries_content_stays():
    text = "Thanks for nothing, you lost my bag."

    assert text_for_clustering(text) == text
    assert text_for_clustering("Lost my bag again. Thanks for nothing") == (
        "Lost my bag again. Thanks for nothing"
    )


# ---------------------------------------------------------------------------------------------
# Quoted replies and ticket footers


def test_quoted_reply_and_original_message_are_cut():
    text = (
        "The refund still has not arrived.\n\n"
        "-----Original Message-----\nFrom: Acme Support\nSent: Monday\n"
        "Subject: Your refund\nWe have processed your refund."
    )

    assert text_for_clustering(text) == "The refund still has not arrived."


def test_on_date_wrote_and_quoted_lines_are_cut():
    text = (
        "Still broken after the update.\n\n"
        "On Mon, 3 Feb 2025 at 10:00, Acme Support <help@acme.example> wrote:\n"
        "> Please try reinstalling the app.\n> Regards"
    )

    assert text_for_clustering(text) == "Still broken after the update."


def test_ticket_numbers_and_disclaimers_are_removed():
    text = (
        "[Ticket #12345] The invoice PDF is empty. Case ID: CS-99881\n"
        "This email and any attachments are confidential and intended solely for the addressee."
    )

    assert text_for_clustering(text) == "The invoice PDF is empty."


@pytest.mark.parametrize(
    "text",
    [
        "I sent from my savings account two payments that never arrived.",
        "This message is intended to complain about the new pricing.",
        "In case 123 people complain, fix the export.",
    ],
)
def test_footer_words_inside_a_sentence_stay(text):
    assert text_for_clustering(text) == text


def test_a_help_desk_reply_line_is_cut():
    text = "The sync keeps failing.\n##- Please type your reply above this line -##\nAcme Desk"

    assert text_for_clustering(text) == "The sync keeps failing."


# ---------------------------------------------------------------------------------------------
# Names


def test_given_names_are_masked_in_any_case_with_hashtags_and_possessives():
    names = frozenset({"zentrix", "us airways"})
    text = "Zentrix's app logs me out. #zentrix ZENTRIX fix it, like US  Airways did"

    assert text_for_clustering(text, names=names) == "app logs me out. fix it, like did"


def test_names_are_whole_words_only():
    names = frozenset({"acme"})

    assert text_for_clustering("Acmes and acme-like tools", names=names) == (
        "Acmes and -like tools"
    )


TOPICS = {
    "refund": [
        "I asked for a refund {d} and it never arrived",
        "the refund for my cancelled order is missing",
        "still waiting on my refund, it has been {d}",
        "why is my refund taking so long",
    ],
    "login": [
        "I cannot log in, the password reset link is broken",
        "login fails with an error since {d}",
        "two factor code never comes so I cannot sign in",
        "my password does not work anymore",
    ],
    "delivery": [
        "the parcel was delivered to the wrong address",
        "my delivery is late by {d}",
        "courier left the package in the rain",
        "tracking says delivered but no parcel",
    ],
    "crash": [
        "the app crashes when I open settings",
        "app keeps freezing on the home screen since {d}",
        "after the update the app closes by itself",
        "it crashed twice while paying",
    ],
    "billing": [
        "the Quillo Plan charged me twice {d}",
        "I was billed for the Quillo Plan after cancelling",
        "the invoice for Quillo Plan shows the wrong price",
        "why did Quillo Plan go up in price",
    ],
}
WHEN = ["yesterday", "last week", "two days", "this morning", "a month"]


def _brand_corpus(seed: int = 0) -> list[str]:
    """Support messages on five unrelated topics; about half of them, whatever the topic,
    address the brand Zentrix (as @Zentrix or by name). "Quillo Plan" is a product named only in
    billing messages: a topic, not an addressee."""
    rng = random.Random(seed)
    texts = []
    for index in range(300):
        topic = list(TOPICS)[index % len(TOPICS)]
        body = rng.choice(TOPICS[topic]).format(d=rng.choice(WHEN))
        sentence = body[0].upper() + body[1:]
        form = rng.random()
        if form < 0.3:
            text = f"@Zentrix {body}"
        elif form < 0.5:
            text = f"Hi, {body} and Zentrix support ignores me"
        elif form < 0.6:
            text = f"{sentence}. Zentrix please help"
        else:
            text = f"{sentence}."
        texts.append(text)
    return texts


def test_corpus_names_find_the_brand_that_occurs_across_topics():
    names = corpus_names(_brand_corpus())

    assert "zentrix" in names


def test_corpus_names_find_a_company_named_only_in_greetings_and_footers():
    # Every mention of "Kalvo" comes with the same template words ("support", "ticket",
    # "confidential"); compared on what the messages say, they are spread over all topics.
    rng = random.Random(1)
    texts = []
    for index, bodies in enumerate(list(TOPICS.values()) * 60):
        body = rng.choice(bodies).format(d=rng.choice(WHEN))
        if index % 3 == 0:
            text = f"Hello Kalvo support,\n{body}\n[Ticket #{index + 1000}] Kalvo Support\n"
            text += "This email and any attachments are confidential."
        elif index % 3 == 1:
            text = f"Dear Kalvo team, {body}. Thanks, [NAME]"
        else:
            text = f"{body}."
        texts.append(text)

    masked, names = texts_for_clustering(texts)

    assert "kalvo" in names
    assert not names & {"support", "ticket", "confidential", "refund", "parcel", "quillo"}
    assert not any("kalvo" in text.lower() or "ticket" in text.lower() for text in masked)


def test_corpus_names_leave_topical_words_and_a_topical_product_alone():
    names = corpus_names(_brand_corpus())

    topical = {"refund", "login", "password", "parcel", "delivery", "app", "crashes", "invoice"}
    assert not names & topical
    assert not names & {"quillo", "plan", "quillo plan"}
    assert not names & {"support", "help", "please"}


def test_the_spread_rule_is_what_keeps_the_topical_product_out():
    # "Quillo" is capitalised, frequent and not English: only its one-topic spread tells it apart.
    assert "quillo" in corpus_names(_brand_corpus(), max_cohesion=10.0)
    assert "quillo" not in corpus_names(_brand_corpus())


def test_corpus_names_need_the_name_to_be_frequent():
    texts = _brand_corpus()
    # The brand in 4 of 300 messages is below the 5-text floor.
    rare = [
        text.replace("Zentrix", "Qorvane") if i < 4 else text.replace("Zentrix", "")
        for i, text in enumerate(texts)
        if "Zentrix" in text
    ]

    assert "qorvane" not in corpus_names(rare + [t for t in texts if "Zentrix" not in t])


def test_corpus_names_are_deterministic_and_empty_for_no_texts():
    texts = _brand_corpus(seed=3)

    assert corpus_names(texts) == corpus_names(list(texts))
    assert corpus_names([]) == frozenset()


def test_texts_for_clustering_masks_the_corpus_names_in_every_text():
    texts = _brand_corpus()

    masked, names = texts_for_clustering(texts)

    assert "zentrix" in names
    assert len(masked) == len(texts)
    assert not any("zentrix" in text.lower() for text in masked)
    assert any("Quillo Plan" in text for text in masked)
    assert all(masked)


# ---------------------------------------------------------------------------------------------
# Never empty, whitespace, cost


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("@united thanks!", "thanks!"),
        ("Hi team,\nThanks, John", "Hi team, Thanks, John"),
        ("@united", "@united"),
        ("Zentrix", "Zentrix"),
    ],
)
def test_never_empty_when_the_text_had_words(text, expected):
    assert text_for_clustering(text, names=frozenset({"zentrix"})) == expected


def test_whitespace_is_collapsed():
    assert text_for_clustering("  the   export\n\n\tfails  \n") == "the export fails"


def test_empty_text_stays_empty():
    assert text_for_clustering("") == ""
    assert text_for_clustering("   ") == ""


def test_pathological_inputs_stay_fast():
    texts = [
        "Hi " + "Acme " * 5_000,
        "broken. " + "Thanks, " * 5_000,
        "On " + "x" * 20_000,
        "@a " * 5_000,
        "ticket " * 5_000 + "12",
    ]
    started = time.perf_counter()

    for text in texts:
        text_for_clustering(text, names=frozenset({"acme"}))

    assert time.perf_counter() - started < 2.0


# ---------------------------------------------------------------------------------------------
# The airline tweets: themes followed the addressee

TWEETS = Path(__file__).resolve().parents[3].parent / "shared/data/airline_tweets/Tweets.csv"


@pytest.mark.skipif(not TWEETS.is_file(), reason="airline_tweets is not beside this checkout")
def test_airline_tweets_names_are_the_airlines_and_no_topic():
    frame = pd.read_csv(TWEETS)
    texts = frame.loc[frame["airline_sentiment"] == "negative", "text"].astype(str).tolist()

    names = corpus_names(texts)

    airlines = {"united", "usairways", "americanair", "southwestair", "jetblue", "virginamerica"}
    assert airlines <= names
    topical = {"flight", "card", "luggage", "delayed", "refund", "bag", "cancelled", "hold"}
    assert not names & topical
    assert not names & {"customer", "service", "late", "booking", "jfk", "dfw"}
