//! The fixed splits of the prior: a training stream and validation/test sets.
//!
//! Function `index` of split `s` in dimension `d` has the seed
//! `child_seed(child_seed(s.master_seed(), d), index)` ([`function_seed`]), so any function
//! can be regenerated alone. The master seeds are constants of this crate: changing them (or
//! the prior's default config) changes the benchmark, and the tests pin a few values.

use crate::rng::child_seed;

/// Master seed of the training stream (ASCII "POPTRAIN").
pub const TRAIN_MASTER_SEED: u64 = 0x504F_5054_5241_494E;
/// Master seed of the validation sets (ASCII "POPVALID").
pub const VALIDATION_MASTER_SEED: u64 = 0x504F_5056_414C_4944;
/// Master seed of the test sets (ASCII "POP_TEST").
pub const TEST_MASTER_SEED: u64 = 0x504F_505F_5445_5354;

/// Functions per validation or test set.
pub const EVAL_SET_SIZE: usize = 1024;

/// The dimensions with validation and test sets.
pub const EVAL_DIMS: [usize; 4] = [2, 8, 16, 32];

/// A split of the prior.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Split {
    /// The training stream (unbounded).
    Train,
    /// The validation sets (1024 functions per dimension).
    Validation,
    /// The test sets (1024 functions per dimension).
    Test,
}

impl Split {
    /// The split's master seed.
    pub const fn master_seed(self) -> u64 {
        match self {
            Self::Train => TRAIN_MASTER_SEED,
            Self::Validation => VALIDATION_MASTER_SEED,
            Self::Test => TEST_MASTER_SEED,
        }
    }

    /// `"train"`, `"validation"` or `"test"`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Train => "train",
            Self::Validation => "validation",
            Self::Test => "test",
        }
    }
}

/// The seed of function `index` of `split` in dimension `d`.
pub const fn function_seed(split: Split, d: usize, index: u64) -> u64 {
    child_seed(child_seed(split.master_seed(), d as u64), index)
}
