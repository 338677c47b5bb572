//! Functions with steep ridges or drops (VLSE group 5, functions 33–35).

#[allow(unused_imports)]
use super::{constant_point, cube};
#[allow(unused_imports)]
use crate::{DimRule, FunctionSpec};

/// Registry rows of this group.
pub(crate) static SPECS: &[FunctionSpec] = &[];
