"""Downtown health counts for the spaces and history that existed before the
triggers of 0010_downtown_health_counts: every space's rows, then the totals, in
one set-based pass (about a minute for 2,000,000 spaces)."""

from importlib import import_module

from django.db import migrations

counts = import_module("renewal.migrations.0010_downtown_health_counts")


def fill_sql(tz: str) -> str:
    tz_literal = "'" + tz.replace("'", "''") + "'"
    rows = counts.ROWS_SQL.format(tz=tz_literal, where="true")
    totals = counts.TOTALS_SQL.format(sign=1, rows="renewal_spacehealthyear")
    return f"""
DELETE FROM renewal_downtownhealthcount;
DELETE FROM renewal_spacehealthyear;
INSERT INTO renewal_spacehealthyear
    (space_id, municipality_id, downtown, kind, year, vacant, entered, reused)
{rows};
{totals};
ANALYZE renewal_spacehealthyear;
ANALYZE renewal_downtownhealthcount;
"""


class Migration(migrations.Migration):
    dependencies = [("renewal", "0010_downtown_health_counts")]

    operations = [
        # Reversed, the tables go with 0010; nothing to undo here.
        migrations.RunSQL(fill_sql(counts.HEALTH_TIME_ZONE), migrations.RunSQL.noop),
    ]
