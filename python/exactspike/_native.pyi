"""Type stubs of the compiled engine module (use the `exactspike` package, not this)."""

from typing import Optional

import numpy as np
import numpy.typing as npt

__version__: str

class ScenarioError(ValueError):
    """An invalid scenario; `path` is the JSON path of the offending value (or None)."""

    path: Optional[str]

class NativeResult:
    def names(self) -> list[str]: ...
    def summary_json(self) -> str: ...
    def spikes(self, population: str) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.float64]]: ...
    def all_spikes(
        self,
    ) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.uint32], npt.NDArray[np.float64]]: ...
    def voltage(
        self, population: str
    ) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
    def weights(
        self,
    ) -> tuple[
        npt.NDArray[np.uint32],
        npt.NDArray[np.uint32],
        npt.NDArray[np.uint32],
        npt.NDArray[np.uint32],
        npt.NDArray[np.float64],
        npt.NDArray[np.float64],
    ]: ...

def run_json(
    text: str, name: str, max_memory: Optional[int] = None, threads: int = 1
) -> NativeResult: ...
def run_parts(
    text: str,
    name: str,
    arrays: list[npt.NDArray[np.float64]],
    max_memory: Optional[int] = None,
    threads: int = 1,
) -> NativeResult: ...
class NativeSession:
    def advance(self, t: float) -> None: ...
    def now(self) -> float: ...
    def duration(self) -> float: ...
    def result(self) -> NativeResult: ...

def session_json(
    text: str, name: str, max_memory: Optional[int] = None, threads: int = 1
) -> NativeSession: ...
def session_parts(
    text: str,
    name: str,
    arrays: list[npt.NDArray[np.float64]],
    max_memory: Optional[int] = None,
    threads: int = 1,
) -> NativeSession: ...
def validate_json(text: str, name: str, max_memory: Optional[int] = None) -> None: ...
def json_schema() -> str: ...
def gradient_json(text: str, name: str, loss: str, max_memory: Optional[int] = None) -> str: ...
def train_json(text: str, out: str, epochs: Optional[int] = None) -> str: ...
