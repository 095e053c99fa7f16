"""Prepare the bench database for the load test (docs/loadtest/, `make loadtest`).

Makes sure the national data set has its projects (the 100,000 illustrative projects
of `bench_matching --part national`, generated once), creates the signed-in users of
the scenario with API tokens, and writes what the locust file needs to a JSON file:
the tokens, the municipalities' centres (where the synthetic spaces are densest) and
a sample of projects that take supports and comments. Idempotent: a second run
reuses the users, their tokens and the projects.
"""

import json
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError
from rest_framework.authtoken.models import Token

from cities.models import Municipality
from renewal.benchmarks.inventory import guard_database
from renewal.benchmarks.projects import PROJECT_PREFIX, bench_user, load_projects
from renewal.models import RenewalProject
from renewal.models.projects import SUPPORTABLE_STATUSES

USER_PREFIX = "loadtest-"
SAMPLE_PROJECTS = 2000


class Command(BaseCommand):
    help = "Create the load test's users and tokens in the bench database."

    def add_arguments(self, parser):
        parser.add_argument("--users", type=int, default=50)
        parser.add_argument("--projects", type=int, default=100_000)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument(
            "--output",
            default=str(settings.BASE_DIR / "var" / "loadtest" / "data.json"),
        )

    def out(self, line: str = "") -> None:
        self.stdout.write(line)
        self.stdout.flush()

    def handle(self, *args, users, projects, seed, output, **options):
        guard_database(
            why="the load test writes users, supports and comments. Use the bench "
            "database (`make loadtest` points at renewal_bench).",
            check_spaces=False,
        )
        if users < 1:
            raise CommandError("--users must be positive.")
        load_projects(projects=projects, seed=seed, user=bench_user(), out=self.out)

        tokens = []
        for n in range(users):
            user, created = User.objects.get_or_create(username=f"{USER_PREFIX}{n}")
            if created:
                # The scenario signs in with its token only.
                user.set_unusable_password()
                user.save(update_fields=["password"])
            tokens.append(Token.objects.get_or_create(user=user)[0].key)

        centres = [
            [code, location.x, location.y]
            for code, location in Municipality.objects.filter(
                downtown__isnull=False
            ).values_list("code", "location")
        ]
        # One random sample, taken once here rather than by every simulated user.
        project_ids = list(
            RenewalProject.objects.filter(
                title__startswith=PROJECT_PREFIX,
                status__in=SUPPORTABLE_STATUSES,
                is_hidden=False,
            )
            .order_by("?")
            .values_list("id", flat=True)[:SAMPLE_PROJECTS]
        )
        if not centres or not project_ids:
            raise CommandError(
                "The bench database has no downtowns or no projects: run `make bench` "
                "(or `manage.py bench_spaces`) first."
            )
        path = Path(output)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            json.dumps({"tokens": tokens, "centres": centres, "projects": project_ids})
        )
        self.stdout.write(
            f"Load test: {len(tokens)} users with tokens, {len(centres)} downtowns, "
            f"{len(project_ids)} projects sampled -> {path}"
        )
