#!/usr/bin/env python3
"""Writes N distinct webhook events, each signed as the bench vendor signs (HMAC-SHA256 over the
exact body, GitHub style `sha256=<hex>`), one per line: `<signature>\t<body>`.

Each event has its own event id, order id and candidate, and a body of about the size of a real
assessment result (~1.5 KB, like the nginx baseline's), so every request is a new result that must
be verified, translated, committed and delivered: no request takes the duplicate shortcut.

    gen_events.py N SECRET OUT [ORDERS]
ORDERS (default N): how many distinct orders the events spread over (< N puts several events on
one order, exercising per-order ordering).

FIRST (environment, default 0): number the events from FIRST on, for a second file whose events
are distinct from the first's (bench/run.sh's warm-up).

IDS=random (environment): order and event ids look like real ones (hex digests, in no order)
instead of counting up. Ids that count up are inserted at the end of every index; real ids land
anywhere in them, which costs the store a page write per index and webhook.

IDS=same (environment): every event has the same event and order id (the bodies still differ, and
each is signed): the gateway accepts the first and answers every other one as a duplicate, after
verifying, translating and validating it and checking its key on the write thread. Nothing more
is stored or delivered, so a run measures the gateway's front half alone.
"""
import os
import hashlib
import hmac
import json
import sys


def main():
    n, secret, out = int(sys.argv[1]), sys.argv[2].encode(), sys.argv[3]
    orders = int(sys.argv[4]) if len(sys.argv) > 4 else n
    first = int(os.environ.get("FIRST", "0"))
    filler = "x" * 900  # free-text feedback, as graders write
    ids = os.environ.get("IDS", "counting")
    if ids == "same":
        def ident(kind, i):
            return f"{kind}-same"
    elif ids == "random":
        def ident(kind, i):
            return f"{kind}-" + hashlib.sha1(f"{kind}{i}".encode()).hexdigest()[:20]
    else:
        def ident(kind, i):
            return f"{kind}-{i:09d}"
    with open(out, "w") as f:
        for i in range(first, first + n):
            body = json.dumps(
                {
                    "event": "assessment.completed",
                    "event_id": ident("evt", i),
                    "order_id": ident("ord", first + (i - first) % orders),
                    "account_id": "acct-bench",
                    "candidate": {"id": f"cand-{i}", "email": f"candidate{i}@example.com"},
                    "score": {"points": 70 + i % 30, "max": 100},
                    "status": "passed" if i % 3 else "failed",
                    "started_at": "2026-11-29T10:00:00Z",
                    "submitted_at": "2026-11-29T10:58:00Z",
                    "report_url": f"https://vendor.example.com/reports/{i}",
                    "feedback": filler,
                },
                separators=(",", ":"),
            )
            sig = "sha256=" + hmac.new(secret, body.encode(), hashlib.sha256).hexdigest()
            f.write(f"{sig}\t{body}\n")


if __name__ == "__main__":
    main()
