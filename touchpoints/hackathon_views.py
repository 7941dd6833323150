"""Pages for hackathons. Thin: selectors read, services write, templates show."""

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from insights.models import Customer, Theme
from insights.selectors import theme_list_active
from touchpoints import hackathons
from touchpoints.forms import EngineerChoiceField, engineer_choices
from touchpoints.models import Hackathon


class HackathonForm(forms.Form):
    name = forms.CharField(max_length=200)
    starts_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    customers = forms.ModelMultipleChoiceField(
        queryset=Customer.objects.order_by("name", "pk"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )


class ProblemForm(forms.Form):
    statement = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    theme = forms.ModelChoiceField(
        queryset=Theme.objects.filter(status=Theme.Status.ACTIVE).order_by("label", "pk"),
        required=False,
        label="Pain point",
    )


class TeamForm(forms.Form):
    name = forms.CharField(max_length=100)
    members = EngineerChoiceField(
        queryset=get_user_model().objects.none(),
        required=False,
    )
    problem = forms.IntegerField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = engineer_choices()


class OutcomeForm(forms.Form):
    team = forms.IntegerField()
    title = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


def _errors(request: HttpRequest, error: ValidationError | forms.Form) -> None:
    if isinstance(error, forms.Form):
        texts = [
            f"{error.fields[f].label or f.capitalize()}: {m}" if f != "__all__" else m
            for f, ms in error.errors.items()
            for m in ms
        ]
    else:
        texts = error.messages
    for text in texts:
        messages.error(request, text)


def _hackathon_or_404(pk: int) -> Hackathon:
    hackathon = hackathons.hackathon_find(hackathon_id=pk)
    if hackathon is None:
        raise Http404("No such hackathon.")
    return hackathon


@permission_required("touchpoints.view_hackathon", raise_exception=True)
@require_safe
def hackathon_list(request: HttpRequest) -> HttpResponse:
    upcoming, past = hackathons.hackathon_split(
        list(hackathons.hackathon_list()), today=timezone.localdate()
    )
    return render(request, "touchpoints/hackathon_list.html", {"upcoming": upcoming, "past": past})


@permission_required("touchpoints.add_hackathon", raise_exception=True)
@require_http_methods(["GET", "POST"])
def hackathon_new(request: HttpRequest) -> HttpResponse:
    form = HackathonForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                hackathon = hackathons.hackathon_create(**form.cleaned_data, user=request.user)
            except ValidationError as error:
                for field, texts in error.message_dict.items():
                    for text in texts:
                        form.add_error(field if field in form.fields else None, text)
            else:
                messages.success(request, f"“{hackathon.name}” is planned.")
                return redirect("touchpoints:hackathon-detail", pk=hackathon.pk)
        return render(request, "touchpoints/hackathon_form.html", {"form": form}, status=400)
    return render(request, "touchpoints/hackathon_form.html", {"form": form})


@permission_required("touchpoints.view_hackathon", raise_exception=True)
@require_safe
def hackathon_detail(request: HttpRequest, pk: int) -> HttpResponse:
    hackathon = hackathons.hackathon_get(hackathon_id=pk)
    if hackathon is None:
        raise Http404("No such hackathon.")
    teams = list(hackathon.teams.all())
    return render(
        request,
        "touchpoints/hackathon_detail.html",
        {
            "hackathon": hackathon,
            "problems": list(hackathon.problems.all()),
            "teams": teams,
            "themes": (
                theme_list_active()
                if request.user.has_perm("touchpoints.add_hackathonproblem")
                else []
            ),
            "engineers": (
                list(TeamForm().fields["members"].queryset)
                if request.user.has_perm("touchpoints.add_hackathonteam")
                else []
            ),
            "can_promote": request.user.has_perm("roadmap.add_backlogitem"),
        },
    )


def _hackathon_edit(request: HttpRequest, pk: int, form_class, apply) -> HttpResponse:
    """Validate the form, call the service through `apply(hackathon, data)` (which returns the
    message to show) and go back to the hackathon page, with the errors as messages."""
    hackathon = _hackathon_or_404(pk)
    form = form_class(request.POST)
    if not form.is_valid():
        _errors(request, form)
    else:
        try:
            message = apply(hackathon, form.cleaned_data)
        except ValidationError as error:
            _errors(request, error)
        else:
            messages.success(request, message)
    return redirect("touchpoints:hackathon-detail", pk=hackathon.pk)


@permission_required("touchpoints.add_hackathonproblem", raise_exception=True)
@require_POST
def hackathon_problem_add(request: HttpRequest, pk: int) -> HttpResponse:
    def apply(hackathon, data):
        hackathons.hackathon_problem_add(hackathon=hackathon, **data)
        return "Problem statement added."

    return _hackathon_edit(request, pk, ProblemForm, apply)


@permission_required("touchpoints.add_hackathonteam", raise_exception=True)
@require_POST
def hackathon_team_add(request: HttpRequest, pk: int) -> HttpResponse:
    def apply(hackathon, data):
        problem = None
        if data["problem"]:
            problem = hackathons.hackathon_problem_get(problem_id=data["problem"])
        team = hackathons.hackathon_team_add(
            hackathon=hackathon, name=data["name"], members=list(data["members"]), problem=problem
        )
        return f"Team “{team.name}” added."

    return _hackathon_edit(request, pk, TeamForm, apply)


@permission_required("touchpoints.add_hackathonoutcome", raise_exception=True)
@require_POST
def hackathon_outcome_add(request: HttpRequest, pk: int) -> HttpResponse:
    def apply(hackathon, data):
        team = hackathons.hackathon_team_get(hackathon=hackathon, team_id=data["team"])
        if team is None:
            raise ValidationError("Pick one of this hackathon’s teams for the outcome.")
        hackathons.hackathon_outcome_add(
            team=team, title=data["title"], description=data["description"]
        )
        return f"Outcome added to team “{team.name}”."

    return _hackathon_edit(request, pk, OutcomeForm, apply)
