"""Issue copies of a Spark DataFrame inside Spark: each task marks its own
partition's record batches with ``mapInArrow``; the driver prepares the
issuance in the state and logs the copies.

    spark-submit spark_issue.py STATE POLICY EXTRACT.csv OUT_DIR PAN PRI MORENA

The copies are the ones ``watermark.issue`` (or ``watermark issue``) makes
on one machine, row for row and canary for canary: a task marks rows
``first_row...`` of the table exactly as one pass over the whole table
would, and places the canaries that fall among them.

What runs where:

- the driver counts each partition's rows (so every task knows the number
  of its first row), then prepares the issuance: the table's digest and its
  canary list are read on the driver, from ``df.toArrow()`` (one machine
  reads the whole table here, as the cluster's client does for its canary
  list);
- each task loads the master key from the state directory where it runs
  (a 0600 file on storage the executors share), refuses a prepared issuance
  not authorised under it, and marks its partition;
- the driver collects each recipient's copy in partition order, hashes it
  and logs it.

Every executor's Python must have the package installed: PySpark starts the
interpreter ``PYSPARK_PYTHON`` names, else ``python3`` on the ``PATH``.
"""

from __future__ import annotations

import itertools
import sys
from typing import Dict, List, Tuple

import pyarrow as pa
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

import watermark


def issue_with_spark(
    df: DataFrame, *, state: str, policy: str, recipients: List[str]
) -> Tuple[Dict[str, pa.Table], dict]:
    """Issues ``df`` to every recipient, marking in Spark's tasks. Returns
    each recipient's copy (a ``pyarrow.Table``) and the issuance report."""
    # Rows per partition: the number each partition's first row has.
    counts = dict(df.groupBy(F.spark_partition_id().alias("p")).count().collect())
    parts = df.rdd.getNumPartitions()
    first_rows, row = {}, 1
    for p in range(parts):
        first_rows[p] = row
        row += counts.get(p, 0)
    last_part = max((p for p in range(parts) if counts.get(p, 0) > 0), default=0)

    issuance = watermark.prepare_issue(
        lambda: df.toArrow(), state=state, policy=policy, recipients=recipients
    )
    if issuance.rows != row - 1:
        raise RuntimeError(f"the table has {issuance.rows} rows, its partitions {row - 1}")

    schema = (
        T.StructType(list(df.schema.fields))
        .add("__recipient", T.StringType(), False)
        .add("__slots", T.LongType(), False)
    )

    def mark(batches):
        from pyspark import TaskContext

        p = TaskContext.get().partitionId()
        batches = iter(batches)
        first = next(batches, None)
        if first is None:
            return
        reader = pa.RecordBatchReader.from_batches(
            first.schema, itertools.chain([first], batches)
        )
        copies, slots = issuance.mark(reader, first_row=first_rows[p], last=p == last_part)
        for k, r in enumerate(recipients):
            for j, b in enumerate(copies[r]):
                n = b.num_rows
                # The part's marked slots ride on one row of the first
                # recipient's copy, to be summed by the driver.
                counted = slots if (k == 0 and j == 0) else 0
                yield pa.RecordBatch.from_arrays(
                    b.columns
                    + [pa.array([r] * n, pa.string()), pa.array([counted] + [0] * (n - 1), pa.int64())],
                    names=b.schema.names + ["__recipient", "__slots"],
                )

    marked = df.mapInArrow(mark, schema).cache()
    try:
        slots = marked.agg(F.sum("__slots")).first()[0] or 0
        copies = {
            r: marked.filter(F.col("__recipient") == r).drop("__recipient", "__slots").toArrow()
            for r in recipients
        }
    finally:
        marked.unpersist()
    report = issuance.commit(copies, slots_marked=slots)
    return copies, report


def main(argv: List[str]) -> int:
    if len(argv) < 6:
        print(__doc__.strip().splitlines()[4], file=sys.stderr)
        return 2
    state, policy, extract, out_dir, *recipients = argv[1:]
    spark = SparkSession.builder.appName("watermark-issue").getOrCreate()
    try:
        df = spark.read.option("header", True).csv(extract)
        copies, report = issue_with_spark(df, state=state, policy=policy, recipients=recipients)
        import os

        os.makedirs(out_dir, exist_ok=True)
        for r, table in copies.items():
            path = os.path.join(out_dir, f"{r}.csv")
            watermark.write_csv(table, path)
            entry = next(c for c in report["copies"] if c["recipient"] == r)
            print(f"{r}: {path} ({entry['rows']} rows, log entry {entry['log_index']})")
    finally:
        spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
