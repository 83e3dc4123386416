from __future__ import annotations

import zoneinfo

from django import forms
from django.contrib.auth import forms as auth_forms

from . import throttle
from .choices import TokenScope
from .services import MAX_TOKEN_DAYS

GENERIC_LOGIN_ERROR = "That e-mail address and password do not match an active account."
THROTTLED_LOGIN_ERROR = "Too many failed sign-ins. Try again in {wait}."
THROTTLED_RESET_ERROR = "Too many password-reset requests from your network. Try again in {wait}."


class LoginForm(auth_forms.AuthenticationForm):
    """E-mail and password. The attempt is counted as a failure before the password is checked and given back when
    it was right (:mod:`apps.accounts.throttle`)."""

    username = auth_forms.UsernameField(
        label="E-mail address",
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    error_messages = {
        "invalid_login": GENERIC_LOGIN_ERROR,
        "inactive": GENERIC_LOGIN_ERROR,
    }
    retry_after_seconds = 0

    def clean(self):
        email = self.cleaned_data.get("username") or ""
        password = self.cleaned_data.get("password")
        if not (email and password):
            return super().clean()
        ip = throttle.client_ip(self.request) if self.request else None
        verdict = throttle.register_attempt(email, ip)
        if not verdict.allowed:
            self.retry_after_seconds = verdict.retry_after_seconds
            wait = throttle.wait_text(verdict.retry_after_seconds)
            raise forms.ValidationError(THROTTLED_LOGIN_ERROR.format(wait=wait), code="throttled")
        cleaned = super().clean()  # a wrong password raises here, and the attempt stays counted as a failure
        throttle.register_success(email, ip)
        return cleaned


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's form and mail; the view counts the request and a worker sends the mail."""

    email = forms.EmailField(
        label="E-mail address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )


TIME_ZONE_CHOICES = [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


class ProfileForm(forms.Form):
    full_name = forms.CharField(max_length=150, required=False, label="Name")
    time_zone = forms.ChoiceField(choices=TIME_ZONE_CHOICES, help_text="Every date in the portal is shown in it.")


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What uses this key, e.g. 'DAM sync job'.")
    scope = forms.ChoiceField(choices=TokenScope.choices, initial=TokenScope.READ)
    expires_days = forms.IntegerField(min_value=1, max_value=MAX_TOKEN_DAYS, initial=90, label="Expires after (days)")
    client = forms.TypedChoiceField(
        choices=[],
        coerce=int,
        empty_value=None,
        required=False,
        help_text="Restrict the key to one client.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # The clients to choose from are the user's memberships (this app's own rows), by client id as before.
        self._clients = {membership.client_id: membership.client for membership in user.membership_list}
        self.fields["client"].choices = [("", "All my clients")] + [
            (client_id, str(client)) for client_id, client in self._clients.items()
        ]

    def clean_client(self):
        """The chosen client (an object, as ``create_api_token`` takes it), or ``None`` for all the user's clients."""
        client_id = self.cleaned_data["client"]
        return None if client_id is None else self._clients[client_id]
