"""Bad input raises a WatermarkError that says what and where, and leaves
the log as it was: no entry, partial or whole."""

import json
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


def secret_forms(state):
    """The master key's secret in the forms it could leak in: its hex (both
    cases), any 24-hex-digit piece of it, and its base64."""
    import base64

    hexkey = next(line.split(":", 1)[1].strip() for line in (state / "master.key").read_text().splitlines()
                  if line.startswith("secret:"))
    raw = bytes.fromhex(hexkey)
    forms = {hexkey, hexkey.upper(), base64.b64encode(raw).decode()}
    forms |= {hexkey[i:i + 24] for i in range(0, len(hexkey) - 24, 8)}
    return forms


def test_no_report_order_or_error_holds_the_key(extract, policy, fresh_state, tmp_path):
    state = fresh_state("state")
    forms = secret_forms(state)
    table = roll(extract)
    copies = watermark.issue(table, state=state, policy=policy, recipients=["PAN", "PRI"])
    issuance = watermark.prepare_issue(table, state=state, policy=policy, recipients=["PT"])
    verdict = watermark.verify(copies["PRI"].slice(0, 50), state=state, investigator="Fiscalía",
                               html=tmp_path / "r.html")
    texts = [json.dumps(copies.report), issuance.prepared, json.dumps(verdict),
             (tmp_path / "r.html").read_text()]
    for bad in (lambda: watermark.issue(table.drop(columns=["CURP"]), state=state, policy=policy,
                                        recipients=["X"]),
                lambda: watermark.Issuance(issuance.prepared, str(tmp_path)).mark(table.head(5))):
        with pytest.raises(watermark.WatermarkError) as e:
            bad()
        texts.append(str(e.value))
    for text in texts:
        for form in forms:
            assert form not in text


def test_the_gil_is_released_while_issuing(extract, policy, fresh_state):
    import threading
    import time

    state = fresh_state("state")
    table = pd.concat([roll(extract)] * 10, ignore_index=True)
    ticks = []
    done = threading.Event()

    def tick():
        while not done.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)

    t = threading.Thread(target=tick)
    t.start()
    start = time.perf_counter()
    watermark.issue(table, state=state, policy=policy, recipients=["PAN", "PRI"])
    took = time.perf_counter() - start
    done.set()
    t.join()
    during = [x for x in ticks if start < x < start + took]
    # Python ran beside the call: a tick at least every 50 ms of it.
    assert took > 0.1
    assert len(during) >= took / 0.05, (len(during), took)


def test_copies_swapped_before_a_commit_are_refused(extract, policy, fresh_state):
    # A pipeline that hands PAN's copy over as PRI's would have the log say
    # PRI holds a copy marked for PAN, and a leak of it accuse PAN.
    state = fresh_state("state")
    table = roll(extract)
    issuance = watermark.prepare_issue(table, state=state, policy=policy, recipients=["PAN", "PRI", "MC"])
    parts, slots = issuance.mark(table)
    copies = {r: pa.Table.from_batches(b) for r, b in parts.items()}
    before = log_bytes(state)
    swapped = dict(copies, PAN=copies["PRI"], PRI=copies["PAN"])
    with pytest.raises(watermark.WatermarkError) as e:
        issuance.commit(swapped, slots_marked=slots)
    assert e.value.fault == "input"
    assert "PRI" in str(e.value) and "PAN" in str(e.value)
    # Half of one copy joined to half of another: refused too.
    n = table.shape[0] // 2
    mixed = dict(copies, MC=pa.concat_tables([copies["MC"].slice(0, n), copies["PAN"].slice(n)]))
    with pytest.raises(watermark.WatermarkError):
        issuance.commit(mixed, slots_marked=slots)
    assert log_bytes(state) == before
    report = issuance.commit(copies, slots_marked=slots)
    assert [c["recipient"] for c in report["copies"]] == ["PAN", "PRI", "MC"]
    assert watermark.open_state(state).log_size() == 3
