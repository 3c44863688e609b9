"""Benchmarks empty only databases of their own (conference_bench_*): `make bench` once emptied the database
named `test` (bench/load.py) and `bench` (bench/pages.py, bench/cluster.py) with DROP SCHEMA public CASCADE."""

from __future__ import annotations

import re

import pytest

from bench import database
from conference import PROJECT_ROOT


def test_each_benchmark_has_a_database_of_its_own(monkeypatch):
    monkeypatch.delenv("CONFERENCE_BENCH_PG_URL", raising=False)
    assert database.postgres_url("pages").endswith("/conference_bench_pages")
    assert database.postgres_url("load").endswith("/conference_bench_load")


@pytest.mark.parametrize("name", ["test", "bench", "test_h3", "conference"])
def test_a_url_naming_another_database_is_refused_before_anything_is_touched(monkeypatch, name):
    monkeypatch.setenv("CONFERENCE_BENCH_PG_URL", f"postgresql+psycopg://postgres@127.0.0.1:1/{name}")
    with pytest.raises(database.NotABenchmarkDatabase, match="must be one of their own"):
        database.postgres_url("pages")
    with pytest.raises(database.NotABenchmarkDatabase):
        database.fresh_database(f"postgresql+psycopg://postgres@127.0.0.1:1/{name}")  # port 1: nothing reached


def test_no_benchmark_drops_a_schema_or_names_a_shared_database():
    for script in sorted((PROJECT_ROOT / "bench").glob("*.py")):
        source = script.read_text()
        assert "DROP SCHEMA" not in source.upper(), script.name
        assert not re.search(r"5432/(test|bench)\b", source), script.name
