"""Goal adherence: how the organisation, each team and each engineer stand against the yearly
touchpoint goal. The one computation behind the adherence page, its CSV export and the
`touchpoint_adherence` command. Coverage, not a leaderboard: engineers are listed by username and
never ranked.

Definitions, as of an evaluation date `as_of` inside the year:

* **Policy in force.** The goal that applies to an engineer is the most specific scope (engineer
  override > one of their teams' overrides > organisation default) with `effective_from <= as_of`
  among that year's goals; within a scope the latest `effective_from` wins, then the higher target
  (the one rule, used by every page, export and command). "Policy changes apply from their
  date" means: before its `effective_from` a policy is not in force at all; from that date on it is
  the whole goal for the year, and the engineer is measured against it with every touchpoint of the
  year up to `as_of` counting (the count is never split by policy period). A scope with no policy in
  force yet falls back to the wider scope; an engineer with no policy in force has status
  `no_goal` and is left out of the percentages.
* **Count.** Touchpoints the engineer took part in with `occurred_on` from 1 January to `as_of`
  inclusive (31 December counts for its year, 1 January for the next).
* **Requirements.** `target_count` touchpoints, `min_distinct_kinds` different kinds, at least one
  touchpoint of each of `required_kinds`, and at least one with one of `required_partner_teams`.
* **Expected by now.** `floor(target × elapsed share)`, where the elapsed share counts whole months
  before `as_of` plus the fraction of `as_of`'s month up to and including that day, over 12: on
  1 July 6 months and 1/31, so a target of 4 expects 2; on 31 December the whole target.
* **Status.** `done` when every requirement is met; `on_track` when the count reaches what is
  expected by now and every missing requirement is still achievable (days of the year are left
  after `as_of`); `behind` otherwise.
* **Percentages.** For a team and for the organisation: the share of engineers with a goal whose
  status is `on_track` or `done`. An engineer in several teams counts in each; teams without an
  engineer are not listed.
"""

import datetime as dt
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from django.contrib.auth import get_user_model
from django.utils import timezone

from insights.roles import Role
from touchpoints.models import PartnerTeam, Team, Touchpoint, TouchpointGoal, TouchpointKind

DONE = "done"
ON_TRACK = "on_track"
BEHIND = "behind"
NO_GOAL = "no_goal"
STATUS_LABELS = {DONE: "Done", ON_TRACK: "On track", BEHIND: "Behind", NO_GOAL: "No goal"}

_SCOPE_PRIORITY = {
    TouchpointGoal.Scope.ENGINEER: 0,
    TouchpointGoal.Scope.TEAM: 1,
    TouchpointGoal.Scope.ORGANISATION: 2,
}
_KIND_LABELS = dict(TouchpointKind.choices)
_PARTNER_LABELS = dict(PartnerTeam.choices)


@dataclass(frozen=True)
class GoalRule:
    """A TouchpointGoal as plain data."""

    scope: str
    effective_from: dt.date
    target_count: int
    min_distinct_kinds: int = 0
    required_kinds: tuple[str, ...] = ()
    required_partner_teams: tuple[str, ...] = ()
    team_id: int | None = None
    engineer_id: int | None = None


@dataclass(frozen=True)
class EngineerRef:
    id: int
    username: str
    team_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class TouchpointRef:
    """One engineer's part in one touchpoint."""

    engineer_id: int
    occurred_on: dt.date
    kind: str
    partner_team: str = ""


@dataclass(frozen=True)
class EngineerAdherence:
    engineer_id: int
    username: str
    teams: tuple[str, ...]
    count: int
    kinds_done: tuple[str, ...]
    partner_teams_done: tuple[str, ...]
    goal: GoalRule | None
    expected_by_now: int
    status: str
    missing: tuple[str, ...]

    @property
    def target(self) -> int | None:
        return self.goal.target_count if self.goal else None

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def percent(self) -> int | None:
        """The count towards the target, in percent (capped at 100), for a progress bar."""
        if not self.goal or not self.goal.target_count:
            return None
        return min(round(self.count / self.goal.target_count * 100), 100)

    @property
    def is_done(self) -> bool:
        return self.status == DONE

    @property
    def team(self) -> str:
        return ", ".join(self.teams)


@dataclass(frozen=True)
class GroupAdherence:
    """A team (or the organisation): how many of its engineers with a goal are on track or done."""

    name: str
    engineers: int
    with_goal: int
    done: int
    on_track: int
    behind: int

    @property
    def covered(self) -> int:
        return self.done + self.on_track

    @property
    def percent(self) -> int | None:
        if not self.with_goal:
            return None
        return math.floor(self.covered / self.with_goal * 100)


@dataclass(frozen=True)
class AdherenceReport:
    year: int
    as_of: dt.date
    engineers: list[EngineerAdherence]
    teams: list[GroupAdherence]
    organisation: GroupAdherence
    # engineer id → 12 monthly counts; and touchpoints (not engineer parts) by kind / partner team
    monthly: dict[int, list[int]] = field(default_factory=dict)
    by_kind: dict[str, int] = field(default_factory=dict)
    by_partner_team: dict[str, int] = field(default_factory=dict)


