from django.core.management.base import BaseCommand, CommandError

from apps.accounts.choices import TokenScope
from apps.accounts.models import Membership, User, normalize_email
from apps.accounts.services import TokenError, create_api_token


class Command(BaseCommand):
    help = "Create an API token for a user and print its key once (only a hash is stored)."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--scope", choices=TokenScope.values, default=TokenScope.READ)
        parser.add_argument("--expires-days", type=int, default=None, help="Default: API_TOKEN_DEFAULT_DAYS (90).")
        parser.add_argument("--client", metavar="SLUG", help="Restrict the token to one of the user's clients.")
        parser.add_argument("--name", default="Command-line token")

    def handle(self, *args, email, scope, expires_days, client, name, **options):
        try:
            user = User.objects.get(email=normalize_email(email), is_active=True)
        except User.DoesNotExist:
            raise CommandError(f"No active user with e-mail {email!r}.") from None
        client_obj = None
        if client:
            # Through the user's memberships: a token can only be bound to one of the user's own clients.
            membership = Membership.objects.filter(user=user, client__slug=client).select_related("client").first()
            if membership is None:
                raise CommandError(f"{user.email} is not a member of a client with slug {client!r}.")
            client_obj = membership.client
        try:
            issued = create_api_token(
                user, actor=user, name=name, scope=scope, expires_days=expires_days, client=client_obj
            )
        except TokenError as exc:
            raise CommandError(str(exc)) from None
        token = issued.token
        self.stderr.write(
            f"Token {token.prefix}… for {user.email}: scope {token.scope}, "
            f"{'client ' + client_obj.slug if client_obj else 'all clients'}, "
            f"expires {token.expires_at:%Y-%m-%d %H:%M} UTC. Store the key now; it is not shown again."
        )
        self.stdout.write(issued.key)
