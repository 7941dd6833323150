"""What a product manager changes about the themes: rename, merge, split, dismiss, restore, and
move feedback between them.

Every edit goes through one of these functions, is recorded as a `ThemeEdit` (who, when, what)
and is shaped so that the next analysis respects it (see `insights.services.analysis`): a renamed
theme keeps its label (`label_edited`), a merged theme sends whatever matches it to the theme it
was merged into, a dismissed theme stays out of the ranking, and feedback a person placed
(`theme_pinned`) stays where it was put.
"""

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction

from insights.models import Feedback, Theme, ThemeEdit

MAX_LABEL = 120


def _label_clean(label: str) -> str:
    label = " ".join(label.split())
    if not label:
        raise ValidationError("A theme needs a name.")
    if len(label) > MAX_LABEL:
        raise ValidationError(f"A theme's name has at most {MAX_LABEL} characters.")
    return label


def _locked(theme: Theme) -> Theme:
    return Theme.objects.select_for_update().get(pk=theme.pk)


@transaction.atomic
def theme_rename(*, theme: Theme, label: str, user=None) -> Theme:
    theme = _locked(theme)
    label = _label_clean(label)
    before = theme.label
    theme.label = label
    theme.label_edited = True
    theme.save(update_fields=["label", "label_edited", "updated_at"])
    ThemeEdit.objects.create(
        theme=theme,
        action=ThemeEdit.Action.RENAME,
        user=user,
        details={"from": before, "to": label},
    )
    return theme


@transaction.atomic
def theme_merge(*, source: Theme, target: Theme, user=None) -> Theme:
    """Merge `source` into `target`: its feedback moves (pinned, so a re-run keeps it there) and
    it is kept, as merged, so a later re-cluster that finds it again sends its feedback on."""
    if source.pk == target.pk:
        raise ValidationError("A theme cannot be merged into itself.")
    source, target = _locked(source), _locked(target)
    if target.status == Theme.Status.MERGED:
        raise ValidationError(f"“{target.label}” was itself merged; merge into where it went.")
    if source.status == Theme.Status.MERGED:
        raise ValidationError(f"“{source.label}” is already merged.")
    moved = Feedback.objects.filter(theme=source).update(theme=target, theme_pinned=True)
    # Themes merged into the source earlier now lead straight to the target.
    Theme.objects.filter(merged_into=source).update(merged_into=target)
    source.status = Theme.Status.MERGED
    source.merged_into = target
    source.impact = 0
    source.save(update_fields=["status", "merged_into", "impact", "updated_at"])
    details = {"into": target.pk, "into_label": target.label, "feedback_moved": moved}
    ThemeEdit.objects.create(
        theme=source, action=ThemeEdit.Action.MERGE, user=user, details=details
    )
    ThemeEdit.objects.create(
        theme=target,
        action=ThemeEdit.Action.MERGE,
        user=user,
        details={"from": source.pk, "from_label": source.label, "feedback_moved": moved},
    )
    return target


@transaction.atomic
def theme_split(*, theme: Theme, feedback_ids: Sequence[int], label: str, user=None) -> Theme:
    """Move some of a theme's feedback into a new theme named `label`."""
    theme = _locked(theme)
    label = _label_clean(label)
    members = Feedback.objects.filter(theme=theme)
    ids = set(members.filter(pk__in=feedback_ids).values_list("pk", flat=True))
    if not ids:
        raise ValidationError("Choose the feedback to split off; none of it is in this theme.")
    if len(ids) == members.count():
        raise ValidationError("Splitting off all of its feedback is a rename; leave some behind.")
    new = Theme.objects.create(label=label, label_edited=True, threshold=theme.threshold)
    Feedback.objects.filter(pk__in=ids).update(theme=new, theme_pinned=True)
    ThemeEdit.objects.create(
        theme=theme,
        action=ThemeEdit.Action.SPLIT,
        user=user,
        details={"into": new.pk, "into_label": label, "feedback": sorted(ids)},
    )
    ThemeEdit.objects.create(
        theme=new,
        action=ThemeEdit.Action.SPLIT,
        user=user,
        details={"from": theme.pk, "from_label": theme.label, "feedback": sorted(ids)},
    )
    return new


@transaction.atomic
def theme_dismiss(*, theme: Theme, reason: str = "", user=None) -> Theme:
    theme = _locked(theme)
    if theme.status != Theme.Status.ACTIVE:
        raise ValidationError("Only an active theme can be dismissed.")
    theme.status = Theme.Status.DISMISSED
    theme.impact = 0
    theme.save(update_fields=["status", "impact", "updated_at"])
    ThemeEdit.objects.create(
        theme=theme, action=ThemeEdit.Action.DISMISS, user=user, details={"reason": reason[:500]}
    )
    return theme


@transaction.atomic
def theme_restore(*, theme: Theme, user=None) -> Theme:
    theme = _locked(theme)
    if theme.status != Theme.Status.DISMISSED:
        raise ValidationError("Only a dismissed theme can be restored.")
    theme.status = Theme.Status.ACTIVE
    theme.save(update_fields=["status", "updated_at"])
    ThemeEdit.objects.create(theme=theme, action=ThemeEdit.Action.RESTORE, user=user)
    return theme


@transaction.atomic
def feedback_move(*, feedback_ids: Sequence[int], theme: Theme | None, user=None) -> int:
    """Put feedback in `theme` (None: out of every theme) and pin it there."""
    if theme is not None:
        theme = _locked(theme)
        if theme.status == Theme.Status.MERGED:
            raise ValidationError(f"“{theme.label}” was merged; move the feedback where it went.")
    rows = list(Feedback.objects.filter(pk__in=feedback_ids).values_list("pk", "theme_id"))
    if not rows:
        raise ValidationError("None of that feedback exists.")
    Feedback.objects.filter(pk__in=[pk for pk, _ in rows]).update(theme=theme, theme_pinned=True)
    by_origin: dict[int | None, list[int]] = {}
    for pk, origin in rows:
        by_origin.setdefault(origin, []).append(pk)
    for origin, ids in by_origin.items():
        details = {"feedback": ids, "from": origin, "to": theme.pk if theme else None}
        for edited in {origin, theme.pk if theme else None} - {None}:
            ThemeEdit.objects.create(
                theme_id=edited, action=ThemeEdit.Action.MOVE, user=user, details=details
            )
    return len(rows)
