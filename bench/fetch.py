"""`crawler fetch` of one page, ten times in a row on a fresh embedded store: the wall time of each
command as a user waits for it, the first (which starts the store) and the ones after.

    python bench/fetch.py [--times 10]

A local site (tests/site.py) serves a real page of tests/fixtures; each fetch is a new
`crawler fetch URL` process with no MONGO_URI, so it uses the embedded store on a folder made for
the run. Prints each run's seconds, then the first, the tenth and the median of the others.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.site import Site  # noqa: E402

PAGE = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "pages" / "flat_002.html.gz"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--times", type=int, default=10)
    args = parser.parse_args()
    site = Site()
    url = site.add("/reader/002.html", gzip.decompress(PAGE.read_bytes()))
    with tempfile.TemporaryDirectory() as work:
        env = {k: v for k, v in os.environ.items() if k != "MONGO_URI" and not k.lower().endswith("_proxy")}
        env |= {"MONGO_EMBEDDED_PATH": f"{work}/mongo", "SPOOL_PATH": f"{work}/spool.jsonl"}
        seconds = []
        for _ in range(args.times):
            started = time.perf_counter()
            command = [sys.executable, "-m", "crawler.cli.main", "fetch", url]
            run = subprocess.run(command, env=env, cwd=work, capture_output=True)
            seconds.append(time.perf_counter() - started)
            assert run.returncode == 0, run.stderr.decode()[-2000:]
        record = Path(work, "mongo", "serving.json")
        if record.exists():  # a store that outlives its commands: stopped with the bench
            os.kill(json.loads(record.read_text())["pid"], signal.SIGTERM)
    site.close()
    print("runs:", " ".join(f"{s:.2f}" for s in seconds))
    print(
        f"first {seconds[0]:.2f} s, tenth {seconds[min(9, len(seconds) - 1)]:.2f} s, "
        f"median of the others {statistics.median(seconds[1:]):.2f} s"
    )


if __name__ == "__main__":
    main()
