"""``nnunet_wmh view``: a report's page and the images its slice viewer shows, served on 127.0.0.1.

Chrome, Edge and Firefox do not let a page opened from disk (``file://``) read other local files, so the viewer
of a report page opened that way cannot load its images. :func:`serve_page` serves, on 127.0.0.1 only, the
smallest folder that holds the page and every file it refers to (a report's images often lie beside it, not in
it), and in it only the page's own folder and the files the page names: nothing else of that folder can be read.
"""

from __future__ import annotations

import errno
import logging
import os
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

from nnunet_wmh.errors import UsageError
from nnunet_wmh.report.page_files import is_absolute_reference, page_references

logger = logging.getLogger(__name__)

#: The page of a report or segment folder.
PAGE = "index.html"
#: Only this machine can connect.
HOST = "127.0.0.1"


class PageFilesHandler(SimpleHTTPRequestHandler):
    """Serves the files below ``page_folder`` and the ``allowed`` files, each from the served root; anything else
    (other files of the root, folder listings, paths leading out of the root) is answered 404."""

    def __init__(self, *args, page_folder: Path, allowed: frozenset[Path], **kwargs) -> None:
        self.page_folder = page_folder
        self.allowed = allowed
        super().__init__(*args, **kwargs)

    def _may_serve(self, path: Path) -> bool:
        resolved = path.resolve()
        return resolved.is_file() and (resolved in self.allowed or resolved.is_relative_to(self.page_folder))

    def send_head(self):  # http.server's hook: every GET and HEAD goes through it
        if not self._may_serve(Path(self.translate_path(self.path))):
            self.send_error(404, "not a file of this page")
            return None
        return super().send_head()

    def log_message(self, format: str, *args) -> None:  # http.server's signature
        logger.debug("%s %s", self.address_string(), format % args)


@dataclass
class PageServer:
    """A running server of one page (:func:`serve_page`): its address, and what it serves.

    Attributes
    ----------
    httpd
        The HTTP server, bound to 127.0.0.1.
    root
        The folder served: the smallest one that holds the page and every file it refers to.
    page
        The page.
    missing
        The page's references to files that do not exist (the viewer says so when it cannot load them).
    serving
        Whether :meth:`serve_forever` runs.
    """

    httpd: ThreadingHTTPServer
    root: Path
    page: Path
    missing: list[str]
    serving: bool = field(default=False, init=False)

    @property
    def url(self) -> str:
        """The page's address: ``http://127.0.0.1:PORT/path/to/index.html``."""
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/{quote(self.page.relative_to(self.root).as_posix())}"

    def serve_forever(self) -> None:
        """Answer requests until :meth:`close` is called from another thread (or Ctrl-C)."""
        self.serving = True
        try:
            self.httpd.serve_forever()
        finally:
            self.serving = False

    def close(self) -> None:
        """Stop answering (when :meth:`serve_forever` runs in another thread) and free the port."""
        if self.serving:
            self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> PageServer:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def _page_of(folder: str | os.PathLike[str]) -> Path:
    path = Path(folder).expanduser()
    page = path / PAGE if path.is_dir() else path
    if not page.is_file() or page.suffix != ".html":
        found = "no such file or folder" if not path.exists() else (f"no {PAGE} in it" if path.is_dir() else
                                                                     "a file that is not an .html page")  # fmt: skip
        raise UsageError(
            f"`folder` {folder}: {found}; give the --out folder of report or segment (or an .html page)", "folder"
        )
    return page.resolve()


def serve_page(folder: str | os.PathLike[str], *, port: int = 0) -> PageServer:
    """Serve a report's (or segment run's) ``index.html`` and the files it refers to on 127.0.0.1.

    Parameters
    ----------
    folder
        A report or segment folder (its ``index.html`` is served), or an ``.html`` page.
    port
        The port; 0 picks a free one.

    Returns
    -------
    PageServer
        Started but not yet answering: call :meth:`PageServer.serve_forever`.

    Raises
    ------
    UsageError
        If there is no page, the page refers to a file by an absolute path, or the port is taken.
    """
    page = _page_of(folder)
    references = page_references(page)
    absolute = [r for r in references if is_absolute_reference(r)]
    if absolute:
        raise UsageError(f"`folder` {page} refers to files by absolute paths, e.g. {absolute[0]}", "folder")
    files = {(page.parent / r).resolve() for r in references}
    existing = frozenset(f for f in files if f.is_file())
    missing = [r for r in references if (page.parent / r).resolve() not in existing]
    if missing:
        logger.warning("%s refers to %d missing file(s), e.g. %s", page, len(missing), missing[0])
    root = Path(os.path.commonpath([page.parent, *(f.parent for f in existing)]))
    handler = partial(PageFilesHandler, directory=str(root), page_folder=page.parent, allowed=existing)
    try:
        httpd = ThreadingHTTPServer((HOST, port), handler)
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        raise UsageError(f"`port` {port} is taken on {HOST}; give another, or 0 for any free port", "port") from exc
    return PageServer(httpd, root, page, missing)
