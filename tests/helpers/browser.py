"""Open a page in a real headless browser (Debian's Chromium) and report what loaded.

The page is loaded in an iframe of a harness page written next to it; a script of the harness (not of the
product's page, which has none) lists every image with whether it loaded, and every link, once the page
and its images have loaded. Chromium's ``--dump-dom`` returns the harness's DOM with that list.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

HARNESS = """<!DOCTYPE html><html><body>
<iframe id="page" src="{src}" style="width: 1280px; height: 900px"></iframe>
<script>
document.getElementById("page").addEventListener("load", function () {{
  var d = this.contentDocument;
  var images = Array.from(d.images).map(function (i) {{
    return {{src: i.getAttribute("src"), loaded: i.complete && i.naturalWidth > 0, width: i.naturalWidth}};
  }});
  var links = Array.from(d.querySelectorAll("a[href]")).map(function (a) {{ return a.getAttribute("href"); }});
  var out = document.createElement("pre");
  out.id = "result";
  out.textContent = JSON.stringify({{title: d.title, images: images, links: links}});
  document.body.appendChild(out);
}});
</script></body></html>
"""
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--allow-file-access-from-files"]  # fmt: skip


def chromium() -> str:
    """Chromium's path; skips the test outside CI when it is missing, fails it in CI (``.ci/run`` installs it)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; .ci/run installs Debian's chromium package")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return found


def open_page(page: Path, work: Path) -> dict:
    """Load ``page`` in headless Chromium; returns its title, images (src, loaded, width) and link targets."""
    harness = page.parent / f".harness_{page.stem}.html"
    harness.write_text(HARNESS.format(src=page.resolve().as_uri()))
    try:
        completed = subprocess.run(
            [chromium(), *FLAGS, f"--user-data-dir={work}", "--virtual-time-budget=15000", "--dump-dom",
             harness.resolve().as_uri()],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
    finally:
        harness.unlink()
    found = re.search(r'<pre id="result">(.*?)</pre>', completed.stdout, re.S)
    assert found, f"the page did not load in Chromium:\n{completed.stderr[-3000:]}"
    return json.loads(html.unescape(found.group(1)))


def screenshot(page: Path, png: Path, work: Path) -> Path:
    """A 1300 × 2000 screenshot of ``page``."""
    command = [chromium(), *FLAGS, f"--user-data-dir={work}", "--window-size=1300,2000", f"--screenshot={png}"]
    subprocess.run([*command, page.resolve().as_uri()], capture_output=True, timeout=120, check=True)
    return png
