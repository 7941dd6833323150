"""The wins page. Thin: the selector reads, the template shows."""

from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from roadmap.wins import wins_recent

WINS_PAGE_SIZE = 50


@permission_required("roadmap.view_backlogitem", raise_exception=True)
@require_safe
def wins(request: HttpRequest) -> HttpResponse:
    return render(request, "roadmap/wins.html", {"wins": wins_recent(limit=WINS_PAGE_SIZE)})
