//! The test suites: VLSE-47 (default dimensions) and the prior test sets in 2, 8, 16 and 32-D.

use std::sync::Arc;

use pop_bench_fns::{Objective, registry};
use pop_prior::{Prior, PriorConfig, Split};

use super::config::SuiteConfig;
use super::error::ReproduceError;

/// A suite's functions with the names its tables use.
pub struct Suite {
    /// `vlse47` or `prior-D`.
    pub name: String,
    /// Table names of the functions (registry names; `test-0007` for prior functions).
    pub function_names: Vec<String>,
    /// The objectives, in the same order.
    pub functions: Vec<Arc<dyn Objective>>,
    /// What was left out, for the output and the results page (empty: the whole suite).
    pub scope_note: String,
}

impl std::fmt::Debug for Suite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Suite")
            .field("name", &self.name)
            .field("functions", &self.function_names.len())
            .finish()
    }
}

impl Suite {
    /// Largest dimension of its functions.
    pub fn max_dim(&self) -> usize {
        self.functions.iter().map(|f| f.dim()).max().unwrap_or(0)
    }
}

/// Builds the suite of `cfg` (prior functions are generated in parallel; `f*` of the 8-, 16-
/// and 32-D ones is a numerical estimate, see pop-prior).
pub fn build(cfg: &SuiteConfig) -> Result<Suite, ReproduceError> {
    if cfg.name == "vlse47" {
        let mut specs: Vec<_> = registry::vlse47().collect();
        let total = specs.len();
        if let Some(only) = &cfg.only {
            let wanted: Vec<&str> = only
                .iter()
                .map(|n| registry::find(n).map(|s| s.name))
                .collect::<Result<_, _>>()?;
            specs.retain(|s| wanted.contains(&s.name));
        }
        if let Some(n) = cfg.functions {
            specs.truncate(n);
        }
        let mut functions: Vec<Arc<dyn Objective>> = Vec::with_capacity(specs.len());
        let mut names = Vec::with_capacity(specs.len());
        for s in &specs {
            functions.push(Arc::new(s.build_default()?));
            names.push(s.name.to_string());
        }
        let scope_note = if specs.len() == total {
            String::new()
        } else {
            format!("{} of the {total} VLSE functions", specs.len())
        };
        return Ok(Suite {
            name: cfg.name.clone(),
            function_names: names,
            functions,
            scope_note,
        });
    }
    let d: usize = cfg
        .name
        .strip_prefix("prior-")
        .and_then(|s| s.parse().ok())
        .filter(|d| pop_prior::EVAL_DIMS.contains(d))
        .ok_or_else(|| ReproduceError::InvalidConfig {
            field: "suites.name",
            value: cfg.name.clone(),
            reason: format!("unknown suite; valid: {}", super::config::SUITES.join(", ")),
        })?;
    let n = cfg.functions.unwrap_or(pop_prior::EVAL_SET_SIZE);
    let prior = Prior::new(PriorConfig::default())?;
    let samples = prior.split_batch(Split::Test, d, 0..n as u64)?;
    let names = (0..n).map(|i| format!("test-{i:04}")).collect();
    let functions = samples
        .into_iter()
        .map(|s| Arc::new(s) as Arc<dyn Objective>)
        .collect();
    let scope_note = if n == pop_prior::EVAL_SET_SIZE {
        String::new()
    } else {
        format!(
            "the first {n} of the {} test functions",
            pop_prior::EVAL_SET_SIZE
        )
    };
    Ok(Suite {
        name: cfg.name.clone(),
        function_names: names,
        functions,
        scope_note,
    })
}
