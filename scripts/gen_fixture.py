"""Write the expected JSON of stored test pages, for review: reviewing that JSON is the review.

python scripts/gen_fixture.py NAME [NAME ...]     (names from tests/fixtures/pages.json)
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

from crawler.contracts import reviewed
from crawler.process import process_page

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"


def expected(name: str) -> dict:
    entry = json.loads((FIXTURES / "pages.json").read_text())[name]
    body = gzip.decompress((FIXTURES / "pages" / f"{name}.html.gz").read_bytes())
    return reviewed(process_page(body, entry["url"], entry["source"]))


def main(names: list[str]) -> None:
    (FIXTURES / "expected").mkdir(exist_ok=True)
    for name in names:
        path = FIXTURES / "expected" / f"{name}.json"
        path.write_text(json.dumps(expected(name), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {path}")


if __name__ == "__main__":
    main(sys.argv[1:] or list(json.loads((FIXTURES / "pages.json").read_text())))
