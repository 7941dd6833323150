from django.contrib.auth.middleware import LoginRequiredMiddleware


class LoginRequiredForPagesMiddleware(LoginRequiredMiddleware):
    """Every page needs a login. The API answers 401/403 itself (DRF's IsAuthenticated), since its
    clients authenticate with tokens that this middleware cannot see."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path_info.startswith("/api/"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)
