"""Type stubs of the native module; the documented API is `watermark`."""

from typing import Any, Callable, List, Optional, Tuple

__version__: str
SCHEME_VERSION: int

class WatermarkError(Exception):
    fault: str
    row: Optional[int]
    column: Optional[str]

def init(state: str, log_origin: Optional[str] = None) -> str: ...
def open_state(state: str) -> str: ...
def suggest_policy(
    table: Any,
    name: str,
    rows: int = 10000,
    identity: Optional[List[str]] = None,
    canaries: bool = True,
    canary_rate: Optional[float] = None,
) -> str: ...
def issue(
    table: Any,
    name: str,
    state: str,
    policy: str,
    recipients: List[str],
    witnesses: Optional[str] = None,
    lang: Optional[str] = None,
) -> Tuple[str, List[Any], List[str]]: ...
def issue_stream(
    open: Callable[[], Any],
    sink: Callable[[str, Any], None],
    name: str,
    state: str,
    policy: str,
    recipients: List[str],
    witnesses: Optional[str] = None,
    lang: Optional[str] = None,
) -> Tuple[str, List[str]]: ...
def verify(
    table: Any,
    name: str,
    state: str,
    investigator: str,
    master: Optional[str] = None,
    threshold: Optional[float] = None,
    witnesses: Optional[str] = None,
    html: Optional[str] = None,
    lang: Optional[str] = None,
) -> Tuple[str, List[str]]: ...
def digest(table: Any, name: str) -> str: ...
def write_csv(table: Any, name: str, path: str) -> int: ...
def prepare_issue(
    table: Any,
    name: str,
    state: str,
    policy: str,
    recipients: List[str],
    witnesses: Optional[str] = None,
    lang: Optional[str] = None,
) -> Tuple[str, List[str]]: ...
def mark_part(
    prepared: str, state: str, batches: Any, first_row: int = 1, last: bool = True
) -> Tuple[List[List[Any]], int]: ...
def commit_issue(
    prepared: str,
    copies: List[Any],
    slots_marked: int,
    state: str,
    witnesses: Optional[str] = None,
    lang: Optional[str] = None,
) -> Tuple[str, List[str]]: ...
def say(what: str, arg: str, lang: Optional[str] = None) -> str: ...
