"""A PNG screenshot of the HTML review page of the three seed documents, by headless Chromium.

    python benchmarks/review_screenshot.py [--out docs/review_screenshot.png]
                                           [--width 1200] [--height 1500] [--browser PATH]

The seeds (corpus/seeds/*.txt) are annotated with the default pipeline, rendered with
`criteria_nlp.review.render_html` into a temporary file, and Chromium screenshots the top
`--width` × `--height` pixels of it. The browser is the first of chromium-headless-shell,
chromium, chromium-browser, google-chrome found on PATH (on Debian:
`apt-get install chromium-headless-shell`); Chromium runs with no sandbox, as root may,
and the page loads nothing from the network.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Optional, Sequence

REPO_ROOT = Path(__file__).resolve().parent.parent
SEEDS = REPO_ROOT / "corpus" / "seeds"
BROWSERS = ("chromium-headless-shell", "chromium", "chromium-browser", "google-chrome")
MAX_BYTES = 300_000


def find_browser() -> Optional[str]:
    """The first headless-capable Chromium on PATH, or None."""
    return next((path for path in map(shutil.which, BROWSERS) if path), None)


def screenshot(html_path: Path, out: Path, browser: str, width: int, height: int) -> None:
    """Chromium's screenshot of the top width × height pixels of a local page."""
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             "--force-device-scale-factor=1", f"--user-data-dir={profile}",
             f"--window-size={width},{height}", f"--screenshot={out}", html_path.as_uri()],
            check=True, capture_output=True, timeout=120)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "docs" / "review_screenshot.png")
    parser.add_argument("--width", type=int, default=1200)
    parser.add_argument("--height", type=int, default=1500)
    parser.add_argument("--browser", help="Chromium executable; default: the first found on PATH.")
    args = parser.parse_args(argv)
    browser = args.browser or find_browser()
    if browser is None:
        print(f"no headless browser found (tried {', '.join(BROWSERS)})", file=sys.stderr)
        return 2

    import criteria_nlp
    from criteria_nlp.review import render_html

    nlp = criteria_nlp.load()
    documents = [criteria_nlp.annotate(path.read_text(encoding="utf-8"), id=path.stem, nlp=nlp)
                 for path in sorted(SEEDS.glob("*.txt"))]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        page = Path(folder) / "review.html"
        page.write_text(render_html(documents, title="criteria_nlp review: seed documents"),
                        encoding="utf-8")
        screenshot(page, args.out.resolve(), browser, args.width, args.height)
    size = args.out.stat().st_size
    print(f"{args.out}: {args.width}×{args.height}, {size:,} bytes ({len(documents)} documents)")
    if size > MAX_BYTES:
        print(f"larger than {MAX_BYTES:,} bytes: try a smaller --height", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
