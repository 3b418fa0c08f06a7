"""Write the expected JSON of stored test pages, for review: reviewing that JSON is the review.

python scripts/gen_fixture.py NAME [NAME ...]     (names from tests/fixtures/pages.json)
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

from crawler.process import process_page
from crawler.store.jsonout import article_json

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
VOLATILE = ("fetched_at", "clean_audit")  # differ per run or per rule tweak; not part of the contract


def expected(name: str) -> dict:
    entry = json.loads((FIXTURES / "pages.json").read_text())[name]
    body = gzip.decompress((FIXTURES / "pages" / f"{name}.html.gz").read_bytes())
    article = article_json(process_page(body, entry["url"], entry["source"]))
    return {k: v for k, v in article.items() if k not in VOLATILE}


def main(names: list[str]) -> None:
    (FIXTURES / "expected").mkdir(exist_ok=True)
    for name in names:
        path = FIXTURES / "expected" / f"{name}.json"
        path.write_text(json.dumps(expected(name), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {path}")


if __name__ == "__main__":
    main(sys.argv[1:] or list(json.loads((FIXTURES / "pages.json").read_text())))
