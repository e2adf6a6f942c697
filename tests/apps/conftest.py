"""Make the Raspberry Pi app importable in tests without installing it (it lives in apps/raspberry-pi)."""

from __future__ import annotations

import sys
from pathlib import Path

APP_DIR = Path(__file__).resolve().parents[2] / "apps" / "raspberry-pi"
if str(APP_DIR) not in sys.path:
    sys.path.insert(0, str(APP_DIR))
