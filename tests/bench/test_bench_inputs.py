"""Benchmark inputs: deterministic, cached by recipe, scaled by more files (edits) or larger hours
(pageviews)."""

from __future__ import annotations

import gzip
from datetime import date

from bench.inputs import EditsRecipe, PageviewsRecipe, cache_dir, materialize
from wikilake.local.generators import pageviews


def lines(path) -> list[bytes]:
    with gzip.open(path, "rb") as stream:
        return stream.read().splitlines()


def test_edits_replicate_the_sample_and_scale_by_files(tmp_path):
    recipe = EditsRecipe(copies_per_file=3, files=2, sample_events=100)
    one, two = materialize(recipe, tmp_path), materialize(recipe.scaled(2), tmp_path)
    assert (len(one.files), len(two.files)) == (2, 4)
    assert (one.records, two.records) == (600, 1200)
    content = lines(one.files[0])
    assert len(content) == 300 and content[:100] == content[100:200] == content[200:]
    assert one.gz_bytes == sum(p.stat().st_size for p in one.files)


def test_pageviews_scale_by_lines_per_hour_and_count_records(tmp_path):
    recipe = PageviewsRecipe(lines_per_hour=200, hours=(0, 1, 2), workers=1)
    one, two = materialize(recipe, tmp_path), materialize(recipe.scaled(2), tmp_path)
    assert (
        [p.name for p in one.files]
        == [p.name for p in two.files]
        == ["pageviews-20240315-000000.gz", "pageviews-20240315-010000.gz", "pageviews-20240315-020000.gz"]
    )
    assert one.records == sum(len(lines(p)) for p in one.files) == 600
    assert two.records == 1200


def test_inputs_are_cached_and_deterministic(tmp_path):
    recipe = PageviewsRecipe(lines_per_hour=100, hours=(5, 6))
    first = materialize(recipe, tmp_path)
    stamps = [p.stat().st_mtime_ns for p in first.files]
    again = materialize(recipe, tmp_path)
    assert again == first and [p.stat().st_mtime_ns for p in again.files] == stamps

    elsewhere = materialize(recipe, tmp_path / "other")
    assert [p.read_bytes() for p in elsewhere.files] == [p.read_bytes() for p in first.files]
    # the generator's own output for the same parameters, byte for byte
    direct = pageviews.generate_day(
        date.fromisoformat(recipe.dt),
        tmp_path / "direct",
        hours=(5, 6),
        lines_per_hour=100,
        seed=0,
        malformed_rate=recipe.malformed_rate,
        compresslevel=6,
    )
    assert [lines(p) for p in direct] == [lines(p) for p in first.files]


def test_any_parameter_change_gets_its_own_cache_folder(tmp_path):
    base = PageviewsRecipe(lines_per_hour=100)
    folders = {
        cache_dir(r, tmp_path)
        for r in (base, base.scaled(2), PageviewsRecipe(seed=1), PageviewsRecipe(malformed_rate=0.0))
    }
    assert len(folders) == 4
    assert cache_dir(base, tmp_path) == cache_dir(PageviewsRecipe(lines_per_hour=100), tmp_path)


def test_articles_are_one_bzip2_file_of_the_sample_with_new_page_ids(tmp_path):
    import bz2
    import re

    from bench.engines import engines
    from bench.inputs import ArticlesRecipe

    one, two = (
        materialize(ArticlesRecipe(copies=2), tmp_path),
        materialize(ArticlesRecipe(copies=2).scaled(2), tmp_path),
    )
    assert [p.name for p in one.files] == ["enwiki-20160501-pages-articles.xml.bz2"]
    assert (one.records, two.records) == (412, 824)
    with bz2.open(one.files[0], "rt", encoding="utf-8") as f:
        xml = f.read()
    ids = re.findall(r"</ns>\s*<id>(\d+)</id>", xml)
    assert len(ids) == len(set(ids)) == 412 and xml.count("<siteinfo>") == 1
    assert xml.rstrip().endswith("</mediawiki>") and one.glob.endswith("*.xml.bz2")
    floor = next(e for e in engines() if e.name == "zcat").argv(one, tmp_path)
    assert floor[:3] == ["sh", "-c", 'exec bzcat -- "$@" > /dev/null']


def test_articles_peer_writes_the_jobs_row_counts_on_the_sample(tmp_path):
    from bench import peer
    from wikilake_core import datasets

    sample = datasets.get("articles").sample
    rows = peer.run("articles", "2016-05-01", str(sample), tmp_path)
    # The job's counts on the sample (tests/spark/test_articles_job.py checks them row by row).
    assert rows == {"articles": 206, "article_links": 23811, "article_categories": 878}
