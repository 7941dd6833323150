"""A product manager's edits to themes: each goes through a service and is recorded."""

import pytest
from django.core.exceptions import ValidationError

from insights.models import Feedback, Theme, ThemeEdit
from insights.services.themes import (
    feedback_move,
    theme_dismiss,
    theme_merge,
    theme_rename,
    theme_restore,
    theme_split,
)
from tests.insights.factories import FeedbackFactory, ThemeFactory

pytestmark = pytest.mark.django_db


def test_rename_marks_the_label_as_a_person_s_and_records_both_names(role_pm):
    theme = ThemeFactory(label="export csv timeout")

    theme_rename(theme=theme, label="  Exports   time out ", user=role_pm)

    theme.refresh_from_db()
    assert (theme.label, theme.label_edited) == ("Exports time out", True)
    edit = ThemeEdit.objects.get()
    assert (edit.action, edit.user, edit.details) == (
        ThemeEdit.Action.RENAME,
        role_pm,
        {"from": "export csv timeout", "to": "Exports time out"},
    )


@pytest.mark.parametrize("label", ["", "   ", "x" * 121])
def test_a_name_that_is_empty_or_too_long_is_refused(label):
    with pytest.raises(ValidationError):
        theme_rename(theme=ThemeFactory(), label=label)
    assert not ThemeEdit.objects.exists()


def test_merge_moves_and_pins_the_feedback_and_keeps_the_source_as_merged():
    source, target, earlier = ThemeFactory(), ThemeFactory(), ThemeFactory()
    theme_merge(source=earlier, target=source)
    FeedbackFactory.create_batch(3, theme=source)

    theme_merge(source=source, target=target)

    source.refresh_from_db()
    earlier.refresh_from_db()
    assert (source.status, source.merged_into) == (Theme.Status.MERGED, target)
    assert earlier.merged_into == target  # a chain of merges leads straight to the end
    assert Feedback.objects.filter(theme=target, theme_pinned=True).count() == 3
    assert ThemeEdit.objects.filter(action=ThemeEdit.Action.MERGE, theme=target).count() == 1


def test_merging_into_itself_or_into_a_merged_theme_is_refused():
    theme, other, gone = ThemeFactory(), ThemeFactory(), ThemeFactory()
    theme_merge(source=gone, target=other)
    with pytest.raises(ValidationError):
        theme_merge(source=theme, target=theme)
    with pytest.raises(ValidationError):
        theme_merge(source=theme, target=gone)


def test_split_moves_the_chosen_feedback_into_a_new_named_theme():
    theme = ThemeFactory()
    kept, *chosen = FeedbackFactory.create_batch(3, theme=theme)

    new = theme_split(theme=theme, feedback_ids=[item.pk for item in chosen], label="SSO loops")

    assert new.label == "SSO loops"
    assert new.label_edited
    assert set(new.feedback.values_list("pk", flat=True)) == {item.pk for item in chosen}
    assert all(new.feedback.values_list("theme_pinned", flat=True))
    kept.refresh_from_db()
    assert kept.theme == theme


def test_splitting_off_everything_or_nothing_is_refused():
    theme = ThemeFactory()
    items = FeedbackFactory.create_batch(2, theme=theme)
    with pytest.raises(ValidationError):
        theme_split(theme=theme, feedback_ids=[item.pk for item in items], label="All")
    with pytest.raises(ValidationError):
        theme_split(theme=theme, feedback_ids=[FeedbackFactory().pk], label="None of it")
    assert Theme.objects.count() == 1


def test_dismiss_and_restore():
    theme = ThemeFactory(impact=40)

    theme_dismiss(theme=theme, reason="praise, not pain")
    theme.refresh_from_db()
    assert (theme.status, theme.impact) == (Theme.Status.DISMISSED, 0)
    with pytest.raises(ValidationError):
        theme_dismiss(theme=theme)

    theme_restore(theme=theme)
    theme.refresh_from_db()
    assert theme.status == Theme.Status.ACTIVE
    assert list(ThemeEdit.objects.values_list("action", flat=True).order_by("pk")) == [
        ThemeEdit.Action.DISMISS,
        ThemeEdit.Action.RESTORE,
    ]


def test_move_pins_feedback_and_records_the_edit_on_both_themes():
    origin, destination = ThemeFactory(), ThemeFactory()
    items = FeedbackFactory.create_batch(2, theme=origin)

    moved = feedback_move(feedback_ids=[item.pk for item in items], theme=destination)

    assert moved == 2
    assert Feedback.objects.filter(theme=destination, theme_pinned=True).count() == 2
    assert ThemeEdit.objects.filter(theme=origin, action=ThemeEdit.Action.MOVE).exists()
    assert ThemeEdit.objects.filter(theme=destination, action=ThemeEdit.Action.MOVE).exists()


def test_moving_out_of_every_theme_pins_it_unthemed():
    origin = ThemeFactory()
    item = FeedbackFactory(theme=origin)

    feedback_move(feedback_ids=[item.pk], theme=None)

    item.refresh_from_db()
    assert (item.theme, item.theme_pinned) == (None, True)
