"""`crawler export`: filters, formats, and constant memory however large the collection."""

import csv
import io
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from crawler.items import Article
from crawler.store.mongo import ensure_collection, write_articles
from crawler.store.schema import to_document
from tests.conftest import expected_json, run_crawler, store

T0 = datetime(2026, 3, 1, tzinfo=UTC)
STORY = expected_json("netease")["body"]


def seed(articles) -> None:
    ensure_collection(articles)
    store(articles, "https://www.163.com/dy/article/A.html", STORY, T0, source="netease")
    store(articles, "https://mirror.example/a.html", STORY + "\n来源：网易", T0 + timedelta(hours=2))
    store(
        articles,
        "https://www.solidot.org/story?sid=1",
        expected_json("solidot")["body"],
        T0 + timedelta(days=2),
        source="solidot",
    )
    store(
        articles,
        "https://www.163.com/dy/article/B.html",
        expected_json("aibase")["body"],
        T0 + timedelta(days=5),
        source="netease",
    )


def export(args: list[str], env, cwd: Path) -> list[dict]:
    run = run_crawler(["export", *args], env, cwd)
    assert run.returncode == 0, run.stderr
    return [json.loads(line) for line in run.stdout.splitlines()]


def test_filters_select_by_time_source_and_canonical(articles, crawler_env, tmp_path: Path) -> None:
    seed(articles)
    everything = export([], crawler_env, tmp_path)
    assert len(everything) == 4 and "dedup" not in everything[0]
    urls = sorted(a["url"] for a in export(["--canonical"], crawler_env, tmp_path))
    assert "https://mirror.example/a.html" not in urls and len(urls) == 3
    window = export(["--since", "2026-03-01T09:00:00+08:00", "--until", "2026-03-04"], crawler_env, tmp_path)
    assert sorted(a["url"] for a in window) == [
        "https://mirror.example/a.html",
        "https://www.solidot.org/story?sid=1",
    ]
    netease = export(["--source", "netease", "--canonical"], crawler_env, tmp_path)
    assert sorted(a["url"] for a in netease) == [
        "https://www.163.com/dy/article/A.html",
        "https://www.163.com/dy/article/B.html",
    ]


def test_csv_keeps_multiline_bodies_and_lists(articles, crawler_env, tmp_path: Path) -> None:
    seed(articles)
    out = tmp_path / "articles.csv"
    run = run_crawler(
        ["export", "--format", "csv", "-o", str(out), "--source", "solidot"], crawler_env, tmp_path
    )
    assert run.returncode == 0 and "exported 1 article(s)" in run.stderr
    [row] = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert row["body"] == expected_json("solidot")["body"] and "\n" in row["body"]
    assert json.loads(row["mirrors"]) == [] and row["published_at"].endswith("+00:00")


def test_a_large_export_does_not_grow_memory(articles, mongo_uri: str, db_name: str) -> None:
    ensure_collection(articles)
    body = "正文内容。" * 200  # ~1 KB per article

    def fill(upto: int) -> None:
        have = articles.count_documents({})
        docs = [
            to_document(
                Article(
                    url=f"https://bulk.example/{n}",
                    source="generic",
                    site="bulk.example",
                    title=f"第{n}篇",
                    body=body,
                    published_at=T0,
                    lang="zh-Hans",
                    fetched_at=T0,
                )
            )
            for n in range(have, upto)
        ]
        for start in range(0, len(docs), 500):
            write_articles(articles, docs[start : start + 500])

    def peak() -> int:
        """Measured in a process of its own: the test's SecantusDB server shares this one."""
        run = subprocess.run(
            [sys.executable, "-c", PEAK, mongo_uri, db_name], capture_output=True, text=True, timeout=120
        )
        written, top = map(int, run.stdout.split())
        assert written == articles.count_documents({}), run.stderr
        return top

    fill(600)  # past the first cursor batch (500)
    small = peak()
    fill(2000)
    assert peak() < small * 1.5


PEAK = """
import io, sys, tracemalloc
from crawler.store.export import ExportFilter, documents, write_jsonl
from crawler.store.mongo import connect

class Discard(io.StringIO):
    def write(self, text):
        return len(text)

collection = connect(sys.argv[1], 5000)[sys.argv[2]]["articles"]
tracemalloc.start()
written = write_jsonl(documents(collection, ExportFilter()), Discard())
print(written, tracemalloc.get_traced_memory()[1])
"""


def test_csv_cells_a_spreadsheet_would_run_are_plain_text_and_bom_is_for_excel(
    articles, crawler_env, tmp_path: Path
) -> None:
    """A scraped title `=HYPERLINK("http://evil/","点击")` would be a live link in Excel on the old
    main; OWASP's advice: a single quote before any cell starting =, +, -, @, tab or CR."""
    from tests.conftest import article_document

    doc = article_document("https://example.com/a.html", "-正文第一段。" * 20, None)
    doc["title"] = '=HYPERLINK("http://evil/","点击")'
    doc["author"] = "@编辑"
    articles.insert_one(doc)
    out = tmp_path / "articles.csv"
    run = run_crawler(["export", "--format", "csv", "--bom", "-o", str(out)], crawler_env, tmp_path)
    assert run.returncode == 0, run.stderr
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfurl,")
    [row] = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert row["title"] == '\'=HYPERLINK("http://evil/","点击")'
    assert (row["author"][:2], row["body"][:2], row["url"]) == ("'@", "'-", "https://example.com/a.html")
