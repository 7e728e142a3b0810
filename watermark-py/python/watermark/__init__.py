"""Trace leaked registry extracts to the recipient who leaked them.

Issue each recipient a copy of a table (a pandas or Polars DataFrame, a
PyArrow Table, a DuckDB result: anything with the Arrow PyCapsule interface)
marked with a keyed fingerprint, and attribute a leaked sample with a
bound on the chance of accusing an innocent recipient. The package uses the
same state directory, signed issuance log, bounds and reports as the
``watermark`` command line: a copy issued here is verified there, and the
other way round.

    >>> import watermark, pandas as pd
    >>> state = watermark.init("registro")                        # once
    >>> roll = pd.read_csv("padron.csv", dtype=str, keep_default_na=False)
    >>> open("politica.toml", "w").write(watermark.suggest_policy(roll))
    >>> copies = watermark.issue(roll, state=state, policy="politica.toml",
    ...                          recipients=["PAN", "PRI", "MORENA"])
    >>> copies["PRI"].to_pandas().to_csv("PRI.csv", index=False)
    >>> report = watermark.verify(leak, state=state, investigator="Fiscalía")
    >>> report["accused"][0]["recipient"], report["accused"][0]["bound"]

A table is identified by its *CSV form*: its header and every row's cells in
their text form, quoted only where needed, ``\\n`` line ends. Its digest
(:func:`digest`) is the BLAKE3 of that form, so a table read from a plain
CSV export, every column as text, has the file's own digest, and its copies
are the very copies ``watermark issue`` makes of that file.

Every call releases the GIL while it works. Errors are
:class:`WatermarkError`, with ``fault`` (``"input"`` or ``"state"``),
``row`` and ``column`` when known; nothing is logged when a call fails.
"""

from __future__ import annotations

import json
import os
import warnings
from typing import Any, Callable, Dict, Iterable, List, Optional, Union

import pyarrow as pa

from . import _watermark
from ._watermark import SCHEME_VERSION, WatermarkError, __version__

__all__ = [
    "SCHEME_VERSION",
    "Copies",
    "Issuance",
    "State",
    "WatermarkError",
    "digest",
    "init",
    "issue",
    "issue_batches",
    "open_state",
    "prepare_issue",
    "suggest_policy",
    "verify",
    "write_csv",
    "__version__",
]

PathLike = Union[str, "os.PathLike[str]"]


class State:
    """A state directory: the master key, the signed issuance log, the
    policies and canary lists copies were made with.

    Made by :func:`init` or :func:`open_state`; pass it (or its path) as
    ``state=``. A closed state is refused by every call, so a notebook that
    closed it cannot issue into it by mistake. Usable as a context manager.
    """

    def __init__(self, path: PathLike, description: Dict[str, Any]):
        self._path = os.fspath(path)
        self._closed = False
        #: The master key's id (its digest; never the key).
        self.key_id: str = description["key_id"]
        #: The issuance log's name.
        self.log_origin: str = description["log_origin"]
        #: The log's public key, ``NAME+ID+BASE64``, to give auditors.
        self.log_public_key: str = description["log_public_key"]

    @property
    def path(self) -> str:
        """The state directory."""
        if self._closed:
            raise WatermarkError(_watermark.say("state_closed", self._path))
        return self._path

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed

    def log_size(self) -> int:
        """Entries in the issuance log now."""
        return json.loads(_watermark.open_state(self.path))["log_size"]

    def close(self) -> None:
        """Closes the state: later calls given it are refused."""
        self._closed = True

    def __enter__(self) -> "State":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __fspath__(self) -> str:
        return self.path

    def __repr__(self) -> str:
        status = " closed" if self._closed else ""
        return f"<watermark.State {self._path!r} key {self.key_id[:16]}{status}>"


def _state_path(state: Union[State, PathLike]) -> str:
    if isinstance(state, State):
        return state.path
    return os.fspath(state)


def _name(table: Any) -> str:
    if callable(table) and not hasattr(table, "__arrow_c_stream__"):
        return "stream"
    kind = type(table)
    return f"{kind.__module__.split('.')[0]}.{kind.__qualname__}"


def _notify(notices: Iterable[str]) -> None:
    for n in notices:
        warnings.warn(n, RuntimeWarning, stacklevel=3)


def init(state: PathLike, *, log_origin: Optional[str] = None) -> State:
    """Creates a state directory with a new master key (a 0600 file) and an
    empty signed issuance log, as ``watermark init`` does.

    Refuses a directory that already holds a key. Keep the directory safe
    and backed up: the key is what lets you name a leaker, and the log is
    the evidence of who received what.
    """
    path = os.fspath(state)
    return State(path, json.loads(_watermark.init(path, log_origin)))


