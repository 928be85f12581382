#!/usr/bin/env python3
"""Medians per build of the runs a compare script recorded.

    medians.py RUNS HEADER FORMAT

RUNS has one line per run: the build's name, then numbers. FORMAT is a Python format string over the
medians of those numbers, in order (`{0}`, `{1}`, ...).
"""
import collections
import statistics
import sys

runs_file, header, line_format = sys.argv[1:4]
runs = collections.defaultdict(list)
for line in open(runs_file):
    name, *values = line.split()
    runs[name].append([float(v) for v in values])
print(header)
for name, rows in runs.items():
    print(f"{name}: " + line_format.format(*(statistics.median(column) for column in zip(*rows))))
