"""The job shape and the cleaning of text for JSON and stores."""

from __future__ import annotations

import json

from inboxd.models import FileResult, Job, JobResult, clean_text


def test_clean_text_drops_nul_and_escapes_surrogates() -> None:
    """NULs vanish and undecodable bytes become visible escapes, so JSON writes never fail."""
    assert clean_text("a\x00b") == "ab"
    assert clean_text("M\udcfcller") == "M\\xfcller"
    assert clean_text("plain ü") == "plain ü"


def test_job_json_has_the_http_shape() -> None:
    """The job's JSON carries the HTTP design's keys and survives a round trip."""
    job = Job(job_id="j1", folder="f\x00", result=JobResult(results=[
        FileResult(filename="a.pdf", path="sub/a.pdf", fields={"k\x00": "v\udcff"})]))  # fmt: skip
    data = job.to_json()
    assert {"job_id", "status", "total_files", "processed_files", "result"} <= data.keys()
    entry = data["result"]["results"][0]
    assert {"filename", "routing", "doc_type", "confidence", "error"} <= entry.keys()
    assert json.dumps(data).encode("utf-8")  # no lone surrogate left
    assert Job.from_json(data).to_json() == data
