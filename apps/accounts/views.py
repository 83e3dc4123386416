from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.views.decorators.http import require_http_methods, require_POST

from apps.audit import services as audit
from apps.common.roles import RoleCode

from . import delegation, services, tasks, throttle
from .forms import THROTTLED_RESET_ERROR, ApiTokenForm, LoginForm, PasswordResetForm, ProfileForm
from .middleware import start_session_clock
from .models import ApiToken

logger = logging.getLogger(__name__)


class LoginView(auth_views.LoginView):
    """Sign-in by e-mail; Django's login() rotates the session key (ASVS 7.2.4)."""

    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        start_session_clock(self.request)
        audit.record("accounts.user.login", actor=form.get_user(), obj=form.get_user())
        return response

    def form_invalid(self, form):
        logger.warning("Sign-in refused (%s)", ",".join(e.code or "invalid" for e in form.non_field_errors().data))
        response = super().form_invalid(form)
        if form.has_error(NON_FIELD_ERRORS, "throttled"):
            response.status_code = 429
            response["Retry-After"] = str(form.retry_after_seconds)
        return response


class LogoutView(auth_views.LogoutView):
    """POST only (Django's LogoutView refuses GET), so a link on another site cannot sign anyone out."""

    def post(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            audit.record("accounts.user.logout", actor=request.user, obj=request.user)
        response = super().post(request, *args, **kwargs)
        messages.success(request, "You are signed out.")
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:profile")

    def form_valid(self, form):
        response = super().form_valid(form)
        audit.record("accounts.user.change_password", actor=self.request.user, obj=self.request.user)
        messages.success(self.request, "Your password is changed. Other sessions of yours are signed out.")
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Ask for a reset link by e-mail. The answer is the same whether or not an account has the address; requests
    are limited per client address (refused, 429) and per e-mail address (answered as usual, no more mails)."""

    template_name = "accounts/password_reset_form.html"
    form_class = PasswordResetForm
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form):
        email = form.cleaned_data["email"]
        verdict = throttle.register_reset_request(email, throttle.client_ip(self.request))
        if not verdict.allowed:
            form.add_error(None, THROTTLED_RESET_ERROR.format(wait=throttle.wait_text(verdict.retry_after_seconds)))
            response = self.form_invalid(form)
            response.status_code = 429
            response["Retry-After"] = str(verdict.retry_after_seconds)
            return response
        if verdict.send:
            tasks.send_password_reset_soon(email, domain=self.request.get_host(), use_https=self.request.is_secure())
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's view: the token leaves the URL for the session before the form is shown; a new password ends the
    account's other sessions."""

    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        audit.record("accounts.user.reset_password", actor=form.user, obj=form.user)
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


def _profile_context(request, **extra) -> dict:
    tokens = ApiToken.objects.filter(user=request.user).select_related("client")
    return {
        "profile_form": ProfileForm(initial={"full_name": request.user.full_name, "time_zone": request.user.time_zone}),
        "token_form": ApiTokenForm(user=request.user),
        "tokens": tokens,
        **extra,
    }


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    """Name, time zone, memberships and API tokens of the signed-in user."""
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            services.update_profile(request.user, actor=request.user, **form.cleaned_data)
            messages.success(request, "Profile saved.")
            return redirect("accounts:profile")
        return render(request, "accounts/profile.html", _profile_context(request, profile_form=form), status=400)
    return render(request, "accounts/profile.html", _profile_context(request))


@login_required
@require_POST
def token_create(request):
    """Create a key and show it once, in this response only (it is not stored anywhere in clear)."""
    form = ApiTokenForm(request.POST, user=request.user)
    if not form.is_valid():
        return render(request, "accounts/profile.html", _profile_context(request, token_form=form), status=400)
    try:
        issued = services.create_api_token(request.user, actor=request.user, **form.cleaned_data)
    except services.TokenError as exc:
        form.add_error(None, str(exc))
        return render(request, "accounts/profile.html", _profile_context(request, token_form=form), status=400)
    response = render(request, "accounts/profile.html", _profile_context(request, issued=issued), status=201)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def token_revoke(request, pk: int):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    services.revoke_api_token(token, actor=request.user)
    messages.success(request, f"Token “{token.name}” is revoked.")
    return redirect("accounts:profile")


@login_required
@require_http_methods(["GET", "POST"])
def delegation_page(request):
    """Out of office: for each client where the person is an internal member, who stands in for them and when
    (``accounts.delegation``). A refused delegation answers 400 with the form as typed, the message at the field
    and the focus on it."""
    mine = [m for m in request.user.membership_list if RoleCode.EXTERNAL not in m.role_codes]
    error, field, values, status = "", "", {}, 200
    if request.method == "POST":
        chosen = next((m for m in mine if str(m.client_id) == request.POST.get("client", "")), None)
        if chosen is None:
            raise Http404("No such membership.")
        try:
            if request.POST.get("action") == "end":
                delegation.end_delegation(chosen, actor=request.user)
                messages.success(request, f"Your tasks at {chosen.client.name} are yours again.")
            else:
                start, end = (parse_date(request.POST.get(name, "") or "") for name in ("start", "end"))
                if start is None or end is None:
                    raise delegation.DelegationRefused(
                        "Give the first and last day (YYYY-MM-DD).", field="start" if start is None else "end"
                    )
                done = delegation.set_delegation(
                    chosen, actor=request.user, delegate_id=request.POST.get("delegate", ""), start=start, end=end
                )
                messages.success(
                    request, f"{done.delegate.email} stands in for you at {chosen.client.name} from {start:%d %b}."
                )
            return redirect("accounts:delegation")
        except (delegation.DelegationRefused, ValueError) as refused:
            error, field, values, status = str(refused), getattr(refused, "field", "start"), request.POST, 400
            error_client = chosen.client_id
    rows = [(m, delegation.candidates(m)) for m in mine]
    context = {
        "rows": rows,
        "error": error,
        "error_field": field,
        "error_client": error_client if error else None,
        "values": values,
        "today": timezone.localdate(),
    }
    return render(request, "accounts/delegation.html", context, status=status)
