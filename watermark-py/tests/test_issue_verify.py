"""The package against the command line: the same copies, the same log
entries, the same bounds, one log that `watermark log verify` accepts."""

import json
import shutil

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import watermark
from conftest import run

RECIPIENTS = ["PAN", "PRI", "MORENA"]


def read_pandas(path):
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def read_polars(path):
    return pl.read_csv(path, infer_schema=False)


def csv_form(table, path):
    watermark.write_csv(table, path)
    return path.read_bytes()


def issued_entries(cli, state):
    log = run(cli, "log", "show", "--state", str(state), "--json", check=False)
    assert log.returncode == 0, log.stderr
    return json.loads(log.stdout)


def test_pandas_and_polars_copies_are_the_command_lines(cli, extract, policy, fresh_state, tmp_path):
    by_cli, by_pandas, by_polars = fresh_state("cli"), fresh_state("pandas"), fresh_state("polars")
    out = tmp_path / "copias"
    args = ["issue", "--state", str(by_cli), "--policy", str(policy), "--out-dir", str(out)]
    for r in RECIPIENTS:
        args += ["--to", r]
    done = json.loads(run(cli, *args, str(extract), "--json").stdout)

    frames = {"pandas": (read_pandas(extract), by_pandas), "polars": (read_polars(extract), by_polars)}
    for kind, (frame, state) in frames.items():
        assert watermark.digest(frame) == done["input_blake3"], kind
        copies = watermark.issue(frame, state=state, policy=policy, recipients=RECIPIENTS)
        assert list(copies) == RECIPIENTS
        assert copies.report["input_blake3"] == done["input_blake3"]
        assert copies.report["canaries_made"] == done["canaries_made"] > 0
        for r, mine, theirs in zip(RECIPIENTS, copies.report["copies"], done["copies"]):
            # Byte for byte: the copy's CSV form is the file the CLI wrote,
            # canaries and marks included, and the log names the same digest.
            cli_bytes = (out / f"{r}.csv").read_bytes()
            assert csv_form(copies[r], tmp_path / f"{kind}-{r}.csv") == cli_bytes, (kind, r)
            assert mine["blake3"] == theirs["blake3"]
            assert (mine["slot"], mine["canaries"], mine["log_index"]) == (
                theirs["slot"], theirs["canaries"], theirs["log_index"])
            assert json.loads(mine["receipt"]["entry"])["output_blake3"] == theirs["blake3"]
            # The copy keeps the frame's schema: same names and types.
            assert copies[r].schema.names == list(frame.columns)
        # The log the package wrote is one the command line accepts.
        run(cli, "log", "verify", "--state", str(state))


def test_a_fifty_row_sample_names_its_recipient_with_the_command_lines_bound(
        cli, extract, policy, fresh_state, tmp_path):
    state = fresh_state("state")
    copies = watermark.issue(read_pandas(extract), state=state, policy=policy, recipients=RECIPIENTS)
    sample = copies["PRI"].to_pandas().sample(n=50, random_state=3)
    html = tmp_path / "evidencia.html"
    report = watermark.verify(sample, state=state, investigator="Fiscalía", html=html, lang="es")
    accused = [a["recipient"] for a in report["accused"]]
    assert accused == ["PRI"], report["recipients"]
    bound = report["accused"][0]["false_accusation_bound"]
    assert 0 < bound < 1e-6
    assert report["rows_read"] == 50
    assert report["leak"]["file"] == "pandas.DataFrame"
    page = html.read_text()
    assert "PRI" in page and "<html" in page.lower()

    # The same rows as a file, verified by the command line: the same digest
    # and the same bound.
    leak = tmp_path / "muestra.csv"
    watermark.write_csv(sample, leak)
    theirs = json.loads(run(cli, "verify", "--state", str(state), str(leak),
                            "--investigator", "Fiscalía", "--json").stdout)
    assert theirs["leak"]["blake3"] == report["leak"]["blake3"] == watermark.digest(sample)
    assert [a["recipient"] for a in theirs["accused"]] == ["PRI"]
    assert theirs["accused"][0]["false_accusation_bound"] == bound
    assert theirs["recipients"] == report["recipients"]
    # Both verifications are in the log, which still verifies.
    run(cli, "log", "verify", "--state", str(state))
    assert watermark.open_state(state).log_size() == 3 + 2


