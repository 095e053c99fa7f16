"""Whether a space lies in its city's downtown, kept by the database.

The answer is ST_Contains(downtown, location). Triggers write it when a space is
created or moved (or given to another city) and when a city's downtown polygon is
drawn, redrawn or cleared, so no code path can forget it and nobody can set it by
hand: a written value is recomputed. Lists then filter and count downtowns through
a partial index rather than testing every point against the polygon.
"""

from django.conf import settings
from django.db import migrations, models

SPACE_FUNCTION = """
CREATE FUNCTION renewal_space_in_downtown() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.in_downtown := COALESCE(
        (SELECT ST_Contains(m.downtown, NEW.location)
         FROM cities_municipality m WHERE m.id = NEW.municipality_id),
        false
    );
    RETURN NEW;
END
$$;
CREATE TRIGGER renewal_vacantspace_in_downtown
    BEFORE INSERT OR UPDATE OF location, municipality_id, in_downtown
    ON renewal_vacantspace
    FOR EACH ROW EXECUTE FUNCTION renewal_space_in_downtown();
"""

DOWNTOWN_FUNCTION = """
CREATE FUNCTION renewal_downtown_spaces_refresh() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- Only the rows whose answer changes are written.
    UPDATE renewal_vacantspace s
    SET in_downtown = NOT s.in_downtown
    WHERE s.municipality_id = NEW.id
      AND s.in_downtown IS DISTINCT FROM
          COALESCE(ST_Contains(NEW.downtown, s.location), false);
    RETURN NULL;
END
$$;
CREATE TRIGGER cities_municipality_downtown_spaces
    AFTER UPDATE OF downtown ON cities_municipality
    FOR EACH ROW WHEN (OLD.downtown IS DISTINCT FROM NEW.downtown)
    EXECUTE FUNCTION renewal_downtown_spaces_refresh();
"""

BACKFILL = """
UPDATE renewal_vacantspace s
SET in_downtown = true
FROM cities_municipality m
WHERE m.id = s.municipality_id AND ST_Contains(m.downtown, s.location);
"""

DROP = """
DROP TRIGGER IF EXISTS cities_municipality_downtown_spaces ON cities_municipality;
DROP FUNCTION IF EXISTS renewal_downtown_spaces_refresh();
DROP TRIGGER IF EXISTS renewal_vacantspace_in_downtown ON renewal_vacantspace;
DROP FUNCTION IF EXISTS renewal_space_in_downtown();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("cities", "0002_indicator_source_typology_override_flows"),
        ("renewal", "0007_business_improvement_districts"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="vacantspace",
            name="in_downtown",
            field=models.BooleanField(
                default=False, editable=False, verbose_name="in the downtown"
            ),
        ),
        migrations.RunSQL(SPACE_FUNCTION + DOWNTOWN_FUNCTION + BACKFILL, DROP),
        migrations.AddIndex(
            model_name="vacantspace",
            index=models.Index(
                condition=models.Q(in_downtown=True),
                fields=["municipality", "id"],
                name="space_downtown_by_city",
            ),
        ),
    ]
