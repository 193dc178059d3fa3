"""The floor: the sync's requests replayed bare, with no computation around them.

    python -m bench.floor --endpoint http://127.0.0.1:PORT --key KEY --requests FILE

``FILE`` holds the requests of one sync run as the emulator logged them (method, query
parameters, JSON body). They are sent again in order through the same gspread client the
sync builds (``open_google``: the same session, adapter, retries and timeouts), each answer
parsed as gspread parses it, and nothing else: no pandas, no grids, no rules. Loading the
recorded bodies from ``FILE`` is the only other work. What the sync spends above this is
the cost of what it computes.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from gspread.urls import SPREADSHEET_BATCH_UPDATE_URL

from sync.backends.google import open_google
from sync.config import WorkbookConfig


def replay(endpoint: str, key: str, recorded: list[dict[str, Any]]) -> int:
    workbook = open_google(WorkbookConfig(backend="google", spreadsheet=key, endpoint=endpoint))
    http = workbook.client.http_client
    for r in recorded:
        params = {k: v if k == "ranges" else v[0] for k, v in r["params"].items()}
        if r["api"] == "values.batchGet":
            ranges = params.pop("ranges")
            http.values_batch_get(key, ranges, params)
        elif r["api"] == "values.batchUpdate":
            http.values_batch_update(key, r["body"])
        elif r["api"] == "batchUpdate":  # the writes too: their field mask is a parameter
            http.request("post", SPREADSHEET_BATCH_UPDATE_URL % key, params=params, json=r["body"])
        elif r["api"] == "get":
            http.fetch_sheet_metadata(key, params=params)
        else:
            raise ValueError(f"the floor does not replay {r['api']}")
    workbook.close()
    return workbook.request_count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--requests", type=Path, required=True)
    args = parser.parse_args(argv)
    recorded = json.loads(args.requests.read_bytes())
    sent = replay(args.endpoint, args.key, recorded)
    print(f"floor: {sent} request(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
