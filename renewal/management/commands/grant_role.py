from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from cities.models import Municipality
from renewal.models import CityRole, CommunityOrganization
from renewal.services.roles import city_role_grant, organization_role_grant


class Command(BaseCommand):
    help = (
        "Grant a user a staff role: --city CODE --role editor|viewer for local "
        "government staff, or --organization ID for organisation staff."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--city", help="administrative code of the municipality")
        target.add_argument("--organization", type=int, help="id of the organisation")
        parser.add_argument("--role", choices=CityRole.values, help="with --city")

    def handle(self, username, city, organization, role, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        if city:
            if role is None:
                raise CommandError("--city needs --role editor or --role viewer.")
            municipality = Municipality.objects.filter(code=city).first()
            if municipality is None:
                raise CommandError(f"No municipality with code {city!r}.")
            city_role_grant(user=user, municipality=municipality, role=role)
            self.stdout.write(f"{username} is now {role} of {municipality}.")
            return
        if role is not None:
            raise CommandError("--role applies to --city only.")
        found = CommunityOrganization.objects.filter(pk=organization).first()
        if found is None:
            raise CommandError(f"No organisation with id {organization}.")
        organization_role_grant(user=user, organization=found)
        self.stdout.write(f"{username} is now staff of {found}.")
