"""Upkeep of the downtown health counts the database keeps (migration
0010_downtown_health_counts): writers append rows of differences, and this folds
them back to one row per city, area, kind and year."""

from django.db import connection


def downtown_health_counts_compact() -> None:
    # One statement: rows that writers append meanwhile are outside its snapshot
    # and stay for the next run; readers see either the old rows or the folded ones.
    with connection.cursor() as cursor:
        cursor.execute("SELECT renewal_space_health_compact()")
