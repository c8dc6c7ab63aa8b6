import gzip
from collections import Counter
from datetime import date

import pytest

from wikilake.local.generators import pageviews as generator

DAY = date(2024, 3, 15)


def read_lines(path):
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return f.read().splitlines()


@pytest.fixture(scope="module")
def day_files(tmp_path_factory):
    out = tmp_path_factory.mktemp("pv")
    return generator.generate_day(DAY, out, hours=(0, 1, 2, 23), lines_per_hour=2_000, seed=7)


def test_files_are_named_like_the_dumps(day_files):
    assert [p.name for p in day_files] == [
        "pageviews-20240315-000000.gz",
        "pageviews-20240315-010000.gz",
        "pageviews-20240315-020000.gz",
        "pageviews-20240315-230000.gz",
    ]


def test_each_hour_has_one_well_formed_line_per_page(day_files):
    for path in day_files:
        lines = read_lines(path)
        assert len(lines) == 2_000
        fields = [line.split(" ") for line in lines]
        assert all(len(f) == 4 and f[0] and f[1] and f[2].isdigit() and f[3] == "0" for f in fields)
        assert len({(f[0], f[1]) for f in fields}) == len(lines)
        keys = [(f[0], f[1]) for f in fields]
        assert keys == sorted(keys), "lines are sorted by domain code, then title"


def test_popular_pages_recur_and_the_tail_is_mostly_seen_once(day_files):
    hours_seen = Counter((line.split(" ")[0], line.split(" ")[1]) for path in day_files for line in read_lines(path))
    assert hours_seen[("en.m", "Main_Page")] == len(day_files)
    assert Counter(hours_seen.values())[1] > len(hours_seen) / 2


def test_mix_has_mobile_wikidata_commons_wiktionary_and_encoded_titles(day_files):
    fields = [line.split(" ") for path in day_files for line in read_lines(path)]
    codes = {f[0] for f in fields}
    assert {"en", "en.m", "www.wd", "commons.m", "en.d"} <= codes
    titles = [f[1] for f in fields]
    assert any("%" in t for t in titles) and any(not t.isascii() for t in titles)
    views = [int(f[2]) for f in fields]
    assert views.count(1) > len(views) / 5 and max(views) > 1_000 * min(views)


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path, day_files):
    again = generator.generate_day(DAY, tmp_path / "a", hours=(1,), lines_per_hour=2_000, seed=7)
    other = generator.generate_day(DAY, tmp_path / "b", hours=(1,), lines_per_hour=2_000, seed=8)
    assert again[0].read_bytes() == day_files[1].read_bytes()
    assert other[0].read_bytes() != day_files[1].read_bytes()


def test_malformed_lines_are_added_only_when_asked(tmp_path):
    (path,) = generator.generate_day(DAY, tmp_path, hours=(5,), lines_per_hour=3_000, malformed_rate=0.01)
    lines = read_lines(path)
    bad = [line for line in lines if not (len(f := line.split(" ")) == 4 and f[0] and f[2].isdigit())]
    assert len(lines) == 3_000 + len(bad) and 10 <= len(bad) <= 60


@pytest.mark.parametrize(
    "text, hours", [("0-23", tuple(range(24))), ("5", (5,)), ("0-2,12,22-23", (0, 1, 2, 12, 22, 23))]
)
def test_parse_hours(text, hours):
    assert generator.parse_hours(text) == hours


@pytest.mark.parametrize("text", ["24", "5-3", "x", "-1"])
def test_parse_hours_refuses_bad_ranges(text):
    with pytest.raises(ValueError):
        generator.parse_hours(text)
