//! The test suites, as one typed registry: [`REGISTRY`] lists VLSE-47 (default dimensions) and
//! the prior test sets in 2, 8, 16 and 32-D. **Adding a suite is one line here** plus, for a new
//! kind of suite, one arm of [`SuiteSpec::build`].

use std::sync::Arc;

use pop_bench_fns::{Objective, registry};
use pop_prior::{Prior, PriorConfig, Split};

use super::config::SuiteConfig;
use super::error::ReproduceError;

/// What a suite is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuiteKind {
    /// The 47 VLSE functions at their default dimensions.
    Vlse47,
    /// The prior's test split in dimension `dim` (`f*` of the 8-, 16- and 32-D sets is a
    /// numerical estimate, see pop-prior).
    PriorTest {
        /// Dimension of the functions.
        dim: usize,
    },
}

/// One entry of the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SuiteSpec {
    /// The suite's name in configs, tables and on the command line.
    pub name: &'static str,
    /// What it is made of.
    pub kind: SuiteKind,
}

/// Every suite an evaluation may list, in table order.
pub const REGISTRY: &[SuiteSpec] = &[
    SuiteSpec {
        name: "vlse47",
        kind: SuiteKind::Vlse47,
    },
    SuiteSpec {
        name: "prior-2",
        kind: SuiteKind::PriorTest { dim: 2 },
    },
    SuiteSpec {
        name: "prior-8",
        kind: SuiteKind::PriorTest { dim: 8 },
    },
    SuiteSpec {
        name: "prior-16",
        kind: SuiteKind::PriorTest { dim: 16 },
    },
    SuiteSpec {
        name: "prior-32",
        kind: SuiteKind::PriorTest { dim: 32 },
    },
];

/// The valid suite names, comma-separated (for error messages).
pub fn valid_names() -> String {
    REGISTRY
        .iter()
        .map(|s| s.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The registry entry of `name`, or an error listing the valid names.
pub fn find(name: &str) -> Result<&'static SuiteSpec, ReproduceError> {
    REGISTRY
        .iter()
        .find(|s| s.name == name)
        .ok_or_else(|| ReproduceError::InvalidConfig {
            field: "suites.name",
            value: name.to_string(),
            reason: format!("unknown suite; valid: {}", valid_names()),
        })
}

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

/// Builds the suite of `cfg` (see [`SuiteSpec::build`]).
pub fn build(cfg: &SuiteConfig) -> Result<Suite, ReproduceError> {
    find(&cfg.name)?.build(cfg)
}

impl SuiteSpec {
    /// Builds the suite's functions, restricted as `cfg` says (prior functions are generated in
    /// parallel).
    pub fn build(&self, cfg: &SuiteConfig) -> Result<Suite, ReproduceError> {
        match self.kind {
            SuiteKind::Vlse47 => build_vlse(cfg),
            SuiteKind::PriorTest { dim } => build_prior(cfg, dim),
        }
    }
}

fn build_vlse(cfg: &SuiteConfig) -> Result<Suite, ReproduceError> {
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
    Ok(Suite {
        name: cfg.name.clone(),
        function_names: names,
        functions,
        scope_note,
    })
}

fn build_prior(cfg: &SuiteConfig, d: usize) -> Result<Suite, ReproduceError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The prior suites of the registry are exactly the prior's evaluation dimensions.
    #[test]
    fn prior_suites_match_the_prior_eval_dims() {
        let dims: Vec<usize> = REGISTRY
            .iter()
            .filter_map(|s| match s.kind {
                SuiteKind::PriorTest { dim } => Some(dim),
                SuiteKind::Vlse47 => None,
            })
            .collect();
        assert_eq!(dims, pop_prior::EVAL_DIMS.to_vec());
        assert!(find("prior-3").is_err());
    }
}
