//! A long-running evaluator for reference scripts in other languages: builds one benchmark function
//! and answers one point per line.
//!
//! `cargo run --release -p pop-bench-fns --example eval_stdio -- NAME [DIM]`
//!
//! * On startup it prints one header line `bounds l1,…,ld;u1,…,ud;f_star`.
//! * Then, for every line of stdin holding `x1,…,xd` (comma-separated, in the function's own
//!   box), it prints `value,g1,…,gd` and flushes: the value and the exact gradient `∂f/∂x`,
//!   every number in shortest round-trip form (`{:e}`), non-finite numbers as `nan`, `inf`,
//!   `-inf`. Empty lines are ignored; EOF ends the program.
//! * A malformed line (a coordinate that is not a finite number, a wrong count) prints
//!   `error: …` on stdout (so the caller never blocks) and the program
//!   goes on.
//!
//! Without `DIM` the function's evaluation default dimension is used (the one of the VLSE-47
//! suite). An unknown name or an invalid dimension prints the valid choices and exits with 2.
//! Used by `crates/pop-baselines/tests/reference/strength/`.

use std::io::{BufRead, BufWriter, Write};
use std::process::ExitCode;

use pop_bench_fns::{Objective, registry};

fn num(v: f64) -> String {
    if v.is_nan() {
        "nan".into()
    } else if v.is_infinite() {
        if v > 0.0 { "inf".into() } else { "-inf".into() }
    } else {
        format!("{v:e}")
    }
}

fn join(v: &[f64]) -> String {
    v.iter().map(|&x| num(x)).collect::<Vec<_>>().join(",")
}

fn parse_point(line: &str, d: usize) -> Result<Vec<f64>, String> {
    let x = line
        .split(',')
        .enumerate()
        .map(|(i, s)| match s.trim().parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            Ok(_) => Err(format!("coordinate {} is not finite: `{s}`", i + 1)),
            Err(_) => Err(format!("coordinate {} is not a number: `{s}`", i + 1)),
        })
        .collect::<Result<Vec<f64>, String>>()?;
    if x.len() != d {
        return Err(format!("expected {d} coordinates, got {}", x.len()));
    }
    Ok(x)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (name, dim) = match args.as_slice() {
        [name] => (name, None),
        [name, d] => match d.parse::<usize>() {
            Ok(d) => (name, Some(d)),
            Err(_) => {
                eprintln!("error: dimension `{d}` is not a positive integer");
                return ExitCode::from(2);
            }
        },
        _ => {
            eprintln!("usage: eval_stdio NAME [DIM]   (e.g. `eval_stdio branin`)");
            return ExitCode::from(2);
        }
    };
    let f = match registry::build(name, dim) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let d = f.dim();
    let b = f.bounds();
    let f_star = f.f_star().unwrap_or(f64::NAN);
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let header = format!(
        "bounds {};{};{}",
        join(b.lower()),
        join(b.upper()),
        num(f_star)
    );
    if writeln!(out, "{header}")
        .and_then(|()| out.flush())
        .is_err()
    {
        return ExitCode::FAILURE;
    }
    let mut g = vec![0.0; d];
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else {
            return ExitCode::FAILURE;
        };
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let reply = match parse_point(line, d) {
            Ok(x) => {
                g.iter_mut().for_each(|gi| *gi = 0.0);
                let v = f.evaluate(&x, Some(&mut g));
                format!("{},{}", num(v), join(&g))
            }
            Err(e) => format!("error: {e}"),
        };
        if writeln!(out, "{reply}").and_then(|()| out.flush()).is_err() {
            // The reader went away: nothing left to do.
            return ExitCode::SUCCESS;
        }
    }
    ExitCode::SUCCESS
}