# --- pure computation -------------------------------------------------------------------------


def elapsed_share(as_of: dt.date) -> Fraction:
    """Share of `as_of`'s year elapsed by the end of that day, counted in months (see module)."""
    next_month = dt.date(as_of.year + as_of.month // 12, as_of.month % 12 + 1, 1)
    days_in_month = (next_month - as_of.replace(day=1)).days
    return (as_of.month - 1 + Fraction(as_of.day, days_in_month)) / 12


def expected_by(*, target: int, as_of: dt.date) -> int:
    return math.floor(target * elapsed_share(as_of))


def goal_resolve(
    *, goals: Iterable[GoalRule], engineer_id: int, team_ids: Sequence[int], on: dt.date
) -> GoalRule | None:
    """The policy in force for the engineer on `on` (see module docstring)."""
    candidates = [
        goal
        for goal in goals
        if goal.effective_from <= on
        and (
            goal.scope == TouchpointGoal.Scope.ORGANISATION
            or (goal.scope == TouchpointGoal.Scope.TEAM and goal.team_id in team_ids)
            or (goal.scope == TouchpointGoal.Scope.ENGINEER and goal.engineer_id == engineer_id)
        )
    ]
    if not candidates:
        return None
    return min(
        candidates,
        key=lambda goal: (
            _SCOPE_PRIORITY[goal.scope],
            -goal.effective_from.toordinal(),
            -goal.target_count,
        ),
    )


def _plural(count: int, word: str) -> str:
    return f"{count} more {word}" if count == 1 else f"{count} more {word}s"


def _missing(
    goal: GoalRule, count: int, kinds: set[str], partner_teams: set[str]
) -> tuple[str, ...]:
    missing = []
    if count < goal.target_count:
        missing.append(f"needs {_plural(goal.target_count - count, 'touchpoint')}")
    if len(kinds) < goal.min_distinct_kinds:
        missing.append(
            f"needs {_plural(goal.min_distinct_kinds - len(kinds), 'kind')} of touchpoint"
        )
    for kind in goal.required_kinds:
        if kind not in kinds:
            missing.append(f"no {_KIND_LABELS.get(kind, kind).lower()} yet")
    if goal.required_partner_teams and not partner_teams & set(goal.required_partner_teams):
        teams = " or ".join(
            _PARTNER_LABELS.get(team, team).lower() for team in goal.required_partner_teams
        )
        missing.append(f"needs 1 more with {teams}")
    return tuple(missing)


def engineer_adherence_compute(
    *,
    engineer: EngineerRef,
    team_names: Sequence[str],
    goals: Sequence[GoalRule],
    touchpoints: Sequence[TouchpointRef],
    as_of: dt.date,
) -> EngineerAdherence:
    """One engineer's adherence from their touchpoints of the year (later ones are ignored)."""
    start = dt.date(as_of.year, 1, 1)
    counted = [t for t in touchpoints if start <= t.occurred_on <= as_of]
    kinds = {t.kind for t in counted}
    partner_teams = {t.partner_team for t in counted if t.partner_team}
    goal = goal_resolve(goals=goals, engineer_id=engineer.id, team_ids=engineer.team_ids, on=as_of)
    if goal is None:
        status, missing, expected = NO_GOAL, (), 0
    else:
        missing = _missing(goal, len(counted), kinds, partner_teams)
        expected = expected_by(target=goal.target_count, as_of=as_of)
        days_left = as_of < dt.date(as_of.year, 12, 31)
        if not missing:
            status = DONE
        elif len(counted) >= expected and days_left:
            status = ON_TRACK
        else:
            status = BEHIND
    return EngineerAdherence(
        engineer_id=engineer.id,
        username=engineer.username,
        teams=tuple(team_names),
        count=len(counted),
        kinds_done=tuple(sorted(kinds)),
        partner_teams_done=tuple(sorted(partner_teams)),
        goal=goal,
        expected_by_now=expected,
        status=status,
        missing=missing,
    )


def _group(name: str, rows: Sequence[EngineerAdherence]) -> GroupAdherence:
    statuses = Counter(row.status for row in rows)
    return GroupAdherence(
        name=name,
        engineers=len(rows),
        with_goal=len(rows) - statuses[NO_GOAL],
        done=statuses[DONE],
        on_track=statuses[ON_TRACK],
        behind=statuses[BEHIND],
    )


def adherence_compute(
    *,
    year: int,
    as_of: dt.date,
    engineers: Sequence[EngineerRef],
    team_names: dict[int, str],
    goals: Sequence[GoalRule],
    touchpoints: Sequence[TouchpointRef],
    touchpoint_totals: Sequence[tuple[str, str]] = (),
) -> AdherenceReport:
    """The whole report from plain data. `touchpoint_totals` is one (kind, partner team) per
    touchpoint of the year up to `as_of`, for the breakdowns."""
    if as_of.year != year:
        raise ValueError(f"as_of {as_of} is not in {year}.")
    by_engineer: dict[int, list[TouchpointRef]] = defaultdict(list)
    for touchpoint in touchpoints:
        by_engineer[touchpoint.engineer_id].append(touchpoint)
    rows = [
        engineer_adherence_compute(
            engineer=engineer,
            team_names=sorted(team_names[t] for t in engineer.team_ids if t in team_names),
            goals=goals,
            touchpoints=by_engineer[engineer.id],
            as_of=as_of,
        )
        for engineer in sorted(engineers, key=lambda e: e.username.lower())
    ]
    rows_by_id = {row.engineer_id: row for row in rows}
    teams = []
    for team_id, name in sorted(team_names.items(), key=lambda item: item[1].lower()):
        members = [rows_by_id[e.id] for e in engineers if team_id in e.team_ids]
        teams.append(_group(name, members))
    start = dt.date(year, 1, 1)
    monthly = {row.engineer_id: [0] * 12 for row in rows}
    for touchpoint in touchpoints:
        if start <= touchpoint.occurred_on <= as_of and touchpoint.engineer_id in monthly:
            monthly[touchpoint.engineer_id][touchpoint.occurred_on.month - 1] += 1
    return AdherenceReport(
        year=year,
        as_of=as_of,
        engineers=rows,
        teams=teams,
        organisation=_group("Organisation", rows),
        monthly=monthly,
        by_kind=dict(Counter(kind for kind, _ in touchpoint_totals)),
        by_partner_team=dict(Counter(partner for _, partner in touchpoint_totals)),
    )


# --- selectors ----------------------------------------------------------------------------------


def adherence_default_as_of(*, year: int, today: dt.date | None = None) -> dt.date:
    """Today inside the current year; 31 December for a past year, 1 January for a future one."""
    today = today or timezone.localdate()
    return min(max(today, dt.date(year, 1, 1)), dt.date(year, 12, 31))


def adherence_report(
    *, year: int, as_of: dt.date | None = None, engineer_ids: Sequence[int] | None = None
) -> AdherenceReport:
    """Adherence of every active engineer (Engineer role) for `year` as of `as_of` (default:
    `adherence_default_as_of`), or only of `engineer_ids` (an engineer's home needs one row, not
    the whole organisation's touchpoints). Five queries whatever the number of engineers."""
    as_of = as_of or adherence_default_as_of(year=year)
    start = dt.date(year, 1, 1)
    user_model = get_user_model()
    engineers_found = user_model.objects.filter(groups__name=Role.ENGINEER, is_active=True)
    if engineer_ids is not None:
        engineers_found = engineers_found.filter(pk__in=list(engineer_ids))
    engineer_rows = list(engineers_found.distinct().values_list("id", user_model.USERNAME_FIELD))
    engineer_ids = [engineer_id for engineer_id, _ in engineer_rows]
    memberships: dict[int, list[int]] = defaultdict(list)
    team_names: dict[int, str] = {}
    for user_id, team_id, name in Team.members.through.objects.filter(
        user_id__in=engineer_ids
    ).values_list("user_id", "team_id", "team__name"):
        memberships[user_id].append(team_id)
        team_names[team_id] = name
    engineers = [
        EngineerRef(id=pk, username=username, team_ids=tuple(sorted(memberships[pk])))
        for pk, username in engineer_rows
    ]
    goals = [
        GoalRule(
            scope=goal.scope,
            effective_from=goal.effective_from,
            target_count=goal.target_count,
            min_distinct_kinds=goal.min_distinct_kinds,
            required_kinds=tuple(goal.required_kinds or ()),
            required_partner_teams=tuple(goal.required_partner_teams or ()),
            team_id=goal.team_id,
            engineer_id=goal.engineer_id,
        )
        for goal in TouchpointGoal.objects.filter(year=year)
    ]
    touchpoints = [
        TouchpointRef(engineer_id=user_id, occurred_on=occurred_on, kind=kind, partner_team=partner)
        for user_id, occurred_on, kind, partner in Touchpoint.engineers.through.objects.filter(
            user_id__in=engineer_ids, touchpoint__occurred_on__range=(start, as_of)
        ).values_list(
            "user_id", "touchpoint__occurred_on", "touchpoint__kind", "touchpoint__partner_team"
        )
    ]
    totals = [
        (kind, partner)
        for _, kind, partner in Touchpoint.objects.filter(
            occurred_on__range=(start, as_of), engineers__in=engineer_ids
        )
        .values_list("id", "kind", "partner_team")
        .distinct()
    ]
    return adherence_compute(
        year=year,
        as_of=as_of,
        engineers=engineers,
        team_names=team_names,
        goals=goals,
        touchpoints=touchpoints,
        touchpoint_totals=totals,
    )


ENGINEER_COLUMNS = ["username", "team", "count", "target", "kinds_done", "status", "missing"]


def adherence_engineer_rows(report: AdherenceReport) -> list[dict]:
    """The per-engineer table as plain data: the CSV export and the command's output."""
    return [
        {
            "username": row.username,
            "team": row.team,
            "count": row.count,
            "target": row.target,
            "kinds_done": list(row.kinds_done),
            "status": row.status,
            "missing": list(row.missing),
        }
        for row in report.engineers
    ]
