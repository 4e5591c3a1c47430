"""Open a page in a real headless browser (Debian's Chromium) and report what loaded.

:func:`open_page`: the page is loaded in an iframe of a harness page written next to it; a script of the harness
lists every image with whether it loaded, and every link, once the page and its images have loaded. Chromium's
``--dump-dom`` returns the harness's DOM with that list.

:class:`DevTools`: Chromium driven through its DevTools protocol over a pipe, for the report's slice viewer: scripts,
real mouse events, screenshots, WebGL2 on the CPU (SwiftShader).
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
import select
import shutil
import subprocess
import time
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


#: Flags of the DevTools browser: headless Chromium with WebGL2 on the CPU (SwiftShader), which the viewer needs;
#: local pages cannot read local files (as in a user's Chrome).
DEVTOOLS_FLAGS = ["--headless", "--no-sandbox", "--disable-quic", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--use-angle=swiftshader",
                  "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist", "--remote-debugging-pipe"]  # fmt: skip


class DevTools:
    """Headless Chromium driven through the DevTools protocol over a pipe (no package needed): pages, scripts,
    real mouse events and screenshots. Use as a context manager; one page (tab) per instance."""

    def __init__(self, work: Path, *, width: int = 1400, height: int = 900) -> None:
        to_browser, self._to_browser = os.pipe()
        self._from_browser, from_browser = os.pipe()
        command = [chromium(), *DEVTOOLS_FLAGS, f"--user-data-dir={work}", f"--window-size={width},{height}"]
        self.process = subprocess.Popen(
            ["bash", "-c", f'exec "$0" "$@" 3<&{to_browser} 4>&{from_browser}', *command],
            pass_fds=(to_browser, from_browser), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        os.close(to_browser)
        os.close(from_browser)
        self._buffer, self._next_id, self.events, self.session = b"", 0, [], None
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self.send("Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 1,
                                                           "mobile": False})  # fmt: skip
        for domain in ("Page", "Runtime"):
            self.send(f"{domain}.enable")

    def __enter__(self) -> DevTools:
        return self

    def __exit__(self, *exc_info) -> None:
        self.process.kill()
        self.process.wait(timeout=30)
        os.close(self._to_browser)
        os.close(self._from_browser)

    def _message(self, timeout: float) -> dict:
        while b"\0" not in self._buffer:
            ready, _, _ = select.select([self._from_browser], [], [], timeout)
            chunk = os.read(self._from_browser, 1 << 20) if ready else b""
            assert chunk, f"Chromium sent nothing for {timeout} s (exit code {self.process.poll()})"
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def send(self, method: str, params: dict | None = None, *, timeout: float = 60) -> dict:
        """Call a DevTools method (in the page's session once attached) and return its result."""
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if self.session:
            message["sessionId"] = self.session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        while True:
            answer = self._message(timeout)
            if answer.get("id") == self._next_id:
                assert "error" not in answer, f"{method}: {answer['error']}"
                return answer["result"]
            self.events.append(answer)

    def open(self, url: str, *, timeout: float = 60) -> None:
        """Load ``url`` afresh (also where only its ``#`` part differs from the page's) and wait until loaded."""
        self.events.clear()
        self.send("Page.navigate", {"url": "about:blank"})
        self.send("Page.navigate", {"url": url})
        self.wait_for(f"location.href === {json.dumps(url)} && document.readyState === 'complete'", timeout=timeout)

    def evaluate(self, expression: str, *, timeout: float = 60):
        """The value of a script expression in the page (promises awaited); a script error fails the test."""
        result = self.send("Runtime.evaluate", {"expression": expression, "awaitPromise": True,
                                                 "returnByValue": True}, timeout=timeout)  # fmt: skip
        assert "exceptionDetails" not in result, result["exceptionDetails"]
        return result["result"].get("value")

    def wait_for(self, expression: str, *, timeout: float = 60):
        """Poll ``expression`` until it is truthy; returns its value."""
        deadline = time.monotonic() + timeout
        while not (value := self.evaluate(expression)):
            assert time.monotonic() < deadline, f"still false after {timeout} s: {expression}\n{self.errors()}"
            time.sleep(0.05)
        return value

    def errors(self) -> list[str]:
        """The page's uncaught exceptions and console errors so far."""
        found = []
        for event in self.events:
            if event.get("method") == "Runtime.exceptionThrown":
                found.append(json.dumps(event["params"]["exceptionDetails"])[:500])
            elif event.get("method") == "Runtime.consoleAPICalled" and event["params"]["type"] == "error":
                found.append(" ".join(str(a.get("value", a.get("description"))) for a in event["params"]["args"]))
        return found

    def mouse(self, kind: str, x: float, y: float) -> None:
        """A real mouse event at page position (x, y) in CSS pixels: ``mouseMoved``, or a left ``click`` (the
        pointer moved there first, as a hand does)."""
        self.send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y})
        if kind == "mouseMoved":
            return
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1})

    def screenshot(self, clip: dict | None = None) -> bytes:
        """A PNG of the page, or of ``clip`` (x, y, width, height in CSS pixels)."""
        params = {"format": "png", **({"clip": {**clip, "scale": 1}} if clip else {})}
        return base64.b64decode(self.send("Page.captureScreenshot", params)["data"])
