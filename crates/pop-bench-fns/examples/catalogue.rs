//! Prints the VLSE-47 suite as CSV: `name,dim,lower,upper,f_star` (bounds as `;`-separated lists),
//! one row per function in its default dimension. `--all` adds the registered variants.
//!
//! `cargo run --release -p pop-bench-fns --example catalogue [-- --all]`

use std::process::ExitCode;

use pop_bench_fns::{Objective, registry};

fn join(v: &[f64]) -> String {
    v.iter()
        .map(|x| format!("{x}"))
        .collect::<Vec<_>>()
        .join(";")
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let all = match args.as_slice() {
        [] => false,
        [a] if a == "--all" => true,
        _ => {
            eprintln!("usage: catalogue [--all]");
            return ExitCode::from(2);
        }
    };
    println!("name,dim,lower,upper,f_star");
    for &spec in registry::catalogue() {
        if !(all || spec.in_suite) {
            continue;
        }
        let f = match spec.build_default() {
            Ok(f) => f,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        };
        let f_star = f.f_star().map(|v| format!("{v}")).unwrap_or_default();
        println!(
            "{},{},{},{},{}",
            spec.name,
            f.dim(),
            join(f.bounds().lower()),
            join(f.bounds().upper()),
            f_star
        );
    }
    ExitCode::SUCCESS
}
