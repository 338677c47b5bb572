//! Plate-shaped functions (VLSE group 3, functions 24–28).

#[allow(unused_imports)]
use super::{constant_point, cube};
#[allow(unused_imports)]
use crate::{DimRule, FunctionSpec};

/// Registry rows of this group.
pub(crate) static SPECS: &[FunctionSpec] = &[];
