"""q2 jobs of the accounts app."""

from __future__ import annotations

from django.db import transaction

RESET_EMAIL_TEMPLATE = "accounts/password_reset_email.txt"
RESET_SUBJECT_TEMPLATE = "accounts/password_reset_subject.txt"


def send_password_reset(email: str, domain: str, use_https: bool) -> None:
    """Mail a reset link to the active accounts with ``email`` (none when there is none). Django's form finds the
    accounts, makes the one-hour token and sends the mail; ``domain`` is the host the request came to (checked
    against ALLOWED_HOSTS there)."""
    from .forms import PasswordResetForm

    form = PasswordResetForm({"email": email})
    if form.is_valid():
        form.save(
            domain_override=domain,
            use_https=use_https,
            email_template_name=RESET_EMAIL_TEMPLATE,
            subject_template_name=RESET_SUBJECT_TEMPLATE,
        )


def send_password_reset_soon(email: str, *, domain: str, use_https: bool) -> None:
    """Queue :func:`send_password_reset` once the request's transaction commits. Sending from a worker keeps remote
    calls (SMTP) out of web requests, and makes the request take as long whether or not the address has an account
    (the queued job is the same either way)."""

    def enqueue() -> None:
        from django_q.tasks import async_task

        async_task("apps.accounts.tasks.send_password_reset", email, domain, use_https, task_name="password reset")

    transaction.on_commit(enqueue)
