import re
from html.parser import HTMLParser

from wikilake.query_result import QueryResult
from wikilake.report import Report, Section, write_report

RANKING = QueryResult(("rank", "page", "views"), ((1, "<script>x</script>", 1500), (2, "B & C", 7)))
HOURLY = QueryResult(("hour", "views"), tuple((h, 10 * h) for h in range(24)))


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images, self.tags = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "img":
            self.images.append(dict(attrs)["src"])


def parse(path):
    collector = _Collector()
    collector.feed(path.read_text(encoding="utf-8"))
    return collector


def test_report_has_a_table_and_a_png_chart_per_section(tmp_path, png_dimensions):
    report = Report(
        title="demo",
        notes=("pageviews are synthetic",),
        facts=(Section("runs", "Job runs", "", QueryResult(("dataset",), (("edits",),)), chart=False),),
        sections=(
            Section("top_pages", "top_pages", "Top pages.", RANKING, "dt=2015-09-12", "SELECT 1"),
            Section("by_hour", "by_hour", "Hourly.", HOURLY, "dt=2015-09-12"),
        ),
    )
    index = write_report(report, tmp_path / "report")
    page = parse(index)
    assert page.images == ["charts/top_pages.png", "charts/by_hour.png"]
    for src in page.images:
        width, height = png_dimensions(index.parent / src)
        assert width > 0 and height > 0 and (index.parent / src).stat().st_size > 0
    assert page.tags.count("table") == 3
    text = index.read_text(encoding="utf-8")
    assert "&lt;script&gt;x&lt;/script&gt;" in text and "<script>x" not in text
    assert '<td class="num">1,500</td>' in text and "pageviews are synthetic" in text


def test_sections_that_cannot_be_charted_say_why_and_stale_charts_go(tmp_path):
    report_dir = tmp_path / "report"
    (report_dir / "charts").mkdir(parents=True)
    (report_dir / "charts" / "old_query.png").write_bytes(b"stale")
    empty = QueryResult(("page", "views"), ())
    index = write_report(Report("demo", (Section("empty", "empty", "", empty),)), report_dir)
    assert parse(index).images == []
    assert re.search(r"No chart: nothing to chart: the query returned no rows", index.read_text())
    assert "No rows." in index.read_text()
    assert list((report_dir / "charts").iterdir()) == []