def open_state(state: PathLike) -> State:
    """Opens an existing state directory (made by :func:`init` or
    ``watermark init``)."""
    path = os.fspath(state)
    return State(path, json.loads(_watermark.open_state(path)))


def suggest_policy(
    table: Any,
    *,
    identity: Optional[List[str]] = None,
    rows: int = 10_000,
    canary_rate: Optional[float] = None,
    canaries: bool = True,
) -> str:
    """Suggests a marking policy for ``table`` as ``watermark policy
    suggest`` does: reads up to ``rows`` rows and returns the policy as
    commented TOML, to review and save to a file for :func:`issue`.

    ``identity`` names the identity columns (found from the data when
    omitted); ``canaries=False`` suggests a policy without canary rows.
    """
    return _watermark.suggest_policy(
        table, _name(table), rows, identity, canaries, canary_rate
    )


class Copies(Dict[str, pa.Table]):
    """Each recipient's copy, by recipient id, in the order they were
    given; ``report`` is the issuance report (what ``watermark issue
    --json`` prints for a file: digests, slots, canaries, log entries and
    their receipts)."""

    report: Dict[str, Any]


def issue(
    table: Any,
    *,
    state: Union[State, PathLike],
    policy: PathLike,
    recipients: List[str],
    witnesses: Optional[PathLike] = None,
    lang: Optional[str] = None,
) -> Copies:
    """Issues each recipient a marked copy of ``table``, logged in the
    state's issuance log exactly as ``watermark issue`` logs a file.

    ``table`` is anything with ``__arrow_c_stream__`` (pyarrow.Table,
    pandas and Polars DataFrames, DuckDB results). It is read where it lies,
    never copied. Each copy is a ``pyarrow.Table`` with one batch for each
    of the table's: a batch without canary rows keeps the table's own
    columns but the marked ones; a batch with canary rows placed in it is
    built new. ``policy`` is a TOML file (see :func:`suggest_policy`).
    Returns :class:`Copies`.

    Raises :class:`WatermarkError` (nothing logged) for a table that lacks
    the policy's identity column, a recipient id the log cannot hold, a
    state whose key or log is not right, a witness that says the state is
    behind.
    """
    report, tables, notices = _watermark.issue(
        table,
        _name(table),
        _state_path(state),
        os.fspath(policy),
        list(recipients),
        None if witnesses is None else os.fspath(witnesses),
        lang,
    )
    _notify(notices)
    copies = Copies(zip(recipients, tables))
    copies.report = json.loads(report)
    return copies


def issue_batches(
    open: Callable[[], Any],
    *,
    sink: Callable[[str, pa.RecordBatch], None],
    state: Union[State, PathLike],
    policy: PathLike,
    recipients: List[str],
    witnesses: Optional[PathLike] = None,
    lang: Optional[str] = None,
) -> Dict[str, Any]:
    """The streaming form of :func:`issue`, for tables larger than memory.

    ``open()`` returns a fresh Arrow stream of the table from its first row
    (for example ``lambda: pq.ParquetFile(path).iter_batches()`` wrapped in
    ``pa.RecordBatchReader.from_batches``, or a dataset's
    ``scanner().to_reader()``); it is called once for the table's digest,
    three times when the table's canaries must be made, and once to mark.
    Each copy's batches go to ``sink(recipient, batch)`` in order, as they
    are marked; the copies are logged once every batch was taken. Memory
    holds a few batches, whatever the table's size. Returns the issuance
    report.
    """
    report, notices = _watermark.issue_stream(
        open,
        sink,
        "stream",
        _state_path(state),
        os.fspath(policy),
        list(recipients),
        None if witnesses is None else os.fspath(witnesses),
        lang,
    )
    _notify(notices)
    return json.loads(report)


