"""Shared fixtures: the command line the package is checked against, and
extracts it generates (deterministically, at test time)."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _cli() -> Path:
    given = os.environ.get("WATERMARK_BIN")
    if given:
        return Path(given)
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    for profile in ("debug", "release"):
        candidate = target / profile / "watermark"
        if candidate.exists():
            return candidate
    raise RuntimeError(
        "the watermark command line is not built: run `cargo build -p watermark-cli` "
        "(or set WATERMARK_BIN)"
    )


@pytest.fixture(scope="session")
def cli() -> Path:
    return _cli()


def run(cli: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = dict(os.environ, WATERMARK_LANG="en")
    done = subprocess.run(
        [str(cli), *args], capture_output=True, text=True, env=env, timeout=600
    )
    if check and done.returncode != 0:
        raise AssertionError(
            f"watermark {' '.join(args)} exited {done.returncode}:\n{done.stderr}"
        )
    return done


@pytest.fixture(scope="session")
def extract(cli, tmp_path_factory) -> Path:
    """A synthetic electoral roll of 3,000 rows, as `watermark synth` writes it."""
    d = tmp_path_factory.mktemp("extract")
    path = d / "padron.csv"
    run(cli, "synth", "--rows", "3000", "--seed", "7", "-o", str(path))
    return path


@pytest.fixture(scope="session")
def policy(cli, extract, tmp_path_factory) -> Path:
    """The policy `watermark policy suggest` proposes for the extract."""
    path = tmp_path_factory.mktemp("policy") / "politica.toml"
    run(cli, "policy", "suggest", str(extract), "-o", str(path))
    return path


@pytest.fixture
def fresh_state(cli, tmp_path):
    """Makes states that share one master key and log key: copies of one
    freshly initialised state, so the same recipients get the same slots."""
    origin = tmp_path / "origin"
    run(cli, "init", "--state", str(origin))

    def make(name: str) -> Path:
        path = tmp_path / name
        shutil.copytree(origin, path)
        return path

    return make
