"""An operator's typos and ordinary events, each as one line on stderr and an exit code: a wrong
setting (exit 2, before anything connects), an unknown source (exit 2, with the known ones), a
read of a store that was never made (said, not created), a reader that closed the pipe (quiet)."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import article_document, run_crawler, wait_for

COMMANDS = [
    ["fetch", "http://127.0.0.1:1/a.html"],
    ["crawl", "solidot"],
    ["db", "replay"],
    ["db", "regroup"],
    ["db", "serve"],
    ["export"],
    ["history", "http://127.0.0.1:1/a.html"],
    ["status"],
    ["schedule", "--once", "solidot"],
    ["worker", "--until-idle"],
    ["api"],
]


@pytest.mark.parametrize(
    ("setting", "said"),
    [
        ("MONGO_TIMEOUT_MS=abc", "MONGO_TIMEOUT_MS='abc': not a whole number"),
        ("MONGO_TIMEOUT_MS=-5", "MONGO_TIMEOUT_MS='-5': must be more than 0"),
        ("MONGO_BATCH_SIZE=-1", "MONGO_BATCH_SIZE='-1': must be more than 0"),
        ("API_TIMEOUT=-3", "API_TIMEOUT='-3': must be more than 0"),
        ("MONGO_OUTAGE_LIMIT=abc", "MONGO_OUTAGE_LIMIT='abc': not a number"),
        ("SCHEDULES=notjson", "SCHEDULES='notjson': not JSON (Expecting value: line 1 column 1 (char 0))"),
        ("SCHEDULES=[1]", "SCHEDULES='[1]': not a JSON object ({...})"),
        ("MONGO_URI=notauri", "MONGO_URI=…: Invalid URI scheme: URI must begin with 'mongodb://'"),
        ("MONGO_URI=mongodb://user:s3cret@", "MONGO_URI=…: Empty host (or extra comma in host list)"),
        ("DOWNLOAD_DELAY=abc", "DOWNLOAD_DELAY='abc': not a number"),
        ("INCREMENTAL_ENABLED=maybe", "INCREMENTAL_ENABLED='maybe': not true or false (1/0, true/false)"),
        ("API_PORT=99999", "API_PORT='99999': not a port (1 to 65535)"),
        ("DEDUP_MIN_COVERAGE=2", "DEDUP_MIN_COVERAGE='2': not a share (0 to 1)"),
        ("REDIS_URL=http://x", "REDIS_URL=…: not a Redis URL (redis://, rediss:// or unix://)"),
        ("NOEQUALS", "-s NOEQUALS: give a setting as NAME=VALUE"),
        ("SCHEDULE_TIMEZONE=Mars/Olympus", "SCHEDULE_TIMEZONE='Mars/Olympus': not a time zone (an IANA name"),
        ("DISPLAY_TIMEZONE=CST", "DISPLAY_TIMEZONE='CST': not a time zone (an IANA name"),
    ],
)
def test_a_wrong_setting_is_one_line_naming_it_and_exit_2_before_anything_connects(
    setting: str, said: str, crawler_env, tmp_path: Path
) -> None:
    env = {k: v for k, v in crawler_env.items() if k != "MONGO_URI"}
    run = run_crawler(["-s", setting, "status"], env, tmp_path)
    assert run.returncode == 2
    assert run.stderr.startswith(f"crawler: {said}") and run.stderr.count("\n") == 1, run.stderr
    assert "s3cret" not in run.stderr
    assert not Path(env["MONGO_EMBEDDED_PATH"]).exists()  # no store was started, nor its folder made


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_every_command_refuses_a_wrong_setting_in_one_line(command: list[str], crawler_env, tmp_path) -> None:
    run = run_crawler(["-s", "MONGO_TIMEOUT_MS=abc", *command], crawler_env, tmp_path, timeout=60)
    assert (run.returncode, run.stderr) == (2, "crawler: MONGO_TIMEOUT_MS='abc': not a whole number\n")


def test_an_unknown_setting_is_a_warning_naming_the_closest_known_one(
    crawler_env, articles, tmp_path
) -> None:
    run = run_crawler(["-s", "MONGO_TIMEOUT=300", "status"], crawler_env, tmp_path)
    assert run.returncode == 0, run.stderr
    assert (
        run.stderr
        == "crawler: warning: -s MONGO_TIMEOUT: no such setting, ignored (did you mean MONGO_TIMEOUT_MS?)\n"
    )


def test_a_setting_the_environment_does_not_give_is_a_warning_naming_the_way_that_does(
    crawler_env, articles, tmp_path
) -> None:
    """The store's URI comes from the environment; its timeout does not, and an operator who wrote
    it in a compose file's environment is told, without its value, and how to give it."""
    env = crawler_env | {"MONGO_TIMEOUT_MS": "300", "MONGO_OUTAGE_LIMIT": "1"}
    run = run_crawler(["-s", "MONGO_OUTAGE_LIMIT=1", "status"], env, tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stderr == (
        "crawler: warning: MONGO_TIMEOUT_MS is set in the environment, which gives only the settings "
        "docs/settings.md marks env: ignored; give it as -s MONGO_TIMEOUT_MS=VALUE\n"
    )  # MONGO_OUTAGE_LIMIT is given by -s as well: nothing to say


@pytest.mark.parametrize(
    "command",
    [["export", "--source", "nosuch"], ["db", "regroup", "--source", "nosuch"], ["crawl", "nosuch"]],
    ids=lambda c: c[0],
)
def test_an_unknown_source_is_exit_2_with_the_known_ones(command: list[str], crawler_env, tmp_path) -> None:
    run = run_crawler(command, crawler_env, tmp_path)
    assert run.returncode == 2
    assert (
        run.stderr.startswith("crawler: unknown source(s) nosuch; known: netease, ")
        and run.stderr.count("\n") == 1
    )


@pytest.mark.parametrize("command", [["status"], ["export"], ["history", "http://example.com/a.html"]])
def test_reading_a_store_never_made_says_so_instead_of_making_one(command, crawler_env, tmp_path) -> None:
    env = {k: v for k, v in crawler_env.items() if k != "MONGO_URI"}
    run = run_crawler(command, env, tmp_path)
    folder = env["MONGO_EMBEDDED_PATH"]
    assert (run.returncode, run.stderr) == (
        1,
        f"crawler: no store in {folder} yet: nothing was stored there (crawl or fetch first)\n",
    )
    assert not Path(folder).exists()


@pytest.mark.parametrize("command", ["export", "status"])
def test_a_reader_that_closed_the_pipe_gets_no_traceback(
    command: str, crawler_env, articles, tmp_path
) -> None:
    """`crawler export | head -1`: on the old main a BrokenPipeError traceback."""
    articles.insert_many(
        [article_document(f"https://example.com/{n}.html", "正文" * 400, None) for n in range(200)]
    )
    shell = f"{sys.executable} -m crawler.cli.main {command} | true"  # the reader is gone before a line
    run = subprocess.run(["sh", "-c", shell], env=crawler_env, cwd=tmp_path, capture_output=True, text=True)
    assert "Traceback" not in run.stderr and "BrokenPipe" not in run.stderr, run.stderr


def test_export_into_a_missing_folder_is_one_line(crawler_env, articles, tmp_path) -> None:
    articles.insert_one(article_document("https://example.com/1.html", "正文" * 40, None))
    target = tmp_path / "no" / "such" / "out.jsonl"
    run = run_crawler(["export", "-o", str(target)], crawler_env, tmp_path)
    assert (run.returncode, run.stderr) == (1, f"crawler: cannot write {target}: No such file or directory\n")


def test_a_crawl_is_quiet_by_default_a_line_per_run_and_says_more_when_asked(
    site, crawler_env, articles, tmp_path
) -> None:
    """On the old main `crawler crawl` printed Scrapy's whole log: 143 lines for one source."""
    from tests.commands import no_delays
    from tests.test_runs import ARTICLE, article, listing

    listing(site, ["Q000000000000001", "Q000000000000002"])
    for ident in ("Q000000000000001", "Q000000000000002"):
        site.add(ARTICLE.format(ident), article(ident))
    env = crawler_env | {"http_proxy": site.base}
    start = no_delays('SOURCE_START_URLS={"netease": ["http://www.163.com/news/"]}')
    quiet = run_crawler([*start, "crawl", "netease"], env, tmp_path)
    assert (quiet.returncode, quiet.stderr) == (0, "")
    [line] = quiet.stdout.splitlines()
    assert line.startswith("netease: ok — 2 new, 0 updated, 0 unchanged, 0 failed in ") and line.endswith(
        " s"
    )

    verbose = run_crawler([*start, "crawl", "netease", "-v"], env, tmp_path)
    assert verbose.returncode == 0 and "Spider closed (finished)" in verbose.stderr
    assert "netease: ok — 0 new, 0 updated, " in verbose.stderr and verbose.stdout == ""

    as_json = run_crawler([*start, "-s", "LOG_FORMAT=json", "crawl", "netease", "-v"], env, tmp_path)
    entries = [json.loads(line) for line in as_json.stderr.splitlines()]
    assert {"time", "level", "logger", "message"} <= set(entries[0]) and len(entries) > 10
    assert any(e["logger"] == "crawler.run" and e["message"].startswith("netease: ok") for e in entries)


def test_a_scheduled_runs_line_to_a_closed_pipe_is_no_logging_error(
    crawler_env, articles, tmp_path, unused_loopback_port: int
) -> None:
    """`crawler schedule | head -1`: on the old main each run line was Python's "--- Logging error
    ---" with a BrokenPipeError traceback."""
    nowhere = json.dumps({"solidot": [f"http://127.0.0.1:{unused_loopback_port}/"]})
    command = f"{sys.executable} -m crawler.cli.main -s 'SOURCE_START_URLS={nowhere}' schedule --once solidot"
    shell = f"{command} | true"
    run = subprocess.run(
        ["sh", "-c", shell], env=crawler_env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert "Traceback" not in run.stderr and "Logging error" not in run.stderr, run.stderr
    assert articles.database["crawls"].count_documents({"source": "solidot"}) == 1  # the run went on


def test_a_service_whose_stdout_is_closed_goes_on_serving(
    api_env, tmp_path, unused_loopback_port: int
) -> None:
    """`crawler api | head -1`: on the old main its "serving" line raised BrokenPipeError, and the
    process hung on its way out with the API never serving."""
    api = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli.main", "api", "--port", str(unused_loopback_port)],
        env=api_env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    api.stdout.close()  # the reader is gone before the first line
    try:
        wait_for(lambda: health(unused_loopback_port) == 200)
    finally:
        api.terminate()
        api.wait(30)
    stderr = api.stderr.read()
    assert api.returncode == 0 and "Traceback" not in stderr and "leaked" not in stderr, stderr


def health(port: int) -> int | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as answer:
            return answer.status
    except OSError:
        return None
