#!/usr/bin/env python3
"""Prints a JSON file (one document, or JSON lines) without the fields that differ between two runs
of the same work: wall-clock ("seconds", "*_seconds"), this process's speed and memory, and how many
runs this invocation trained. Keys sorted, so that two runs' outputs compare with cmp.

Usage: strip_timings.py [--how-run] [--study DIR] FILE
  --how-run   also drop how the study was run (runs_total, parallel_runs: the worker count)
  --study DIR write the study folder's own path DIR as STUDY (two studies in different folders)
Used by tests/cli/test_kill9.sh and tests/cli/test_study_workers.sh.
"""
import json
import sys

DROP = {"seconds", "stage_seconds", "runs_trained_now",
        "samples_per_second", "peak_rss_mib", "cuda_peak_allocated_mib"}
HOW_RUN = {"runs_total", "parallel_runs"}


def clean(x, drop):
    if isinstance(x, dict):
        return {k: clean(v, drop) for k, v in x.items() if k not in drop and not k.endswith("_seconds")}
    if isinstance(x, list):
        return [clean(v, drop) for v in x]
    return x


def main(argv):
    drop, study, files = set(DROP), None, []
    it = iter(argv)
    for a in it:
        if a == "--how-run":
            drop |= HOW_RUN
        elif a == "--study":
            study = next(it)
        else:
            files.append(a)
    if len(files) != 1:
        sys.exit(__doc__)
    text = open(files[0]).read()
    if study:
        text = text.replace(study, "STUDY")
    try:
        docs, pretty = [json.loads(text)], True
    except ValueError:
        docs, pretty = [json.loads(l) for l in text.splitlines() if l.strip()], False
    for d in docs:
        print(json.dumps(clean(d, drop), sort_keys=True, indent=1 if pretty else None))


if __name__ == "__main__":
    main(sys.argv[1:])
