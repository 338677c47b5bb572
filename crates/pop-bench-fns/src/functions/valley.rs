//! Valley-shaped functions (VLSE group 4, functions 29–32).

#[allow(unused_imports)]
use super::{constant_point, cube};
#[allow(unused_imports)]
use crate::{DimRule, FunctionSpec};

/// Registry rows of this group.
pub(crate) static SPECS: &[FunctionSpec] = &[];
