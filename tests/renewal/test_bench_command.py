import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count

from renewal.models import VacantSpace
from tests.factories import VacantSpaceFactory

ROW = re.compile(
    r"^(?P<kind>bbox|near|in_downtown)\s+"
    r"(?P<api_med>[\d.]+)\s+(?P<api_p95>[\d.]+)\s+"
    r"(?P<raw_med>[\d.]+)\s+(?P<raw_p95>[\d.]+)\s+"
    r"(?P<ratio_med>[\d.]+)\s+(?P<ratio_p95>[\d.]+)\s+(?P<count>\d+)\s",
    re.MULTILINE,
)


# Transactional: the load drops, rebuilds and CLUSTERs indexes like the real run.
@pytest.mark.django_db(transaction=True)
def test_bench_prints_api_and_raw_latency_for_each_query_kind():
    out = StringIO()

    call_command(
        "bench_spaces",
        "--spaces=2000",
        "--repeat=3",
        "--allow-test-database",
        stdout=out,
    )

    text = out.getvalue()
    rows = {match["kind"]: match for match in ROW.finditer(text)}
    assert set(rows) == {"bbox", "near", "in_downtown"}
    for row in rows.values():
        assert float(row["ratio_med"]) > 0
        assert float(row["ratio_med"]) == pytest.approx(
            float(row["api_med"]) / float(row["raw_med"]), rel=0.05, abs=0.02
        )
    assert "COUNT MISMATCH" not in text
    plans = re.findall(r"^  (\w+) (raw|api): (.*)$", text, re.MULTILINE)
    assert [(kind, path) for kind, path, _plan in plans] == [
        (kind, path)
        for kind in ("bbox", "near", "in_downtown")
        for path in ("raw", "api")
    ]
    for kind, _path, plan in plans:
        # Windows read the GiST index; downtowns their partial B-tree index.
        index = (
            "space_downtown_by_city"
            if kind == "in_downtown"
            else "renewal_vacantspace_location"
        )
        assert index in plan
    assert VacantSpace.objects.filter(external_id__startswith="bench-").count() == 2000


@pytest.mark.django_db
def test_bench_refuses_a_database_not_named_for_benchmarks():
    with pytest.raises(CommandError, match="_bench"):
        call_command("bench_spaces", "--spaces=10", "--repeat=1", stdout=StringIO())

    assert not VacantSpace.objects.exists()


@pytest.mark.django_db
def test_bench_refuses_a_table_holding_real_spaces(city):
    VacantSpaceFactory(municipality=city)

    with pytest.raises(CommandError, match="did not generate"):
        call_command(
            "bench_spaces",
            "--spaces=10",
            "--repeat=1",
            "--allow-test-database",
            stdout=StringIO(),
        )

    assert VacantSpace.objects.count() == 1


DOWNTOWN_ROW = re.compile(
    r"^(?P<city>\S+)\s+(?P<spaces>[\d,]+)\s+(?P<history>[\d,]+)\s+"
    r"(?P<api_med>[\d.]+)\s+(?P<api_p95>[\d.]+)\s+(?P<raw_med>[\d.]+)\s+"
    r"(?P<raw_p95>[\d.]+)\s+(?P<ratio>[\d.]+)\s+p95<200ms",
    re.MULTILINE,
)


@pytest.mark.django_db(transaction=True)
def test_downtown_bench_times_the_api_against_the_bare_statement():
    call_command(
        "bench_spaces",
        "--spaces=2000",
        "--repeat=1",
        "--skip-export",
        "--allow-test-database",
        stdout=StringIO(),
    )
    out = StringIO()

    call_command("bench_downtown", "--repeat=2", "--allow-test-database", stdout=out)

    text = out.getvalue()
    rows = list(DOWNTOWN_ROW.finditer(text))
    # The city nearest 100,000 spaces and the largest (the same one here or not).
    assert 1 <= len(rows) <= 2
    largest = max(
        VacantSpace.objects.values_list("municipality").annotate(n=Count("id")),
        key=lambda row: row[1],
    )[1]
    assert max(int(row["spaces"].replace(",", "")) for row in rows) == largest
    for row in rows:
        # A share of the measured cities' spaces got a status history to read.
        assert int(row["history"].replace(",", "")) > 0
        assert float(row["api_med"]) > 0 and float(row["raw_med"]) > 0
    assert "COUNT MISMATCH" not in text
    assert "rows equal: yes" in text and "rows equal: NO" not in text
    assert "Scaling" in text
