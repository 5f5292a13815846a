"""人民调解协议书 as PDF: the HTML template printed by the installed headless Chromium.

Why Chromium: it is already on every machine that runs the browser tests (Debian's
/usr/bin/chromium), works offline, shapes Chinese text with the system's Noto CJK fonts through
fontconfig, and prints exactly what the HTML shows; a pure-Python library would need a CJK font
embedded by hand and a new dependency. The PDF is rendered on each request and never stored,
so no file with personal data stays on disk (the temporary directory goes at once).
"""

from __future__ import annotations

import secrets

from django.template.loader import render_to_string

from gridgov.core.errors import field_error
from gridgov.core.pdf import html_to_pdf
from gridgov.mediation.models import Dispute


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
    return html_to_pdf(agreement_html(dispute), field="agreement")
