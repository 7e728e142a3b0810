"""Bad input raises a WatermarkError that says what and where, and leaves
the log as it was: no entry, partial or whole."""

import shutil

import pandas as pd
import pyarrow as pa
import pytest

import watermark
from conftest import run


def roll(extract):
    return pd.read_csv(extract, dtype=str, keep_default_na=False)


def log_bytes(state):
    return {p.name: p.read_bytes() for p in (state / "log").iterdir()}


def test_a_table_without_the_identity_column(extract, policy, fresh_state):
    state = fresh_state("state")
    before = log_bytes(state)
    table = roll(extract).drop(columns=["CURP"])
    with pytest.raises(watermark.WatermarkError) as e:
        watermark.issue(table, state=state, policy=policy, recipients=["PAN"])
    assert e.value.fault == "input"
    assert e.value.column == "CURP"
    assert "CURP" in str(e.value)
    assert log_bytes(state) == before


def test_an_empty_identity_names_its_row_and_column(extract, policy, fresh_state):
    state = fresh_state("state")
    before = log_bytes(state)
    table = roll(extract)
    table.loc[16, "CURP"] = ""
    with pytest.raises(watermark.WatermarkError) as e:
        watermark.issue(table, state=state, policy=policy, recipients=["PAN", "PRI"])
    assert e.value.fault == "input"
    assert e.value.row == 17, str(e.value)
    assert e.value.column == "CURP", str(e.value)
    assert log_bytes(state) == before


def test_a_state_with_another_key(extract, policy, fresh_state, cli, tmp_path):
    state = fresh_state("state")
    watermark.issue(roll(extract), state=state, policy=policy, recipients=["PAN"])
    other = tmp_path / "other"
    run(cli, "init", "--state", str(other))
    # The key file replaced by another state's: the log's entries were made
    # under the first key, so nothing is issued or verified under this one.
    shutil.copy(other / "master.key", state / "master.key")
    before = log_bytes(state)
    with pytest.raises(watermark.WatermarkError) as e:
        watermark.issue(roll(extract), state=state, policy=policy, recipients=["PRI"])
    assert e.value.fault == "state"
    assert log_bytes(state) == before
    with pytest.raises(watermark.WatermarkError) as e:
        watermark.verify(roll(extract).head(50), state=state, investigator="Fiscalía")
    assert log_bytes(state) == before


def test_a_closed_state(extract, policy, fresh_state):
    path = fresh_state("state")
    before = log_bytes(path)
    with watermark.open_state(path) as state:
        pass
    assert state.closed
    with pytest.raises(watermark.WatermarkError, match="closed"):
        watermark.issue(roll(extract), state=state, policy=policy, recipients=["PAN"])
    with pytest.raises(watermark.WatermarkError, match="closed"):
        watermark.verify(roll(extract), state=state, investigator="Fiscalía")
    assert log_bytes(path) == before


def test_a_state_that_is_not_one(extract, policy, tmp_path):
    with pytest.raises(watermark.WatermarkError) as e:
        watermark.issue(roll(extract), state=tmp_path / "nada", policy=policy, recipients=["PAN"])
    assert e.value.fault == "state"
    assert not (tmp_path / "nada").exists()


def test_bad_recipients_and_policies(extract, policy, fresh_state, tmp_path):
    state = fresh_state("state")
    before = log_bytes(state)
    for bad in (["PAN", "pan"], ["con espacio"], ["PAN", "PAN"]):
        with pytest.raises(watermark.WatermarkError) as e:
            watermark.issue(roll(extract), state=state, policy=policy, recipients=bad)
        assert e.value.fault == "input", bad
    broken = tmp_path / "rota.toml"
    broken.write_text("identity = [\n")
    with pytest.raises(watermark.WatermarkError) as e:
        watermark.issue(roll(extract), state=state, policy=broken, recipients=["PAN"])
    assert "rota.toml" in str(e.value)
    assert log_bytes(state) == before


def test_not_a_table(policy, fresh_state):
    with pytest.raises(TypeError, match="__arrow_c_stream__"):
        watermark.issue([1, 2, 3], state=fresh_state("s"), policy=policy, recipients=["PAN"])


def test_a_table_with_no_rows(extract, policy, fresh_state):
    state = fresh_state("state")
    before = log_bytes(state)
    with pytest.raises(watermark.WatermarkError, match="no data rows"):
        watermark.issue(roll(extract).head(0), state=state, policy=policy, recipients=["PAN"])
    assert log_bytes(state) == before


def test_errors_in_spanish(extract, policy, fresh_state):
    table = roll(extract).drop(columns=["CURP"])
    with pytest.raises(watermark.WatermarkError) as e:
        watermark.issue(table, state=fresh_state("s"), policy=policy, recipients=["PAN"], lang="es")
    assert "columna" in str(e.value)


def test_no_investigator(extract, fresh_state):
    with pytest.raises(watermark.WatermarkError) as e:
        watermark.verify(roll(extract).head(50), state=fresh_state("s"), investigator=" ")
    assert e.value.fault == "input"
