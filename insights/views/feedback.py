"""The feedback explorer: search, filters and facets over the feedback people may read."""

from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from insights import selectors
from insights.forms import (
    FeedbackFilterForm,
)
from insights.permissions import user_can_view_original_text
from insights.selectors import FeedbackFilters
from insights.views.common import PAGE_SIZE


@permission_required("insights.view_feedback", raise_exception=True)
@require_safe
def feedback_list(request: HttpRequest) -> HttpResponse:
    show_original = user_can_view_original_text(request.user)
    form = FeedbackFilterForm(request.GET or None, search_original=show_original)
    filters = form.filters() if form.is_bound else FeedbackFilters()
    facets = selectors.feedback_facets(filters=filters)
    paginator = Paginator(selectors.feedback_list(filters=filters), PAGE_SIZE)
    # The facet query counted the same rows already.
    paginator.count = facets.total
    page = paginator.get_page(request.GET.get("page"))
    theme_id = filters.theme_id
    return render(
        request,
        "insights/feedback_list.html",
        {
            "form": form,
            "page_obj": page,
            "facets": facets,
            "filtered": filters != FeedbackFilters(search_original=show_original),
            "chosen_theme": next(
                (facet for facet in facets.theme if facet.value == str(theme_id)), None
            )
            if theme_id
            else None,
            "chosen_theme_id": theme_id,
            "facet_sections": _facet_sections(request, facets),
            "show_original": show_original,
        },
    )


FACETS = (
    # (title, attribute of FeedbackFacets, query parameter, test id)
    ("Source", "source", "source", "facet-source"),
    ("Pain point", "theme", "theme", "facet-theme"),
    ("Sentiment", "sentiment_label", "sentiment_label", "facet-sentiment"),
    ("NPS group", "nps_group", "score", "facet-nps"),
    ("Segment", "segment", "segment", "facet-segment"),
)


def _facet_sections(request: HttpRequest, facets: selectors.FeedbackFacets) -> list[dict]:
    """Each facet with a link per value that keeps the other filters and sets this one."""
    sections = []
    for title, attribute, param, testid in FACETS:
        links = []
        for facet in getattr(facets, attribute):
            query = request.GET.copy()
            query.pop("page", None)
            query[param] = facet.value
            links.append(
                {
                    "label": facet.label,
                    "count": facet.count,
                    "query": query.urlencode(),
                    "active": request.GET.get(param) == facet.value,
                }
            )
        if links:
            sections.append({"title": title, "testid": testid, "links": links})
    return sections
