//! Use the shipped policies on your own problem: implement `Objective` (a box and one
//! value-and-gradient method), then run any `Method` through the harness.
//!
//! `cargo run --release -p pop-optim --example own_problem` (builds no burn and no LAPACK)

use anyhow::Context;
use pop_bench_fns::{Bounds, Objective};
use pop_optim::Method;
use pop_optim::harness::{RunOptions, run};
use pop_optim::learned::velo::VeloStyle;
use pop_optim::pop::PopMethod;

/// A shifted, badly scaled quadratic with a wavy term on `[0, 10]^d` (minimum 0 at `x = 3`).
struct MyProblem {
    bounds: Bounds,
}

impl Objective for MyProblem {
    fn name(&self) -> &str {
        "my-problem"
    }

    fn bounds(&self) -> &Bounds {
        &self.bounds
    }

    fn evaluate(&self, x: &[f64], grad: Option<&mut [f64]>) -> f64 {
        let mut f = 0.0;
        let mut g = grad;
        for (i, xi) in x.iter().enumerate() {
            let w = 10f64.powi(i as i32 % 3);
            let u = xi - 3.0;
            f += w * u * u + (1.0 - (2.0 * u).cos());
            if let Some(g) = g.as_deref_mut() {
                g[i] = 2.0 * w * u + 2.0 * (2.0 * u).sin();
            }
        }
        f
    }

    fn f_star(&self) -> Option<f64> {
        Some(0.0)
    }
}

fn main() -> anyhow::Result<()> {
    let d = 6;
    let f = MyProblem {
        bounds: Bounds::cube(d, 0.0, 10.0)?,
    };
    let pop = PopMethod::load("data/pop-quick").context("run from the workspace root")?;
    let velo = VeloStyle::load("data/velo-quick")?;
    let x0 = vec![9.0; d];
    for method in [&pop as &dyn Method, &velo] {
        let rec = run(&f, method, &x0, 100, 42, RunOptions::default())?;
        println!(
            "{:>14}: best {:.3e} after {} calls (NI {:.4}), at x = {:.3?}",
            method.name(),
            rec.final_best(),
            rec.budget,
            rec.normalized_improvement(0.0).unwrap_or(f64::NAN),
            rec.best_x
        );
    }
    Ok(())
}
