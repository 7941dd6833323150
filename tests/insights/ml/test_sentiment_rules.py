"""The plain ask: a question or request that judges nothing, told apart from complaints and praise
put politely."""

import random

import pytest

from insights.demo_text import PAIN_POINTS, comment_compose, ticket_compose
from insights.ml.sentiment_rules import plain_ask, text_units
from insights.ml.text import text_normalize


@pytest.mark.parametrize(
    "text",
    [
        "Hi team, how do I change our billing email? Thanks, Ana",
        "How do I archive old projects?\n\nHi support,\n\nCould you tell me how to archive old "
        "projects? I couldn't find it in the help centre.\n\nRegards,\nGiulia",
        "Good morning, could you tell me how to add a user? Call me on [PHONE] if that's easier.",
        "Could you please add a dark mode?",
        "Is there a way to export to PDF",
        "please send me the invoice for March",
        "Where can I change my password?",
        "Hello,\nI'd like to know whether you offer an annual plan.\nBest regards\nJane Doe\nAcme",
        "Not sure how to set up the Okta integration, any tips?",
        "@SomeAirline when can I book my flight to Hawaii?",
        "Can I add a custom field to work orders? Thanks in advance!",
    ],
)
def test_questions_and_requests_that_judge_nothing_are_plain_asks(text):
    assert plain_ask(text)


@pytest.mark.parametrize(
    "text",
    [
        # praise, with or without thanks
        "Love the new dashboard, thanks!",
        "Thanks!",
        "Great support, could you also add a dark mode?",
        # complaints put politely or as questions
        "Hi team, exports time out every time. Could you look into it? Thanks, Ana",
        "Why does the invoice total differ from the price on the billing page?",
        "Search can't find anything, could you have a look?",
        "Hi,\nSSO is broken again. Can someone look at our setup?",
        "fix the exports please",
        "better search please",
        "How do I stop the app from crashing?",
        "Is the website down?!",
        "Is anyone there???",
        # a statement next to the question: the model decides
        "Exporting the report takes 20 minutes. Can exports run in the background?",
        "We use Okta. How do I add a user?",
        # no question at all
        "Hi team,",
        "",
        "Does the job for our ops team.",
    ],
)
def test_complaints_praise_and_statements_are_not_plain_asks(text):
    assert not plain_ask(text)


def test_a_signature_after_the_closing_is_not_a_unit():
    units = text_units("How do I add a user?\nKind regards\nJane Doe\nHead of Ops\nAcme Inc")

    assert units == ["How do I add a user?"]


def test_the_demo_how_to_tickets_are_the_plain_asks_among_its_texts():
    # given tickets and comments as the demo writes them, raw and as the pipeline cleans tickets
    rng = random.Random(3)
    keys = [pain.key for pain in PAIN_POINTS]
    tickets = [
        (
            pain is None,
            ticket_compose(
                rng, pain_point=pain, requester="Ana Silva", requester_email="ana@x.example"
            ),
        )
        for pain in [None] * 150 + [rng.choice(keys) for _ in range(300)]
    ]
    comments = [
        comment_compose(rng, tone=tone, pain_point=rng.choice(keys))
        for tone in ("pain", "mixed", "praise", "generic")
        for _ in range(150)
    ]

    # then exactly the how-to tickets are plain asks
    for how_to, ticket in tickets:
        assert plain_ask(ticket) is how_to, ticket
        assert plain_ask(text_normalize(ticket, source="support_ticket")) is how_to, ticket
    assert not any(plain_ask(comment) for comment in comments)
