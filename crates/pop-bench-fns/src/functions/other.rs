//! Other functions (VLSE group 6, functions 36–47).

#[allow(unused_imports)]
use super::{constant_point, cube};
#[allow(unused_imports)]
use crate::{DimRule, FunctionSpec};

/// Registry rows of this group.
pub(crate) static SPECS: &[FunctionSpec] = &[];
