import pathlib

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture
def repo() -> pathlib.Path:
    return REPO


@pytest.fixture
def exactspike_bin() -> str:
    exe = REPO / "target" / "release" / "exactspike"
    if not exe.exists():
        pytest.skip("build the command line first: cargo build --release")
    return str(exe)
