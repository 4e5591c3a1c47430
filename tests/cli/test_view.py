"""``nnunet_wmh view``: prints the page's address, serves until Ctrl-C, exits 0; a folder without a page is a usage
error naming DIR."""

from __future__ import annotations

import threading
import urllib.request

from nnunet_wmh.cli import main, view
from nnunet_wmh.report.serve import PageServer


def test_view_prints_the_address_and_serves_until_ctrl_c(tmp_path, monkeypatch, capsys):
    (tmp_path / "report").mkdir()
    (tmp_path / "report" / "index.html").write_text("<html><body>report</body></html>")
    fetched, serve = [], PageServer.serve_forever

    def one_visit_then_ctrl_c(server: PageServer) -> None:
        threading.Thread(target=serve, args=(server,), daemon=True).start()
        with urllib.request.urlopen(server.url, timeout=10) as response:
            fetched.append(response.read())
        raise KeyboardInterrupt

    monkeypatch.setattr(PageServer, "serve_forever", one_visit_then_ctrl_c)
    opened = []
    monkeypatch.setattr(view.webbrowser, "open", opened.append)
    assert main([view.NAME, str(tmp_path / "report"), "--no-browser"]) == 0
    printed = capsys.readouterr().out
    assert "open http://127.0.0.1:" in printed and "/index.html" in printed and printed.endswith("stopped\n")
    assert fetched == [b"<html><body>report</body></html>"] and opened == []
    assert main([view.NAME, str(tmp_path / "report")]) == 0
    assert len(opened) == 1 and opened[0].startswith("http://127.0.0.1:")


def test_a_folder_without_a_page_is_a_usage_error(tmp_path, capsys):
    assert main([view.NAME, str(tmp_path)]) == 2
    assert f"DIR {tmp_path}: no index.html in it" in capsys.readouterr().err


def test_a_missing_path_and_a_file_that_is_no_page_are_named_as_such(tmp_path, capsys):
    assert main([view.NAME, str(tmp_path / "nowhere")]) == 2
    assert f"DIR {tmp_path / 'nowhere'}: no such file or folder" in capsys.readouterr().err
    (tmp_path / "notes.txt").write_text("x")
    assert main([view.NAME, str(tmp_path / "notes.txt")]) == 2
    assert "notes.txt: a file that is not an .html page" in capsys.readouterr().err
