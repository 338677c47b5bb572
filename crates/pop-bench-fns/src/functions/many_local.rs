//! Many local minima (VLSE group 1, functions 1–16).

#[allow(unused_imports)]
use super::{constant_point, cube};
#[allow(unused_imports)]
use crate::{DimRule, FunctionSpec};

/// Registry rows of this group.
pub(crate) static SPECS: &[FunctionSpec] = &[];
