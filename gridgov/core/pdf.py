"""Printing a standalone HTML page to PDF with the installed headless Chromium: it shapes Chinese
with the system's Noto CJK fonts and draws SVG charts, so nothing else needs installing."""

from __future__ import annotations

import os
import subprocess
import tempfile

from django.conf import settings

from gridgov.core.errors import field_error


def html_to_pdf(html: str, *, field: str) -> bytes:
    """The PDF bytes of `html` (styles inline, no scripts). Printed in a temporary folder that goes
    at once, so no copy of the page, personal data and all, stays on disk. Without Chromium the
    error names `field`."""
    if not os.path.exists(settings.GRIDGOV_CHROMIUM):
        raise field_error(field, "服务器未安装Chromium，无法生成PDF")
    with tempfile.TemporaryDirectory(prefix="gridgov-pdf-") as workdir:
        source = os.path.join(workdir, "page.html")
        target = os.path.join(workdir, "page.pdf")
        with open(source, "w", encoding="utf-8") as handle:
            handle.write(html)
        subprocess.run(
            [
                settings.GRIDGOV_CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-extensions",
                "--disable-background-networking",
                f"--user-data-dir={os.path.join(workdir, 'profile')}",
                "--no-pdf-header-footer",
                f"--print-to-pdf={target}",
                f"file://{source}",
            ],
            check=True,
            capture_output=True,
            timeout=settings.GRIDGOV_PDF_TIMEOUT,
        )
        with open(target, "rb") as handle:
            return handle.read()
