"""Profile models on this machine or a device: latency, memory, per-op breakdown, environment.

    import edgekit.profile as ekp
    result = ekp.profile("build/demo/bundle", runtime="executorch", runs=50, warmup=5, threads=2,
                         device="local")            # or "ssh://pi@board?identity=~/.ssh/id_ed25519"
    results = ekp.profile_all("build/demo/bundle")   # every artifact of a bundle
    result.save("out.json"); ekp.print_summary(results)

Each profile runs in a fresh worker process (see worker.py); results follow schema.py.
"""

from __future__ import annotations

from edgekit.profile.api import profile, profile_all
from edgekit.profile.schema import SCHEMA_VERSION, Result, ResultsSchemaError, load_result
from edgekit.profile.summary import print_summary, summary_table

__all__ = ["SCHEMA_VERSION", "Result", "ResultsSchemaError", "load_result", "print_summary", "profile",
           "profile_all", "summary_table"]
