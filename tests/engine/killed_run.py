"""A run that dies: applies a plan and SIGKILLs its own process at a hook point (or sleeps there).

`python -m tests.engine.killed_run URL POINT SEED ACTION` where ACTION is `kill` or `sleep:<seconds>`;
it prints `at POINT` before acting, so a test can wait for the moment.
"""

from __future__ import annotations

import os
import signal
import sys
import time

from flows.engine.run import apply_plan
from flows.store import Store, open_store
from flows.store.jobs import PatchJob
from tests.engine.plans import EXAMPLE_MONTHS, NOW, make_plan


def main(url: str, point: str, seed: str, action: str) -> None:
    def act(store: Store, job: PatchJob) -> None:
        print(f"at {point}", flush=True)
        if action == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(float(action.split(":", 1)[1]))

    with open_store(url) as store:
        job = apply_plan(
            store, make_plan({"2025-01": EXAMPLE_MONTHS["2025-01"]}, seed=seed), as_of=NOW, hooks={point: act}
        )
    print(f"done {job.status}", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:5])
