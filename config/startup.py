"""Turn the configuration errors people meet first into one sentence each."""

from django.core.exceptions import ImproperlyConfigured


def explain_startup_error(error: BaseException) -> str | None:
    """A one-sentence explanation for a known configuration error, else None."""
    from django.db import utils as db_utils

    text = str(error).strip()
    first_line = text.splitlines()[0] if text else error.__class__.__name__
    if isinstance(error, ImproperlyConfigured):
        if "postgis" in text.lower():
            return (
                "The database has no PostGIS extension: install PostGIS on the database "
                "server (`make setup`, or `apt-get install postgresql-15-postgis-3`) "
                "and run `manage.py migrate`."
            )
        return first_line
    if isinstance(error, db_utils.OperationalError):
        return (
            f"Cannot reach the database ({_database_location()}): {first_line}. Start "
            "PostgreSQL, correct DATABASE_URL, or unset it so that `make run` starts "
            "a private one."
        )
    if isinstance(error, (db_utils.NotSupportedError, db_utils.ProgrammingError)) and (
        "postgis" in text.lower() or "extension" in text.lower()
    ):
        return (
            f"PostGIS is not available in the database ({_database_location()}): "
            "install it on the database server (`make setup`, or `apt-get install "
            "postgresql-15-postgis-3`)."
        )
    return None


def _database_location() -> str:
    from django.conf import settings

    database = settings.DATABASES["default"]
    return f"{database.get('HOST') or 'local socket'}:{database.get('PORT') or 5432}/{database.get('NAME')}"