class Issuance:
    """An issuance prepared in a state (slots assigned, the table's digest
    taken, its canaries made), to be marked elsewhere, in parts, and then
    logged: how a Spark job issues copies, each task marking its
    partition's batches (see ``examples/spark_issue.py``).

    ``prepared`` is a JSON document that holds no secret (the order names
    the canary list kept in the state, never its rows, and is authorised
    under the master key: a part is marked only with the key it names), so
    it can travel to the tasks. Marking needs the state's key, read from
    the state directory where the task runs.
    """

    def __init__(self, prepared: str, state: str):
        self.prepared = prepared
        self.state = state
        doc = json.loads(prepared)
        #: The recipients, in order.
        self.recipients: List[str] = [r["id"] for r in doc["order"]["recipients"]]
        #: The table's data rows.
        self.rows: int = doc["input_rows"]
        #: The BLAKE3 of the table's CSV form.
        self.input_blake3: str = doc["input_blake3"]

    def mark(
        self, batches: Any, *, first_row: int = 1, last: bool = True
    ) -> "tuple[Dict[str, List[pa.RecordBatch]], int]":
        """Marks a part of the table: ``batches`` (an Arrow stream) are rows
        ``first_row...`` of the table (numbered from 1), ``last`` when they
        hold its last row. Returns each recipient's marked batches (the
        part's rows, with the canaries that fall among them) and the slots
        marked in each copy's part."""
        copies, slots = _watermark.mark_part(
            self.prepared, self.state, batches, first_row, last
        )
        return dict(zip(self.recipients, copies)), slots

    def commit(
        self,
        copies: Dict[str, Any],
        *,
        slots_marked: int,
        witnesses: Optional[PathLike] = None,
        lang: Optional[str] = None,
    ) -> Dict[str, Any]:
        """Logs the copies (each recipient's whole copy, rows in the table's
        order), as :func:`issue` logs them; ``slots_marked`` is the sum of
        the parts'. Returns the issuance report."""
        missing = [r for r in self.recipients if r not in copies]
        if missing:
            raise WatermarkError(_watermark.say("no_copy_for", ", ".join(missing), lang))
        report, notices = _watermark.commit_issue(
            self.prepared,
            [copies[r] for r in self.recipients],
            slots_marked,
            self.state,
            None if witnesses is None else os.fspath(witnesses),
            lang,
        )
        _notify(notices)
        return json.loads(report)

    def __reduce__(self):
        return (Issuance, (self.prepared, self.state))


def prepare_issue(
    table: Any,
    *,
    state: Union[State, PathLike],
    policy: PathLike,
    recipients: List[str],
    witnesses: Optional[PathLike] = None,
    lang: Optional[str] = None,
) -> Issuance:
    """Prepares an issuance of ``table`` (a table, or a function returning a
    fresh Arrow stream of it, as in :func:`issue_batches`) to be marked in
    parts by :meth:`Issuance.mark` and logged by :meth:`Issuance.commit`.
    Nothing is logged until then; another issuance logged in between makes
    the commit fail, to be prepared again."""
    path = _state_path(state)
    prepared, notices = _watermark.prepare_issue(
        table,
        _name(table),
        path,
        os.fspath(policy),
        list(recipients),
        None if witnesses is None else os.fspath(witnesses),
        lang,
    )
    _notify(notices)
    return Issuance(prepared, path)


def verify(
    table: Any,
    *,
    state: Union[State, PathLike],
    investigator: str,
    master: Optional[PathLike] = None,
    threshold: Optional[float] = None,
    witnesses: Optional[PathLike] = None,
    html: Optional[PathLike] = None,
    lang: Optional[str] = None,
) -> Dict[str, Any]:
    """Attributes a leaked table and logs the verification under
    ``investigator``'s name, as ``watermark verify`` does a file.

    Returns the same document as ``watermark verify --json``: the accused
    (``report["accused"]``, each with its ``bound``, the chance that an
    innocent recipient scores as high), every recipient's score, the log
    entries of the accused's copies with their proofs, and how to re-check.
    The leak is read in its CSV form, whose BLAKE3 is the one logged (write
    it with :func:`write_csv` to re-check with the command line). With
    ``html``, also writes the signed HTML evidence report there, in
    ``lang`` (``"es"`` or ``"en"``; the locale's when omitted).
    """
    report, notices = _watermark.verify(
        table,
        _name(table),
        _state_path(state),
        investigator,
        None if master is None else os.fspath(master),
        threshold,
        None if witnesses is None else os.fspath(witnesses),
        None if html is None else os.fspath(html),
        lang,
    )
    _notify(notices)
    return json.loads(report)


def digest(table: Any) -> str:
    """The BLAKE3 of a table's CSV form, in hex: the digest the log and the
    reports give the table (equal to a plain CSV export's file digest)."""
    return _watermark.digest(table, _name(table))


def write_csv(table: Any, path: PathLike) -> int:
    """Writes a table's CSV form to a new file (never overwriting one);
    returns its data rows. The file's BLAKE3 is the table's :func:`digest`,
    so ``watermark verify`` reads it as the table."""
    return _watermark.write_csv(table, _name(table), os.fspath(path))
