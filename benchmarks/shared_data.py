"""Where the benchmarks find the shared data (imagenet-dev, the compiler logs, the
official checkpoint): $EFFKIT_SHARED_DATA, else ../shared/data beside the checkout.

Read from there, never copied into the project (research-use photos)."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("EFFKIT_SHARED_DATA") or ROOT.parent / "shared" / "data")
