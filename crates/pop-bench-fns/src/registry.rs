//! The catalogue of benchmark functions: find one by name, build it with a checked dimension.

use std::sync::OnceLock;

use crate::{BenchError, Bounds, Objective, functions};

/// Which dimensions a function is defined for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DimRule {
    /// Exactly this dimension.
    Fixed(usize),
    /// Any dimension `>= min`; `default` is the evaluation default.
    Any {
        /// Smallest valid dimension.
        min: usize,
        /// Dimension used by the evaluation unless configured.
        default: usize,
    },
    /// Any positive multiple of `step` (Powell: 4).
    MultipleOf {
        /// The dimension must be `k * step` with `k >= 1`.
        step: usize,
        /// Dimension used by the evaluation unless configured.
        default: usize,
    },
}

impl DimRule {
    /// The evaluation default dimension.
    pub fn default_dim(self) -> usize {
        match self {
            DimRule::Fixed(d) => d,
            DimRule::Any { default, .. } | DimRule::MultipleOf { default, .. } => default,
        }
    }

    /// Whether any dimension other than the default is allowed.
    pub fn is_scalable(self) -> bool {
        !matches!(self, DimRule::Fixed(_))
    }

    /// Whether `d` is valid, and if not, what is required in words.
    pub fn check(self, d: usize) -> Result<(), String> {
        match self {
            DimRule::Fixed(n) if d != n => Err(format!("it is defined for d = {n} only")),
            DimRule::Any { min, .. } if d < min => Err(format!("it needs d >= {min}")),
            DimRule::MultipleOf { step, .. } if d == 0 || !d.is_multiple_of(step) => {
                Err(format!("it needs d to be a positive multiple of {step}"))
            }
            _ => Ok(()),
        }
    }
}

/// Everything the registry knows about one benchmark function. All fields are plain data and
/// function pointers, so the catalogue is a set of `static` tables.
#[derive(Debug, Clone, Copy)]
pub struct FunctionSpec {
    /// Position in the VLSE optimisation catalogue (1..=47); variants share their parent's number.
    pub number: u8,
    /// Registry name, lower-case kebab (`"bukin-n6"`).
    pub name: &'static str,
    /// Human name as VLSE writes it (`"Bukin N.6"`).
    pub title: &'static str,
    /// Whether it is one of the 47 suite functions (false for extra variants such as Bohachevsky N.2).
    pub in_suite: bool,
    /// Valid dimensions.
    pub dims: DimRule,
    /// `(lower, upper)` corners of the box for dimension `d`.
    pub bounds: fn(usize) -> (Vec<f64>, Vec<f64>),
    /// The function: value, and gradient into the buffer when given (see [`Objective::evaluate`]).
    pub eval: fn(&[f64], Option<&mut [f64]>) -> f64,
    /// Global minimum value over the box for dimension `d` (as exact as known).
    pub f_star: fn(usize) -> f64,
    /// Known global minimisers for dimension `d` (at least one).
    pub minimizers: fn(usize) -> Vec<Vec<f64>>,
    /// For non-smooth functions: a lower bound on the distance from `x` to the nearest point where
    /// the function is not differentiable (tests skip finite differences within it). `None` means
    /// smooth everywhere in the box.
    pub kink_distance: Option<fn(&[f64]) -> f64>,
}

impl FunctionSpec {
    /// Builds the function in dimension `d`, or errors when `d` is not valid for it.
    pub fn build(&'static self, d: usize) -> Result<BenchFunction, BenchError> {
        self.dims
            .check(d)
            .map_err(|requirement| BenchError::InvalidDimension {
                function: self.name.to_string(),
                dim: d,
                requirement,
            })?;
        let (lower, upper) = (self.bounds)(d);
        let bounds = Bounds::new(lower, upper)?;
        Ok(BenchFunction {
            spec: self,
            bounds,
            f_star: (self.f_star)(d),
            minimizers: (self.minimizers)(d),
        })
    }

    /// Builds the function in its default dimension.
    pub fn build_default(&'static self) -> Result<BenchFunction, BenchError> {
        self.build(self.dims.default_dim())
    }
}

/// A benchmark function built in a given dimension; implements [`Objective`].
#[derive(Debug, Clone)]
pub struct BenchFunction {
    spec: &'static FunctionSpec,
    bounds: Bounds,
    f_star: f64,
    minimizers: Vec<Vec<f64>>,
}

impl BenchFunction {
    /// The registry entry it was built from.
    pub fn spec(&self) -> &'static FunctionSpec {
        self.spec
    }
}

impl Objective for BenchFunction {
    fn name(&self) -> &str {
        self.spec.name
    }
    fn bounds(&self) -> &Bounds {
        &self.bounds
    }
    #[inline]
    fn evaluate(&self, x: &[f64], grad: Option<&mut [f64]>) -> f64 {
        (self.spec.eval)(x, grad)
    }
    fn f_star(&self) -> Option<f64> {
        Some(self.f_star)
    }
    fn minimizers(&self) -> &[Vec<f64>] {
        &self.minimizers
    }
}

/// Every registered function, suite members and variants, ordered by VLSE number.
pub fn catalogue() -> &'static [&'static FunctionSpec] {
    static ALL: OnceLock<Vec<&'static FunctionSpec>> = OnceLock::new();
    ALL.get_or_init(|| {
        let mut all: Vec<&'static FunctionSpec> = functions::TABLES
            .iter()
            .flat_map(|table| table.iter())
            .collect();
        all.sort_by_key(|s| (s.number, !s.in_suite, s.name));
        all
    })
}

/// The 47 VLSE suite functions, in catalogue order.
pub fn vlse47() -> impl Iterator<Item = &'static FunctionSpec> {
    catalogue().iter().copied().filter(|s| s.in_suite)
}

/// Finds a function by registry name (case-insensitive; `_` and ` ` are read as `-`).
pub fn find(name: &str) -> Result<&'static FunctionSpec, BenchError> {
    let wanted = name.trim().to_ascii_lowercase().replace(['_', ' '], "-");
    catalogue()
        .iter()
        .copied()
        .find(|s| s.name == wanted)
        .ok_or_else(|| BenchError::UnknownFunction {
            name: name.to_string(),
            valid: catalogue()
                .iter()
                .map(|s| s.name)
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// Builds a function by name, in dimension `dim` or its default dimension.
pub fn build(name: &str, dim: Option<usize>) -> Result<BenchFunction, BenchError> {
    let spec = find(name)?;
    spec.build(dim.unwrap_or(spec.dims.default_dim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_name_lists_valid_names() {
        let err = build("not-a-function", None).expect_err("must fail");
        let msg = err.to_string();
        assert!(
            msg.contains("not-a-function") && msg.contains("sphere"),
            "{msg}"
        );
    }

    #[test]
    fn names_are_unique_and_kebab_case() {
        let mut names: Vec<_> = catalogue().iter().map(|s| s.name).collect();
        for n in &names {
            assert!(
                n.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{n}"
            );
        }
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len(), "duplicate registry names");
    }

    #[test]
    fn dim_rules() {
        assert!(
            DimRule::MultipleOf {
                step: 4,
                default: 4
            }
            .check(6)
            .is_err()
        );
        assert!(
            DimRule::MultipleOf {
                step: 4,
                default: 4
            }
            .check(0)
            .is_err()
        );
        assert!(
            DimRule::MultipleOf {
                step: 4,
                default: 4
            }
            .check(8)
            .is_ok()
        );
        assert!(DimRule::Any { min: 1, default: 2 }.check(0).is_err());
        assert!(DimRule::Fixed(2).check(3).is_err());
    }
}
