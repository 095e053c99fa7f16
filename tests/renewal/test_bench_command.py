import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

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
