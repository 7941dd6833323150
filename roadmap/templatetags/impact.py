"""`{% impact_panel_for item as impact %}`: the impact panel of `roadmap/_impact_reviews.html`."""

from django import template

from roadmap.impact_selectors import ImpactPanel, impact_panel
from roadmap.impact_stats import p_text

register = template.Library()


@register.simple_tag
def impact_panel_for(item) -> ImpactPanel:
    return impact_panel(item=item)


@register.filter
def p_value(value) -> str:
    """A p-value for people: "p < 0.001", "p = 0.034", or "—" without a test."""
    return "—" if value is None else p_text(value)
