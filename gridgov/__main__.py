from __future__ import annotations

from gridgov.cli import main

main()
