//! Python bindings of POP: the extension module `pop_optimizer._core`, wrapped by the pure-Python
//! package `pop_optimizer` (`python/pop_optimizer/__init__.py`: `minimize`, `Optimizer`).
//!
//! The glue is thin on purpose: every rule of a run (budget, z-space clipping, the NaN rule, the
//! record) is `pop_optim::session::Session`'s, the same code `pop_optim::harness::run` loops
//! over, and every method comes from the evaluation's registry (`pop_eval::methods`), with POP's
//! restart rule taken from the `quick` reproduction preset. The tests are pytest's
//! (`crates/pop-py/tests`).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use pop_bench_fns::{Bounds, Objective};
use pop_eval::ReproduceConfig;
use pop_eval::methods::{PolicyPaths, keys as method_keys, resolve};
use pop_optim::harness::{RunOptions, run};
use pop_optim::session::Session;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

pyo3::create_exception!(
    pop_optimizer,
    PopError,
    PyException,
    "An error of the POP runtime (bad input, an unknown method, ask/tell misuse); the message is \
     the Rust error's."
);

fn pop_err(e: impl std::fmt::Display) -> PyErr {
    PopError::new_err(e.to_string())
}

/// The policy folders under `root` (the wheel's `pop_optimizer/policies`, or the workspace's
/// `data/`), with POP's restart rule of the `quick` reproduction preset.
fn policies(root: &Path) -> PyResult<(PathBuf, PathBuf, PathBuf, ReproduceConfig)> {
    let cfg = ReproduceConfig::preset("quick").map_err(pop_err)?;
    Ok((
        root.join("pop-quick"),
        root.join("pop-paper-quick"),
        root.join("velo-quick"),
        cfg,
    ))
}

/// Builds method `key` (the evaluation's registry) with the policies under `root`; `policy`
/// replaces the `pop` / `pop-paper` policy folder.
fn build_method(
    key: &str,
    root: &Path,
    policy: Option<&Path>,
) -> PyResult<Arc<dyn pop_optim::Method>> {
    let (pop, paper, velo, cfg) = policies(root)?;
    let pop = policy.map_or(pop, Path::to_path_buf);
    let paper = policy.map_or(paper, Path::to_path_buf);
    let paths = PolicyPaths {
        pop: &pop,
        pop_paper: &paper,
        velo: &velo,
        pop_restarts: cfg.pop_restarts,
        pop_restarts_max_dim: cfg.pop_restarts_max_dim,
    };
    Ok(resolve(key, &paths).map_err(pop_err)?.method)
}

/// The method keys, in the evaluation's table order.
#[pyfunction]
fn methods() -> Vec<&'static str> {
    method_keys().collect()
}

/// Whether method `key` needs gradients.
#[pyfunction]
#[pyo3(signature = (key, policy_root, policy=None))]
fn uses_gradient(key: &str, policy_root: PathBuf, policy: Option<PathBuf>) -> PyResult<bool> {
    Ok(build_method(key, &policy_root, policy.as_deref())?.uses_gradient())
}

/// One ask/tell run of a method under the harness's rules (see `pop_optim::session`).
#[pyclass(frozen, module = "pop_optimizer._core")]
struct Optimizer {
    inner: Mutex<Session<'static>>,
    name: String,
    uses_gradient: bool,
    budget: usize,
}

impl Optimizer {
    fn session(&self) -> PyResult<MutexGuard<'_, Session<'static>>> {
        self.inner
            .lock()
            .map_err(|_| pop_err("the optimizer's state is poisoned by an earlier panic"))
    }
}

