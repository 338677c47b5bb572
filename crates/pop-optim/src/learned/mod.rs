//! Learned optimizers with frozen weights. POP's own runtime is [`crate::pop`]; this module holds
//! the competitor, [`velo`] (`velo-style-es`).

pub mod velo;
