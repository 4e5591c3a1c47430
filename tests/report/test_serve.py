"""``nnunet_wmh view``'s server: the smallest folder holding a page and the files it refers to, on 127.0.0.1, and
in it only the page's folder and those files."""

from __future__ import annotations

import http.client
import threading

import pytest

from nnunet_wmh.errors import UsageError
from nnunet_wmh.report.serve import serve_page


@pytest.fixture
def site(tmp_path):
    """``site/report/index.html`` referring to ``../images/a.nii.gz``; a file beside it the page does not name,
    and one outside ``site``."""
    (tmp_path / "site" / "report").mkdir(parents=True)
    (tmp_path / "site" / "images").mkdir()
    (tmp_path / "site" / "images" / "a.nii.gz").write_bytes(b"\x1f\x8b image")
    (tmp_path / "site" / "images" / "b.nii.gz").write_bytes(b"not on the page")
    (tmp_path / "site" / "report" / "qc.tsv").write_text("case\n")
    (tmp_path / "outside.txt").write_text("secret")
    page = '<html><body><a href="qc.tsv">qc</a><img src="../images/a.nii.gz" alt=""></body></html>'
    (tmp_path / "site" / "report" / "index.html").write_text(page)
    return tmp_path


def _get(server, path: str) -> tuple[int, bytes]:
    host, port = server.httpd.server_address[:2]
    connection = http.client.HTTPConnection(host, port, timeout=10)
    connection.request("GET", path)
    response = connection.getresponse()
    return response.status, response.read()


@pytest.fixture
def served(site):
    server = serve_page(site / "site" / "report")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.close()


def test_the_page_is_served_from_the_smallest_folder_holding_it_and_its_files(site, served):
    assert served.root == (site / "site").resolve() and served.missing == []
    host, port = served.httpd.server_address[:2]
    assert host == "127.0.0.1" and served.url == f"http://127.0.0.1:{port}/report/index.html"
    assert served.httpd.socket.getsockname()[0] == "127.0.0.1"  # the loopback only: no other machine connects
    assert _get(served, "/report/index.html")[0] == 200
    assert _get(served, "/images/a.nii.gz") == (200, b"\x1f\x8b image")  # as written, not decompressed
    assert _get(served, "/report/qc.tsv") == (200, b"case\n")


def test_nothing_else_is_readable(served):
    assert _get(served, "/images/b.nii.gz")[0] == 404  # in the served folder, but not on the page
    assert _get(served, "/images/")[0] == 404  # no folder listings
    for outside in ("/../outside.txt", "/%2e%2e/outside.txt", "/report/../../outside.txt"):
        assert _get(served, outside)[0] == 404


def test_a_folder_without_a_page_a_taken_port_and_an_absolute_path_are_usage_errors(site, served):
    with pytest.raises(UsageError, match=r"`folder` .*images: no index.html in it") as error:
        serve_page(site / "site" / "images")
    assert error.value.parameter == "folder"
    with pytest.raises(UsageError, match=rf"`port` {served.httpd.server_address[1]} is taken on 127.0.0.1"):
        serve_page(site / "site" / "report", port=served.httpd.server_address[1])
    page = site / "site" / "report" / "index.html"
    page.write_text(f'<img src="{site / "site" / "images" / "a.nii.gz"}">')
    with pytest.raises(UsageError, match="refers to files by absolute paths"):
        serve_page(page)


def test_a_missing_file_is_reported_but_served_pages_still_work(site):
    (site / "site" / "images" / "a.nii.gz").unlink()
    with serve_page(site / "site" / "report") as server:
        assert server.missing == ["../images/a.nii.gz"] and server.root == (site / "site" / "report").resolve()
