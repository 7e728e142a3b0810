"""The Spark example, in Spark's local mode: copies marked in tasks, one
per partition, equal the single-machine copies, and the log accepts them."""

import os
import sys
from pathlib import Path

import pandas as pd
import pytest

import watermark
from conftest import run

# In CI the Spark test must run, not be skipped.
pyspark = __import__("pyspark") if os.environ.get("CI") else pytest.importorskip("pyspark")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
from spark_issue import issue_with_spark  # noqa: E402

RECIPIENTS = ["PAN", "PRI", "MORENA"]


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    # The workers run this interpreter, the one the package is installed
    # in (PySpark starts them with PYSPARK_PYTHON, else whatever `python3`
    # is on the PATH).
    os.environ["PYSPARK_PYTHON"] = sys.executable
    session = (
        SparkSession.builder.master("local[2]")
        .appName("watermark-test")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        # Small splits: the extract is read as several partitions.
        .config("spark.sql.files.maxPartitionBytes", str(48 * 1024))
        .config("spark.sql.files.openCostInBytes", "0")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate()
    )
    yield session
    session.stop()


def test_copies_marked_in_spark_tasks_equal_the_single_machine_copies(
        spark, cli, extract, policy, fresh_state, tmp_path):
    in_spark, alone = fresh_state("spark"), fresh_state("alone")
    df = spark.read.option("header", True).csv(str(extract))
    assert df.rdd.getNumPartitions() >= 4
    copies, report = issue_with_spark(df, state=str(in_spark), policy=str(policy), recipients=RECIPIENTS)

    frame = pd.read_csv(extract, dtype=str, keep_default_na=False)
    expected = watermark.issue(frame, state=alone, policy=policy, recipients=RECIPIENTS)
    assert report["input_blake3"] == expected.report["input_blake3"]
    assert report["canaries_made"] == expected.report["canaries_made"] > 0
    assert report["slots_marked_per_copy"] == expected.report["slots_marked_per_copy"] > 0
    for r, mine, theirs in zip(RECIPIENTS, report["copies"], expected.report["copies"]):
        a, b = tmp_path / f"spark-{r}.csv", tmp_path / f"alone-{r}.csv"
        watermark.write_csv(copies[r], a)
        watermark.write_csv(expected[r], b)
        assert a.read_bytes() == b.read_bytes(), r
        for field in ("blake3", "bytes", "rows", "canaries", "slot", "log_index"):
            assert mine[field] == theirs[field], (r, field)
    run(cli, "log", "verify", "--state", str(in_spark))
    # A sample of one Spark copy names its recipient.
    sample = copies["MORENA"].slice(700, 50)
    verdict = watermark.verify(sample, state=in_spark, investigator="Fiscalía")
    assert [a["recipient"] for a in verdict["accused"]] == ["MORENA"]


def test_a_part_is_not_marked_under_another_key(extract, policy, fresh_state, cli, tmp_path):
    state = fresh_state("state")
    frame = pd.read_csv(extract, dtype=str, keep_default_na=False)
    issuance = watermark.prepare_issue(frame, state=state, policy=policy, recipients=RECIPIENTS)
    other = tmp_path / "other"
    run(cli, "init", "--state", str(other))
    stolen = watermark.Issuance(issuance.prepared, str(other))
    with pytest.raises(watermark.WatermarkError) as e:
        stolen.mark(frame.head(100))
    assert e.value.fault == "state"
    # An order changed after it was authorised (a slot moved) is refused
    # too, under the right key.
    import json

    doc = json.loads(issuance.prepared)
    doc["order"]["recipients"][0]["slot"] += 7
    forged = watermark.Issuance(json.dumps(doc), str(state))
    with pytest.raises(watermark.WatermarkError):
        forged.mark(frame.head(100))
