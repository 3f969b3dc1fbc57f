"""Where a benchmark keeps what it measured: bench/results/<kind>-<time>.json, with the machine."""

import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"


def save(kind: str, body: dict[str, Any]) -> Path:
    """Write `body` beside the machine's name, CPUs, load and Python; say where."""
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"{kind}-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S')}.json"
    meta = {
        "machine": f"{platform.node()} {platform.machine()}, {os.cpu_count()} CPUs",
        "load_average": os.getloadavg(),
        "python": platform.python_version(),
    }
    out.write_text(json.dumps({"meta": meta, **body}, indent=2))
    print(f"written to {out.relative_to(BENCH.parent)}")
    return out
