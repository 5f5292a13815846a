"""人民调解协议书 as PDF: the HTML template printed by the installed headless Chromium.

Why Chromium: it is already on every machine that runs the browser tests (Debian's
/usr/bin/chromium), works offline, shapes Chinese text with the system's Noto CJK fonts through
fontconfig, and prints exactly what the HTML shows; a pure-Python library would need a CJK font
embedded by hand and a new dependency. The PDF is rendered on each request and never stored,
so no file with personal data stays on disk (the temporary directory goes at once).
"""

from __future__ import annotations

import os
import secrets
import subprocess
import tempfile

from django.template.loader import render_to_string

from gridgov.core.errors import field_error
from gridgov.mediation.models import Dispute

CHROMIUM = "/usr/bin/chromium"
TIMEOUT_SECONDS = 60


def agreement_html(dispute: Dispute) -> str:
    agreement = dispute.agreement
    return render_to_string(
        "mediation/agreement_pdf.html",
        {
            # Printed from a local file, never served; the nonce keeps the template to the house rule
            # that every inline block carries one, should it ever be shown in a page.
            "nonce": secrets.token_urlsafe(16),
            "d": dispute,
            "a": agreement,
            "parties": list(dispute.parties.all()),
            "signed": set(agreement.signed_parties.values_list("pk", flat=True)),
            "mediators": [
                a.mediator for a in dispute.assignments.filter(active=True).select_related("mediator")
            ],
        },
    )


def agreement_pdf(dispute: Dispute) -> bytes:
    """The PDF bytes of the dispute's agreement (which must exist)."""
    if not hasattr(dispute, "agreement"):
        raise field_error("agreement", "本案尚未制作调解协议书")
    if not os.path.exists(CHROMIUM):
        raise field_error("agreement", "服务器未安装Chromium，无法生成PDF")
    with tempfile.TemporaryDirectory(prefix="gridgov-agreement-") as workdir:
        source = os.path.join(workdir, "agreement.html")
        target = os.path.join(workdir, "agreement.pdf")
        with open(source, "w", encoding="utf-8") as handle:
            handle.write(agreement_html(dispute))
        subprocess.run(
            [
                CHROMIUM,
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
            timeout=TIMEOUT_SECONDS,
        )
        with open(target, "rb") as handle:
            return handle.read()
