"""Trigram indexes for the search boxes: Django's `icontains` on PostgreSQL is
`UPPER(column) LIKE UPPER('%…%')`, which these expression indexes serve on project
titles and space addresses instead of reading the whole table. Written as SQL: the
operator class is the search's concern, not part of the models' own indexes."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("renewal", "0011_downtown_health_counts_fill"),
    ]

    operations = [
        TrigramExtension(),
        migrations.RunSQL(
            "CREATE INDEX renewal_project_title_trgm ON renewal_renewalproject "
            "USING gin ((UPPER(title)) gin_trgm_ops);",
            "DROP INDEX renewal_project_title_trgm;",
        ),
        migrations.RunSQL(
            "CREATE INDEX renewal_space_address_trgm ON renewal_vacantspace "
            "USING gin ((UPPER(address)) gin_trgm_ops);",
            "DROP INDEX renewal_space_address_trgm;",
        ),
    ]
