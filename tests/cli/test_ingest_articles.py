"""`wikilake ingest articles`: the dumps site layout (<wiki>/<YYYYMMDD>/), dumpstatus.json and
the folder's md5sums, against a loopback dumps server into a local lake folder (no AWS)."""

from __future__ import annotations

import hashlib
import json

import pytest

DT, YMD = "2016-05-01", "20160501"
FOLDER = f"enwiki/{YMD}"
WHOLE = f"enwiki-{YMD}-pages-articles.xml.bz2"
PARTS = {
    f"enwiki-{YMD}-pages-articles1.xml-p10p30302.bz2": b"part one",
    f"enwiki-{YMD}-pages-articles2.xml-p30304p88444.bz2": b"part two",
    f"enwiki-{YMD}-pages-articles10.xml-p88445p99999.bz2": b"part ten",
}
FILES = {
    WHOLE: b"the whole dump",
    **PARTS,
    f"enwiki-{YMD}-pages-articles-multistream1.xml-p10p30302.bz2": b"not asked for",
}


def status(recombine: str = "done", parts: str = "done") -> bytes:
    def listed(names):
        return {name: {"size": len(FILES[name]), "url": f"/{FOLDER}/{name}"} for name in names}

    return json.dumps(
        {
            "jobs": {
                "articlesdump": {"status": parts, "files": listed([*PARTS, *list(FILES)[-1:]])},
                "articlesdumprecombine": {"status": recombine, "files": listed([WHOLE])},
                "metacurrentdump": {"status": "waiting", "files": {}},
            },
            "version": "0.8",
        }
    ).encode()


@pytest.fixture
def site(dumps):
    def publish(**states):
        dumps.files.update({f"/{FOLDER}/{name}": body for name, body in FILES.items()})
        dumps.files[f"/{FOLDER}/enwiki-{YMD}-md5sums.txt"] = "".join(
            f"{hashlib.md5(body).hexdigest()}  {name}\n" for name, body in FILES.items()
        ).encode()
        dumps.files[f"/{FOLDER}/dumpstatus.json"] = status(**states)
        return dumps

    return publish


def ingest(wikilake, server, lake, *extra):
    return wikilake(
        "ingest", "articles", "--date", DT, "--mirror", server.url, "--to", str(lake), "--backoff", "0.01", *extra
    )


def landed(lake) -> dict[str, bytes]:
    partition = lake / "raw" / "articles" / f"dt={DT}"
    return {p.name: p.read_bytes() for p in partition.iterdir()} if partition.exists() else {}


def test_the_whole_dump_lands_verified_and_a_rerun_skips_it(wikilake, site, tmp_path):
    server = site()
    code, _, err = ingest(wikilake, server, tmp_path / "lake")
    assert code == 0, err
    assert landed(tmp_path / "lake") == {WHOLE: FILES[WHOLE]}
    downloads = len(server.gets(".bz2"))
    assert ingest(wikilake, server, tmp_path / "lake")[0] == 0
    assert len(server.gets(".bz2")) == downloads


def test_parts_are_listed_from_dumpstatus_in_part_order(wikilake, site, tmp_path):
    server = site(recombine="in-progress")  # the parts are done before the recombined file
    # One download at a time, so the requests come in the planned order.
    code, out, err = ingest(wikilake, server, tmp_path / "lake", "--parts", "--parallel", "1")
    assert code == 0, err
    assert landed(tmp_path / "lake") == PARTS
    assert [request.path.rsplit("/", 1)[1] for request in server.gets(".bz2")] == [
        *sorted(PARTS, key=lambda n: int(n.split("articles")[1].split(".")[0]))
    ]


def test_an_unfinished_dump_is_refused_before_anything_moves(wikilake, site, tmp_path):
    server = site(recombine="in-progress")
    code, _, err = ingest(wikilake, server, tmp_path / "lake")
    assert code != 0 and len(err.strip().splitlines()) == 1
    assert "dump of 2016-05-01 is not finished: its job articlesdumprecombine is in-progress" in err
    assert not server.gets(".bz2") and not landed(tmp_path / "lake")


def test_a_corrupt_download_fails_the_md5_and_leaves_nothing(wikilake, site, tmp_path):
    server = site()
    server.faults[f"/{FOLDER}/{WHOLE}"].extend(["corrupt"] * 10)
    code, _, err = ingest(wikilake, server, tmp_path / "lake", "--retries", "1")
    assert code != 0 and "failed" in err
    assert not landed(tmp_path / "lake")


def test_options_of_other_datasets_are_refused(wikilake, site, tmp_path):
    code, _, err = wikilake("ingest", "articles", "--date", DT, "--hours", "3", "--to", str(tmp_path))
    assert code != 0 and "--hours does not apply to articles" in err
    code, _, err = wikilake("ingest", "pageviews", "--date", DT, "--parts", "--to", str(tmp_path))
    assert code != 0 and "--parts does not apply to pageviews" in err


def test_the_pipeline_plans_an_article_dump_as_its_parts(site):
    """The pipeline's plan function (one Lambda invocation per file) takes the dump's numbered
    parts, in part order, with the MD5s of the folder's checksum file: a whole enwiki file would
    outlast an invocation."""
    from wikilake_core import function_env, runs
    from wikilake_functions import plan

    server = site(recombine="in-progress")
    run = runs.execution_input("articles", DT)
    files = plan.files_to_ingest(run, {function_env.BUCKET: "b", function_env.DUMPS_MIRROR: server.url})
    in_part_order = sorted(PARTS, key=lambda n: int(n.split("articles")[1].split(".")[0]))
    assert [(f["name"], f["md5"]) for f in files] == [
        (name, hashlib.md5(PARTS[name]).hexdigest()) for name in in_part_order
    ]
    assert all(f["url"] == f"{server.url}/{FOLDER}/{f['name']}" for f in files)
