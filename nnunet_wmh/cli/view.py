"""Serves a report's (or segment run's) index.html and the images its slice viewer shows, on 127.0.0.1 only, and
opens the page in the web browser. Chrome, Edge and Firefox do not let a page opened from disk read the images
beside it; served this way they do. Serves the smallest folder holding the page and every file it shows, and in it
only those files. Ctrl-C stops the server."""

from __future__ import annotations

import argparse
import webbrowser

from nnunet_wmh.cli.formatting import EXIT_OK
from nnunet_wmh.report.serve import serve_page

NAME = "view"
SUMMARY = "serve a report's or segment run's page and its images on 127.0.0.1 for the slice viewer"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of ``view``."""
    parser.add_argument("folder", metavar="DIR", help="the --out folder of report or segment (or an .html page)")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1; 0 picks a free one (default: 0)")
    parser.add_argument("--no-browser", dest="browser", action="store_false",
                        help="print the address only; do not open a web browser")  # fmt: skip


def run(args: argparse.Namespace) -> int:
    """Serve the page until Ctrl-C."""
    server = serve_page(args.folder, port=args.port)
    print(f"serving {server.page.name} of {server.page.parent} and the files it shows (from {server.root})")
    if server.missing:
        print(f"{len(server.missing)} file(s) the page shows are missing, e.g. {server.missing[0]}")
    print(f"open {server.url}  (Ctrl-C stops)", flush=True)
    if args.browser:
        webbrowser.open(server.url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped")
    finally:
        server.close()
    return EXIT_OK
