#!/usr/bin/env python3
"""Property test: Pacta's civil-date arithmetic against python-dateutil's relativedelta, an independent oracle.

Generates N random (date, period) cases (default 100,000; fixed seed unless --seed is given), including month
ends, 29 February, negative periods and periods that leave the 0001..9999 range, runs them through
`pacta date --stdin`, and compares every answer. Exits 1 on any difference.
Usage: scripts/check-dates-against-dateutil.py [--binary .build/debug/pacta] [--count N] [--seed S]
"""
import argparse
import datetime
import random
import subprocess
import sys

from dateutil.relativedelta import relativedelta

parser = argparse.ArgumentParser()
parser.add_argument("--binary", default=".build/debug/pacta")
parser.add_argument("--count", type=int, default=100_000)
parser.add_argument("--seed", type=int, default=20191122)
args = parser.parse_args()
rng = random.Random(args.seed)

def random_date():
    choice = rng.random()
    year = rng.choice([rng.randint(1, 9999), rng.randint(1890, 2110), rng.choice([1, 2, 1900, 2000, 2096, 2100, 9998, 9999])])
    month = rng.randint(1, 12)
    last = (datetime.date(year + (month == 12), month % 12 + 1, 1) - datetime.timedelta(days=1)).day if year < 9999 or month < 12 else 31
    if choice < 0.35:
        day = last  # month ends, where clamping happens
    elif choice < 0.45 and month == 2:
        day = min(29, last)
    else:
        day = rng.randint(1, last)
    return datetime.date(year, month, day)

def random_period():
    sign = -1 if rng.random() < 0.25 else 1
    parts = {}
    for unit, limit in (("Y", 120), ("M", 40), ("W", 60), ("D", 800)):
        if rng.random() < 0.45:
            parts[unit] = rng.randint(0, limit if rng.random() < 0.9 else 99_999)
    if not parts or all(v == 0 for v in parts.values()):
        parts = {rng.choice("YMWD"): rng.randint(1, 400)}
    text = ("-" if sign < 0 else "") + "P" + "".join(f"{parts[u]}{u}" for u in "YMWD" if u in parts)
    delta = relativedelta(years=sign * parts.get("Y", 0), months=sign * parts.get("M", 0),
                          weeks=sign * parts.get("W", 0), days=sign * parts.get("D", 0))
    return text, delta

cases = []
for _ in range(args.count):
    start = random_date()
    text, delta = random_period()
    try:
        expected = (start + delta).isoformat()
    except (OverflowError, ValueError):
        expected = "error"
    if expected != "error" and len(expected) != 10:  # Python formats years < 1000 with 4 digits already; guard anyway
        expected = "error"
    cases.append((start.isoformat(), text, expected))

stdin = "".join(f"{d} {p}\n" for d, p, _ in cases)
result = subprocess.run([args.binary, "date", "--stdin"], input=stdin, capture_output=True, text=True, check=True)
answers = result.stdout.splitlines()
if len(answers) != len(cases):
    print(f"expected {len(cases)} answers, got {len(answers)}")
    sys.exit(1)
failures = [(c, a) for c, a in zip(cases, answers) if c[2] != a]
clamped = sum(1 for d, p, e in cases if e != "error" and int(d[8:]) >= 29)
errors = sum(1 for _, _, e in cases if e == "error")
for (d, p, e), a in failures[:20]:
    print(f"MISMATCH {d} + {p}: dateutil {e}, pacta {a}")
print(f"date arithmetic vs python-dateutil: {len(cases) - len(failures)} passed, {len(failures)} failed"
      f" ({clamped} from day 29-31, {errors} out of range, seed {args.seed})")
sys.exit(1 if failures else 0)