#[pymethods]
impl Optimizer {
    /// `method` on the box `[lower, upper]` for `budget` oracle calls from `x0`, run seed `seed`.
    #[new]
    #[pyo3(signature = (method, lower, upper, budget, seed, x0, policy_root, policy=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        method: &str,
        lower: Vec<f64>,
        upper: Vec<f64>,
        budget: usize,
        seed: u64,
        x0: Vec<f64>,
        policy_root: PathBuf,
        policy: Option<PathBuf>,
    ) -> PyResult<Self> {
        let bounds = Bounds::new(lower, upper).map_err(pop_err)?;
        let m = build_method(method, &policy_root, policy.as_deref())?;
        let uses_gradient = m.uses_gradient();
        let session = Session::new(m, bounds, &x0, budget, seed, false).map_err(pop_err)?;
        let name = session.record().method.clone();
        Ok(Self {
            inner: Mutex::new(session),
            name,
            uses_gradient,
            budget,
        })
    }

    /// The next point to evaluate (the first: the start point, clipped into the box).
    fn ask(&self, py: Python<'_>) -> PyResult<Vec<f64>> {
        let mut s = self.session()?;
        let s: &mut Session<'static> = &mut s;
        py.detach(|| s.ask().map(<[f64]>::to_vec)).map_err(pop_err)
    }

    /// Tells the value (and, for a gradient method, the gradient) at the point `ask` returned.
    #[pyo3(signature = (x, value, grad=None))]
    fn tell(
        &self,
        py: Python<'_>,
        x: Vec<f64>,
        value: f64,
        grad: Option<Vec<f64>>,
    ) -> PyResult<()> {
        let mut s = self.session()?;
        let s: &mut Session<'static> = &mut s;
        py.detach(|| s.tell(&x, value, grad.as_deref()))
            .map_err(pop_err)
    }

    /// `(best_x, best_value)`: the best point told so far (`inf` before a finite value).
    #[getter]
    fn best(&self) -> PyResult<(Vec<f64>, f64)> {
        let s = self.session()?;
        Ok((s.best_x().to_vec(), s.best_value()))
    }

    /// Oracle calls told so far.
    #[getter]
    fn nfev(&self) -> PyResult<usize> {
        Ok(self.session()?.calls())
    }

    /// Whether the budget is spent.
    #[getter]
    fn done(&self) -> PyResult<bool> {
        Ok(self.session()?.is_done())
    }

    /// The method's full name (with its hyperparameters).
    #[getter]
    fn name(&self) -> String {
        self.name.clone()
    }

    /// Whether `tell` needs a gradient.
    #[getter]
    fn uses_gradient(&self) -> bool {
        self.uses_gradient
    }

    /// The budget of oracle calls.
    #[getter]
    fn budget(&self) -> usize {
        self.budget
    }

    /// `(best_so_far, values)` per call (`None` where a call failed).
    fn history(&self) -> PyResult<(Vec<f64>, Vec<Option<f64>>)> {
        let s = self.session()?;
        Ok((s.record().best.clone(), s.record().values.clone()))
    }
}

/// `(best_so_far, values, best_x)` of one run; `None` where a call failed (NaN rule).
type RunTriple = (Vec<f64>, Vec<Option<f64>>, Vec<f64>);

/// `pop_optim::harness::run` of `method` on the VLSE function `function` (dimension `dim`, or its
/// default): `(best_so_far, values, best_x)`; the reference of the bit-for-bit tests.
#[pyfunction]
#[pyo3(signature = (method, function, x0, budget, seed, policy_root, dim=None))]
fn run_benchmark(
    method: &str,
    function: &str,
    x0: Vec<f64>,
    budget: usize,
    seed: u64,
    policy_root: PathBuf,
    dim: Option<usize>,
) -> PyResult<RunTriple> {
    let f = pop_bench_fns::registry::build(function, dim).map_err(pop_err)?;
    let m = build_method(method, &policy_root, None)?;
    let rec = run(&f, m.as_ref(), &x0, budget, seed, RunOptions::default()).map_err(pop_err)?;
    Ok((rec.best, rec.values, rec.best_x))
}

/// A VLSE benchmark function: `(value, gradient)` at `x`, and its box.
#[pyfunction]
#[pyo3(signature = (function, x, dim=None))]
fn benchmark_value_and_grad(
    function: &str,
    x: Vec<f64>,
    dim: Option<usize>,
) -> PyResult<(f64, Vec<f64>)> {
    let f = pop_bench_fns::registry::build(function, dim).map_err(pop_err)?;
    let mut g = vec![0.0; x.len()];
    let v = f.value_and_gradient(&x, &mut g).map_err(pop_err)?;
    Ok((v, g))
}

/// The box `(lower, upper)` of a VLSE benchmark function.
#[pyfunction]
#[pyo3(signature = (function, dim=None))]
fn benchmark_bounds(function: &str, dim: Option<usize>) -> PyResult<(Vec<f64>, Vec<f64>)> {
    let f = pop_bench_fns::registry::build(function, dim).map_err(pop_err)?;
    let b = f.bounds();
    Ok((b.lower().to_vec(), b.upper().to_vec()))
}

/// The extension module.
#[pymodule]
#[pyo3(name = "_core")]
fn core_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Optimizer>()?;
    m.add_function(wrap_pyfunction!(methods, m)?)?;
    m.add_function(wrap_pyfunction!(uses_gradient, m)?)?;
    m.add_function(wrap_pyfunction!(run_benchmark, m)?)?;
    m.add_function(wrap_pyfunction!(benchmark_value_and_grad, m)?)?;
    m.add_function(wrap_pyfunction!(benchmark_bounds, m)?)?;
    m.add("PopError", m.py().get_type::<PopError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
