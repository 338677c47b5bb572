//! Meta-training of the `velo-style-es` update rule ([`pop_optim::learned::velo`]) with antithetic
//! evolution strategies on batches of prior functions — the recipe of VeLO and its cheaper
//! successors, trained on POP's prior with POP's budget.
//!
//! # One iteration `k`
//! 1. `functions_per_iteration` training functions (the training split, a seed-dependent offset
//!    plus `k·N`) and uniform starts (seed derived from `(seed, "es-starts", k)`).
//! 2. `pairs` Gaussian directions `ε_p` (seeds derived from `(seed, "es-noise", k)` and `p`); each
//!    pair evaluates `θ + σε_p` and `θ − σε_p` on the *same* functions and starts (common random
//!    numbers). Members run in parallel with rayon; results are collected in member order.
//! 3. The meta-loss of a parameter vector is the mean over the functions of the normalised regret
//!    averaged over the whole unroll, `(1/T) Σ_t (b_t − f*)/(f(x_0) − f*)` (clamped to `[0, 1]`),
//!    with the rule run by the evaluation harness for `horizon` oracle calls.
//! 4. The gradient estimate `ĝ = 1/(2σP) Σ_p (w⁺_p − w⁻_p) ε_p`, `w` the raw losses or their
//!    centred ranks ([`Fitness`]), summed in a fixed order; Adam on `θ`.
//!
//! Full unrolls of `horizon` steps are used (T = 50 is short and cheap): persistent ES over
//! truncated unrolls is **not** implemented.
//!
//! The module is split by concern: [`config`] (the [`EsConfig`] and its presets), [`estimator`]
//! (perturbations, the antithetic gradient, the meta-loss) and [`trainer`] (the [`EsTrainer`] on
//! its run folder).
//!
//! # Run folder
//! * `config.json`: the [`EsConfig`];
//! * `metrics.jsonl`: one [`EsMetrics`] line per iteration;
//! * `best/velo.json`: weights of the best validation NI (the initial rule included);
//! * `checkpoint/state.json`: `θ`, Adam's moments (f64 bit patterns, so that resume is exact), the
//!   next iteration and the best NI. All randomness derives from `(seed, iteration)`, so a
//!   resumed run repeats the straight run bit for bit, whatever the thread count.

pub mod config;
pub mod estimator;
pub mod trainer;

pub use config::{ES_PAPER, ES_PRESETS, ES_QUICK, ES_SMOKE, EsConfig, Fitness};
pub use estimator::{EsEstimate, antithetic_gradient, perturbations, rule_of, unroll_regret};
pub use trainer::{EsMetrics, EsTrainer, EsValidation};
