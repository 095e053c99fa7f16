"""Reads to a read replica, writes to the primary, when DATABASE_REPLICA_URL is set
(config/settings.py adds the "replica" alias and this router; docs/scaling.md).

A replica lags the primary by a little, so reads that belong to a write stay on the
primary: inside a transaction on the primary (the services write in
`transaction.atomic`) every read goes there too, and an object loaded from the
primary reads its relations there. Migrations run on the primary only; the replica
follows by streaming replication, not through Django.
"""

from django.db import connections, router

PRIMARY = "default"
REPLICA = "replica"


def read_alias(model) -> str:
    """The alias that reads of `model` go to now: the routers' answer, "default"
    without a replica. For raw SQL (`connections[read_alias(Model)]`), which no router
    sees; a queryset's own `.db` gives the same answer for SQL compiled from it."""
    return router.db_for_read(model)


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if connections[PRIMARY].in_atomic_block:
            return PRIMARY
        instance = hints.get("instance")
        if instance is not None and instance._state.db == PRIMARY:
            return PRIMARY
        return REPLICA

    def db_for_write(self, model, **hints):
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        # Both aliases hold the same rows: a row from either may point to the other.
        return {obj1._state.db, obj2._state.db} <= {PRIMARY, REPLICA}

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == PRIMARY