def test_issuing_the_same_table_again_keeps_its_entries(extract, policy, fresh_state):
    state = fresh_state("state")
    roll = read_pandas(extract)
    first = watermark.issue(roll, state=state, policy=policy, recipients=["PAN"])
    again = watermark.issue(roll, state=state, policy=policy, recipients=["PAN"])
    assert again.report["copies"][0]["already_logged"]
    assert again.report["copies"][0]["log_index"] == first.report["copies"][0]["log_index"]
    assert again["PAN"].equals(first["PAN"])
    assert watermark.open_state(state).log_size() == 1


def test_copies_share_the_tables_columns_and_copy_only_the_carriers(cli, extract, fresh_state, tmp_path):
    # Without canaries no batch is rebuilt: every column of a copy but the
    # carriers is the table's own memory.
    policy = tmp_path / "sin-canarios.toml"
    run(cli, "policy", "suggest", str(extract), "--no-canaries", "-o", str(policy))
    state = fresh_state("state")
    table = pa.Table.from_pandas(read_pandas(extract), preserve_index=False)
    table = pa.Table.from_batches(table.to_batches(max_chunksize=1000))
    copies = watermark.issue(table, state=state, policy=policy, recipients=RECIPIENTS)
    carriers = {line.split('"')[1] for line in policy.read_text().splitlines()
                if line.strip().startswith("column =")}
    assert carriers, "the policy names carrier columns"

    def data_buffers(col):
        # The values buffer of each chunk: where the text lies.
        return [chunk.buffers()[-1].address for chunk in col.chunks]

    for r in RECIPIENTS:
        copy = copies[r]
        assert copy.column(0).num_chunks == table.column(0).num_chunks == 3
        for name in table.column_names:
            same = data_buffers(copy.column(name)) == data_buffers(table.column(name))
            assert same == (name not in carriers), (r, name)


def test_a_copy_has_one_batch_for_each_of_the_tables(extract, policy, fresh_state):
    state = fresh_state("state")
    table = pa.Table.from_pandas(read_pandas(extract), preserve_index=False)
    table = pa.Table.from_batches(table.to_batches(max_chunksize=700))
    copies = watermark.issue(table, state=state, policy=policy, recipients=RECIPIENTS)
    for r in RECIPIENTS:
        # Canaries are placed inside batches, not as batches of their own.
        assert copies[r].column(0).num_chunks == table.column(0).num_chunks
        assert copies[r].num_rows > table.num_rows


def test_the_streaming_form_gives_the_same_copies(extract, policy, fresh_state, tmp_path):
    whole, streamed = fresh_state("whole"), fresh_state("streamed")
    roll = pa.Table.from_pandas(read_pandas(extract), preserve_index=False)
    copies = watermark.issue(roll, state=whole, policy=policy, recipients=RECIPIENTS)
    opened = []

    def open_table():
        opened.append(1)
        return pa.RecordBatchReader.from_batches(roll.schema, roll.to_batches(max_chunksize=500))

    got = {r: [] for r in RECIPIENTS}
    report = watermark.issue_batches(open_table, sink=lambda r, b: got[r].append(b),
                                     state=streamed, policy=policy, recipients=RECIPIENTS)
    assert len(opened) >= 2
    for r, c in zip(RECIPIENTS, report["copies"]):
        table = pa.Table.from_batches(got[r], schema=roll.schema)
        assert table.equals(copies[r]), r
        assert c["blake3"] == copies.report["copies"][RECIPIENTS.index(r)]["blake3"]


def test_a_duckdb_result_is_a_table_too(extract, policy, fresh_state):
    duckdb = pytest.importorskip("duckdb")
    state = fresh_state("state")
    rel = duckdb.sql(f"SELECT * FROM read_csv('{extract}', all_varchar=true, header=true)")
    assert watermark.digest(rel) == watermark.digest(read_pandas(extract))
