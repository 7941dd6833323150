"""Who may see what. Checks name permissions, never roles, so an admin can widen a role freely."""

from rest_framework.permissions import BasePermission

ORIGINAL_TEXT_PERMISSION = "insights.view_original_text"


def user_can_view_original_text(user) -> bool:
    """Feedback text before redaction is for admins and the ML only; everyone else reads
    `Feedback.display_text`."""
    return user.has_perm(ORIGINAL_TEXT_PERMISSION)


def feedback_text_for(feedback, *, show_original: bool) -> str:
    return feedback.text if show_original else feedback.display_text


class HasRequiredPermissions(BasePermission):
    """API counterpart of `permission_required`: the view lists `required_permissions`; a signed-in
    user must hold all of them (403 otherwise; anonymous requests get 401/403 as usual)."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return user.has_perms(getattr(view, "required_permissions", ()))
