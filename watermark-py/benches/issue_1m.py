"""Issuing a table from Python against the command line issuing the same
extract, in one run: prints the ratio of their times and what issuing from
Python adds to the process's memory.

    python watermark-py/benches/issue_1m.py [--rows 1000000] [--recipients 3]

WATERMARK_BIN names the command line to compare with (default: the
workspace's target/release/watermark, else target/debug/watermark). Build
it and the package with the same optimisation (see docs/python.md,
"Measured"). Each round issues the extract to fresh copies of one new state
(same key), so both sides make the extract's canaries, hash it, mark and
log; the command line reads the CSV file and writes CSV copies, the package
takes the table already in memory and returns pyarrow Tables (with each
copy's CSV-form digest, as the log needs).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

import watermark

REPO = Path(__file__).resolve().parents[2]


def cli_path() -> Path:
    if os.environ.get("WATERMARK_BIN"):
        return Path(os.environ["WATERMARK_BIN"])
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    for profile in ("release", "debug"):
        if (target / profile / "watermark").exists():
            return target / profile / "watermark"
    raise SystemExit("build the command line first (cargo build --release -p watermark-cli)")


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class PeakRss:
    """The largest resident size seen while the block runs (sampled every 2 ms)."""

    def __enter__(self):
        self.start = rss()
        self.peak = self.start
        self.running = True
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()
        return self

    def _watch(self):
        while self.running:
            self.peak = max(self.peak, rss())
            time.sleep(0.002)

    def __exit__(self, *exc):
        self.running = False
        self.thread.join()
        self.peak = max(self.peak, rss())


def read_table(extract: Path) -> pa.Table:
    names = extract.open().readline().rstrip("\n").split(",")
    return pacsv.read_csv(extract, convert_options=pacsv.ConvertOptions(
        column_types={n: pa.string() for n in names}, strings_can_be_null=False))


def memory(extract: Path, state: Path, policy: Path, recipient: str) -> None:
    table = read_table(extract)
    first = watermark.open_state(state).log_size() == 0
    canaries = "[canaries]" in policy.read_text()
    with PeakRss() as m:
        copies = watermark.issue(table, state=state, policy=policy, recipients=[recipient])
    kept = rss() - m.start
    what = ("a policy without canaries" if not canaries
            else "making the extract's canaries" if first else "its canaries already made")
    print(f"memory, one recipient ({what}): the table is {table.nbytes / 1e6:.1f} MB; the "
          f"resident size rose by {(m.peak - m.start) / 1e6:.1f} MB at the peak and by "
          f"{kept / 1e6:.1f} MB once done, the copy held")
    del copies


def main() -> None:
    if len(sys.argv) == 6 and sys.argv[1] == "--memory":
        memory(Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]), sys.argv[5])
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--recipients", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    cli = cli_path()
    recipients = [f"R{i}" for i in range(args.recipients)]
    work = Path(tempfile.mkdtemp(prefix="wm-bench-"))
    try:
        extract = work / "padron.csv"
        subprocess.run([cli, "synth", "--rows", str(args.rows), "--seed", "1", "-o", extract], check=True)
        policy = work / "politica.toml"
        subprocess.run([cli, "policy", "suggest", extract, "-o", policy], check=True,
                       capture_output=True)
        origin = work / "origin"
        subprocess.run([cli, "init", "--state", origin, "-q"], check=True)
        table = read_table(extract)
        size = extract.stat().st_size
        print(f"extract: {args.rows:,} rows, {size / 1e6:.1f} MB of CSV; table in memory "
              f"{table.nbytes / 1e6:.1f} MB in {table.column(0).num_chunks} chunks; "
              f"{args.recipients} recipients; command line {cli}")

        cli_times, py_times = [], []
        for k in range(args.rounds):
            a, b = work / f"cli-{k}", work / f"py-{k}"
            shutil.copytree(origin, a)
            shutil.copytree(origin, b)
            cmd = [cli, "issue", "-q", "--state", a, "--policy", policy, "--out-dir", work / f"out-{k}"]
            for r in recipients:
                cmd += ["--to", r]
            t = time.perf_counter()
            subprocess.run(cmd + [extract], check=True)
            cli_times.append(time.perf_counter() - t)

            t = time.perf_counter()
            copies = watermark.issue(table, state=b, policy=policy, recipients=recipients)
            py_times.append(time.perf_counter() - t)
            assert copies.report["input_blake3"] == watermark.digest(table)
            del copies
            shutil.rmtree(work / f"out-{k}")
        c, p = statistics.median(cli_times), statistics.median(py_times)
        print(f"command line (CSV file to CSV copies): median {c:.2f} s  {['%.2f' % x for x in cli_times]}")
        print(f"python (table to pyarrow Tables):      median {p:.2f} s  {['%.2f' % x for x in py_times]}")
        print(f"ratio python / command line: {p / c:.2f}x  ({args.rows / p:,.0f} rows/s from Python)")

        # Memory, in new processes (this one's heap keeps what the rounds
        # above freed), one recipient, so a second copy of the table would
        # show: first with the extract's canaries to make, then with them
        # made (as for every issuance of the extract after its first).
        state = work / "mem"
        shutil.copytree(origin, state)
        no_canaries = work / "sin-canarios.toml"
        subprocess.run([cli, "policy", "suggest", extract, "--no-canaries", "-o", no_canaries],
                       check=True, capture_output=True)
        for recipient, p in (("R0", policy), ("R1", policy), ("R2", no_canaries)):
            out = subprocess.run(
                [sys.executable, __file__, "--memory", str(extract), str(state), str(p),
                 recipient], check=True, capture_output=True, text=True).stdout
            print(out.strip())
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
