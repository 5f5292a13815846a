"""`gridgov seal_uploads`: seal the uploads written in clear before they were sealed on save."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from gridgov.core.storage import seal_in_place


class Command(BaseCommand):
    help = "加密上传目录中尚未加密的文件（升级后运行一次；可重复运行）"

    def handle(self, *args: Any, **options: Any) -> None:
        root = Path(settings.MEDIA_ROOT)
        sealed = kept = 0
        if root.is_dir():
            for path in sorted(root.rglob("*")):
                if not path.is_file() or path.name.endswith(".sealing"):
                    continue
                if seal_in_place(path):
                    sealed += 1
                else:
                    kept += 1
        self.stdout.write(f"已加密 {sealed} 个文件，{kept} 个文件原已加密")
