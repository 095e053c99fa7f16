"""Status history for the downtown-health benchmark.

The synthetic inventory (renewal.benchmarks.inventory) is loaded without history,
which would leave downtown health's history part idle. This gives every space of the
measured cities the entry a space created through the services has (its status from
none), and a share of them two status changes (reported → surveyed, then surveyed →
the space's current status) at dates after the space entered, the way a survey and
a later update would. Rows carry BENCH_HISTORY_REASON; a rebuild deletes only those.
"""

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction

from renewal.models import InventoryChange, VacantSpace

BENCH_HISTORY_REASON = "bench: synthetic status history (manage.py bench_downtown)"
HISTORY_TABLE = InventoryChange._meta.db_table
SPACE_TABLE = VacantSpace._meta.db_table

# Module constants only are interpolated; values go through parameters.
HISTORY_SQL = f"""
WITH space AS (
    SELECT s.id, s.municipality_id, s.status, s.created_at,
           COALESCE(s.vacant_since, s.created_at::date) AS entered,
           random() < %(share)s AS changes, random() AS u_first, random() AS u_second
    FROM {SPACE_TABLE} s
    WHERE s.municipality_id = ANY(%(ids)s)
)
INSERT INTO {HISTORY_TABLE}
    (content_type_id, object_id, municipality_id, action, changes, reason, at)
SELECT %(space_type)s, c.id, c.municipality_id, change.action,
       jsonb_build_object('status', jsonb_build_array(change.old, change.new)),
       %(reason)s, change.at
FROM space c
CROSS JOIN LATERAL (
    VALUES
        ('create', NULL,
         CASE WHEN c.changes THEN 'reported' ELSE c.status END,
         LEAST(c.created_at, c.entered + time '09:00')),
        ('status', 'reported', 'surveyed',
         c.entered + (30 + floor(c.u_first * 400))::int + time '10:00'),
        ('status', 'surveyed', CASE WHEN c.status = 'surveyed' THEN 'available'
                                    ELSE c.status END,
         c.entered + (430 + floor(c.u_second * 1200))::int + time '15:00')
) AS change(action, old, new, at)
WHERE change.action = 'create' OR c.changes
"""  # noqa: S608


def history_load(
    *, municipality_ids: list[int], share: float, seed: int, rebuild: bool = False
) -> int:
    """Give these cities' spaces their history, once (or again with rebuild): the
    number of entries the cities' spaces have from this module afterwards."""
    existing = InventoryChange.objects.filter(
        reason=BENCH_HISTORY_REASON, municipality_id__in=municipality_ids
    )
    if existing.exists() and not rebuild:
        return existing.count()
    existing.delete()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT setseed(%s)", [(seed % 1000) / 1000])
        cursor.execute(
            HISTORY_SQL,
            {
                "ids": municipality_ids,
                "share": share,
                "space_type": ContentType.objects.get_for_model(VacantSpace).pk,
                "reason": BENCH_HISTORY_REASON,
            },
        )
        loaded = cursor.rowcount
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {HISTORY_TABLE}")
    return loaded
