"""The HTTP intake against a real server on a loopback port, with the daemon beside it."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import Api, inbox_entries
from tests.conftest import wait_for

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200


def test_one_file_is_followed_to_completed(
    serve: Callable[..., Api], pdf_bytes: Callable[[int], bytes]
) -> None:
    """One uploaded PDF: 200 with a pending job id, which GET /job/{id} follows to completed."""
    api = serve()
    response = api.post([("doc1.pdf", pdf_bytes(0))])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "pending" and body["total_files"] == 1
    assert body["status_endpoint"] == f"/job/{body['job_id']}"
    first = api.client.get(body["status_endpoint"])  # answers at once, before the daemon
    assert first.status_code == 200 and first.json()["job_id"] == body["job_id"]
    job = api.completed(body["job_id"])
    assert job["status"] == "completed", job
    assert (job["total_files"], job["processed_files"], job["progress"]) == (1, 1, 100)
    result = job["result"]["results"][0]
    assert result["filename"] == "doc1.pdf" and result["routing"] in ("INBOX", "ARCHIVE")
    assert result["doc_type"] == "invoice"
    assert (api.settings.dirs()["done"] / body["folder"] / "doc1.pdf").is_file()


def test_five_files_are_one_job(
    serve: Callable[..., Api], pdf_bytes: Callable[[int], bytes]
) -> None:
    """Five files in one request are one job with five results."""
    api = serve()
    names = [f"doc{i}.pdf" for i in range(1, 6)]
    response = api.post([(name, pdf_bytes(i)) for i, name in enumerate(names)])
    assert response.status_code == 200, response.text
    job = api.completed(response.json()["job_id"])
    assert job["status"] == "completed" and job["processed_files"] == 5
    assert sorted(r["filename"] for r in job["result"]["results"]) == names
    assert {r["doc_type"] for r in job["result"]["results"]} >= {"invoice", "receipt", "letter"}


def test_three_requests_give_three_jobs(
    serve: Callable[..., Api], pdf_bytes: Callable[[int], bytes]
) -> None:
    """Three requests: three distinct job ids, each followed to completed."""
    api = serve()
    ids = []
    for i in range(3):
        response = api.post([(f"doc{i}.pdf", pdf_bytes(i))])
        assert response.status_code == 200, response.text
        ids.append(response.json()["job_id"])
    assert len(set(ids)) == 3
    for job_id in ids:
        job = api.completed(job_id)
        assert job["status"] == "completed" and job["job_id"] == job_id
    listed = api.client.get("/jobs", params={"status": "completed", "limit": 10}).json()
    assert {j["job_id"] for j in listed["jobs"]} == set(ids) and listed["count"] == 3


def test_job_keeps_its_id_through_the_daemon(
    serve: Callable[..., Api], pdf_bytes: Callable[[int], bytes]
) -> None:
    """The daemon processes the upload under the id the API gave it: one row, not two."""
    api = serve()
    job_id = api.post([("a.pdf", pdf_bytes(0))]).json()["job_id"]
    api.completed(job_id)
    listed = api.client.get("/jobs").json()["jobs"]
    assert [j["job_id"] for j in listed] == [job_id]


@pytest.mark.parametrize("job_id", [str(uuid.uuid4()), "nope", "..%2F..%2Fetc", "x" * 500])
def test_unknown_or_malformed_job_id_is_404(serve: Callable[..., Api], job_id: str) -> None:
    """An id no job has, or that is no job id at all, is a JSON 404."""
    api = serve(daemon=False)
    response = api.client.get(f"/job/{job_id}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_jobs_listing_validates_its_query(serve: Callable[..., Api]) -> None:
    """GET /jobs refuses an unknown status or a limit out of range with 422."""
    api = serve(daemon=False)
    assert api.client.get("/jobs").json() == {"jobs": [], "count": 0}
    assert api.client.get("/jobs", params={"status": "lost"}).status_code == 422
    refused = api.client.get("/jobs", params={"limit": 0})
    assert refused.status_code == 422 and refused.json()["code"] == "invalid_request"
    assert "limit" in refused.json()["detail"]


def test_request_without_files_is_422(serve: Callable[..., Api]) -> None:
    """A form with no file part, or an empty file, is refused with 422; nothing is left."""
    api = serve(daemon=False)
    response = api.client.post("/classify-documents-async", data={"note": "no files"},
                               files={"unused": ("", b"")})  # fmt: skip
    assert response.status_code == 422 and response.json()["code"] in ("no_files", "empty_file")
    response = api.post_raw(b"--b--\r\n", "b")
    assert response.status_code == 422 and response.json()["code"] == "no_files"
    response = api.post([("empty.pdf", b"")])
    assert response.status_code == 422 and response.json()["code"] == "empty_file"
    assert inbox_entries(api.inbox) == []


def test_body_that_is_not_multipart_is_415(serve: Callable[..., Api]) -> None:
    """JSON or a raw body instead of multipart/form-data is refused with a clear message."""
    api = serve(daemon=False)
    response = api.client.post("/classify-documents-async", json={"files": []})
    assert response.status_code == 415 and "multipart/form-data" in response.json()["detail"]
    assert inbox_entries(api.inbox) == []


def test_unsupported_kind_is_415_and_leaves_nothing(
    serve: Callable[..., Api], pdf_bytes: Callable[[int], bytes]
) -> None:
    """A PNG named .pdf is refused by its bytes; the PDF before it is not left behind."""
    api = serve(daemon=False)
    response = api.post([("fine.pdf", pdf_bytes(0)), ("scan.pdf", PNG)])
    assert response.status_code == 415
    body = response.json()
    assert body["code"] == "unsupported_kind" and "png" in body["detail"]
    assert inbox_entries(api.inbox) == []
    assert api.client.get("/jobs").json()["count"] == 0


def test_allowed_kinds_come_from_the_configuration(serve: Callable[..., Api]) -> None:
    """With png allowed, the same PNG is accepted."""
    api = serve(daemon=False, allowed_kinds=["pdf", "png"])
    assert api.post([("scan.png", PNG)]).status_code == 200


@pytest.mark.parametrize(
    ("limits", "files", "code"),
    [
        ({"max_file_bytes": 1000}, [("small.txt", b"x" * 100), ("big.txt", b"y" * 5000)],
         "too_large"),
        ({"max_request_bytes": 3000}, [("a.txt", b"x" * 2000), ("b.txt", b"y" * 2000)],
         "too_large"),
        ({"max_files_per_request": 2}, [("a.txt", b"a"), ("b.txt", b"b"), ("c.txt", b"c")],
         "too_large"),
    ],
)  # fmt: skip
def test_limits_are_413_and_leave_nothing(
    serve: Callable[..., Api], limits: dict[str, int], files: list[tuple[str, bytes]], code: str
) -> None:
    """Bytes per file, bytes per request and files per request: 413, no partial folder."""
    api = serve(daemon=False, **limits)
    response = api.post(files)
    assert response.status_code == 413, response.text
    assert response.json()["code"] == code
    assert inbox_entries(api.inbox) == []


def test_request_limit_is_enforced_without_content_length(serve: Callable[..., Api]) -> None:
    """A chunked body (no Content-Length) is counted as it streams and cut off at the limit."""
    api = serve(daemon=False, max_request_bytes=10_000)
    boundary = "xyz"
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="files"; '
            f'filename="a.txt"\r\n\r\n').encode()  # fmt: skip

    def body() -> Iterator[bytes]:
        yield head
        for _ in range(50):
            yield b"z" * 1000
        yield f"\r\n--{boundary}--\r\n".encode()

    response = api.post_raw(body(), boundary)
    assert response.status_code == 413
    assert inbox_entries(api.inbox) == []


def test_truncated_body_is_400_and_leaves_nothing(serve: Callable[..., Api]) -> None:
    """A body cut short before its closing boundary is refused; its file is removed."""
    api = serve(daemon=False)
    body = (b'--b\r\nContent-Disposition: form-data; name="files"; filename="a.txt"\r\n\r\n'
            b"half a document")  # fmt: skip
    response = api.post_raw(body, "b")
    assert response.status_code == 400 and response.json()["code"] == "bad_multipart"
    assert inbox_entries(api.inbox) == []


def _raw_upload(names: list[bytes], data: bytes) -> tuple[bytes, str]:
    """A multipart body with file names exactly as given (httpx would escape them)."""
    boundary = b"rawboundary"
    parts = [
        b"--" + boundary + b'\r\nContent-Disposition: form-data; name="files"; filename="'
        + name + b'"\r\nContent-Type: application/octet-stream\r\n\r\n' + data + b"\r\n"
        for name in names
    ]  # fmt: skip
    return b"".join(parts) + b"--" + boundary + b"--\r\n", boundary.decode()


def test_file_names_are_sanitised(
    serve: Callable[..., Api], pdf_bytes: Callable[[int], bytes]
) -> None:
    """Traversal, control characters, hidden, temp and long names, and duplicates all land
    as plain unique files inside the job folder, and every one is processed."""
    api = serve()
    names = [b"../../etc/passwd", b"..\\..\\win.ini", b"a\x01b\x7fc\x1b.pdf",
             b"x" * 400 + b".pdf", b".hidden.pdf", b"scan.tmp", b"same.pdf", b"same.pdf",
             "r\u00e9sum\u00e9 \u202egnp.pdf".encode(), b"", b".."]  # fmt: skip
    body, boundary = _raw_upload(names, pdf_bytes(0))
    response = api.post_raw(body, boundary)
    assert response.status_code == 200, response.text
    stored = [f["filename"] for f in response.json()["files"]]
    assert len(stored) == len(set(stored)) == len(names)
    assert stored[:3] == ["passwd", "win.ini", "abc.pdf"]
    assert stored[3].endswith(".pdf") and len(stored[3].encode()) <= 150
    assert stored[4:8] == ["hidden.pdf", "scan.tmp_", "same.pdf", "same-2.pdf"]
    assert stored[8] == "r\u00e9sum\u00e9 gnp.pdf"
    for name in stored:
        assert "/" not in name and "\\" not in name and not name.startswith(".")
        assert all(ch.isprintable() for ch in name)
    job = api.completed(response.json()["job_id"])
    assert job["processed_files"] == len(names) and job["status"] == "completed", job
    folder = api.settings.dirs()["done"] / response.json()["folder"]
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == sorted(
        [*stored, "inboxd-result.json"]
    )
    assert not (api.settings.root / "etc").exists()


def test_unwritable_inbox_is_503(
    serve: Callable[..., Api], pdf_bytes: Callable[[int], bytes],
    immutable: Callable[[Path], None],
) -> None:  # fmt: skip
    """An inbox that cannot be written: uploads get 503 and /healthz says why."""
    api = serve()
    assert api.client.get("/healthz").status_code == 200
    immutable(api.inbox)
    response = api.post([("a.pdf", pdf_bytes(0))])
    assert response.status_code == 503 and response.json()["code"] == "inbox_unavailable"
    health = api.client.get("/healthz")
    assert health.status_code == 503
    assert health.json()["inbox"]["writable"] is False
    assert api.client.get("/jobs").json()["count"] == 0


def test_healthz_reports_each_check(serve: Callable[..., Api]) -> None:
    """/healthz: daemon alive, store reachable, writes waiting, inbox writable."""
    api = serve()
    body = api.client.get("/healthz").json()
    assert body["status"] == "ok" and body["problems"] == []
    assert body["daemon"] == {"in_process": True, "alive": True}
    assert body["store"] == {"reachable": True, "writes_waiting": 0}
    assert body["inbox"] == {"writable": True}
    assert inbox_entries(api.inbox) == []  # the probe leaves nothing


def test_token_is_required_everywhere_but_healthz(
    serve: Callable[..., Api], pdf_bytes: Callable[[int], bytes]
) -> None:
    """With api.token set, every endpoint but /healthz answers 401 without it."""
    api = serve(daemon=False, token="s3cret-token")
    for method, path in [("POST", "/classify-documents-async"), ("GET", "/jobs"),
                         ("GET", f"/job/{uuid.uuid4()}"), ("GET", "/docs"),
                         ("GET", "/openapi.json")]:  # fmt: skip
        response = api.client.request(method, path)
        assert response.status_code == 401, path
        assert response.headers["www-authenticate"] == "Bearer"
        wrong = api.client.request(method, path, headers={"authorization": "Bearer nope"})
        assert wrong.status_code == 401, path
    assert api.client.get("/healthz").status_code == 200
    auth = {"authorization": "Bearer s3cret-token"}
    response = api.post([("a.pdf", pdf_bytes(0))], headers=auth)
    assert response.status_code == 200
    assert api.client.get(response.json()["status_endpoint"], headers=auth).status_code == 200
    assert api.client.get("/openapi.json", headers=auth).json()["paths"]


def test_openapi_document_describes_the_upload(serve: Callable[..., Api]) -> None:
    """/docs is served and the OpenAPI document names the multipart "files" field."""
    api = serve(daemon=False)
    assert "swagger" in api.client.get("/docs").text.lower()
    spec = api.client.get("/openapi.json").json()
    upload = spec["paths"]["/classify-documents-async"]["post"]["requestBody"]
    assert "files" in upload["content"]["multipart/form-data"]["schema"]["properties"]
    assert {"/job/{job_id}", "/jobs", "/healthz"} <= set(spec["paths"])


def test_concurrent_uploads_each_become_a_job(
    serve: Callable[..., Api], pdf_bytes: Callable[[int], bytes]
) -> None:
    """Eight uploads at once: eight jobs, all completed, no staging left behind."""
    from concurrent.futures import ThreadPoolExecutor

    api = serve()
    data = pdf_bytes(1)

    def upload(i: int) -> str:
        with httpx.Client(base_url=api.url, timeout=30) as client:
            files = [("files", (f"r{i}.pdf", data, "application/pdf"))]
            response = client.post("/classify-documents-async", files=files)
            assert response.status_code == 200, response.text
            job_id: str = response.json()["job_id"]
            return job_id

    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(upload, range(8)))
    assert len(set(ids)) == 8
    for job_id in ids:
        assert api.completed(job_id)["status"] == "completed"
    wait_for(lambda: inbox_entries(api.inbox) == [], what="inbox empty")
