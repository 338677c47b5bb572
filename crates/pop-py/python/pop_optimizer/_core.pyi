"""Stubs of the Rust extension `pop_optimizer._core` (see crates/pop-py/src/lib.rs)."""

from typing import List, Optional, Sequence, Tuple

__version__: str

class PopError(Exception):
    """An error of the POP runtime; the message is the Rust error's."""

def methods() -> List[str]: ...
def uses_gradient(key: str, policy_root: str, policy: Optional[str] = None) -> bool: ...
def run_benchmark(
    method: str,
    function: str,
    x0: Sequence[float],
    budget: int,
    seed: int,
    policy_root: str,
    dim: Optional[int] = None,
) -> Tuple[List[float], List[Optional[float]], List[float]]: ...
def benchmark_value_and_grad(function: str, x: Sequence[float], dim: Optional[int] = None) -> Tuple[float, List[float]]: ...
def benchmark_bounds(function: str, dim: Optional[int] = None) -> Tuple[List[float], List[float]]: ...

class Optimizer:
    def __init__(
        self,
        method: str,
        lower: Sequence[float],
        upper: Sequence[float],
        budget: int,
        seed: int,
        x0: Sequence[float],
        policy_root: str,
        policy: Optional[str] = None,
    ) -> None: ...
    def ask(self) -> List[float]: ...
    def tell(self, x: Sequence[float], value: float, grad: Optional[Sequence[float]] = None) -> None: ...
    @property
    def best(self) -> Tuple[List[float], float]: ...
    @property
    def nfev(self) -> int: ...
    @property
    def done(self) -> bool: ...
    @property
    def name(self) -> str: ...
    @property
    def uses_gradient(self) -> bool: ...
    @property
    def budget(self) -> int: ...
    def history(self) -> Tuple[List[float], List[Optional[float]]]: ...
