//! Evaluates one benchmark function at one point and prints `{"value": v, "gradient": [..]}`.
//! The dimension is the number of coordinates given.
//!
//! `cargo run --release -p pop-bench-fns --example eval -- NAME x1,x2,...`

use std::process::ExitCode;

use pop_bench_fns::{Objective, registry};

fn run(args: &[String]) -> Result<String, String> {
    let [name, point] = args else {
        return Err("usage: eval NAME x1,x2,...   (e.g. `eval branin 3.14,2.27`)".into());
    };
    let x = point
        .split(',')
        .enumerate()
        .map(|(i, s)| {
            s.trim()
                .parse::<f64>()
                .map_err(|_| format!("coordinate {} is not a number: `{s}`", i + 1))
        })
        .collect::<Result<Vec<f64>, String>>()?;
    let spec = registry::find(name).map_err(|e| e.to_string())?;
    let f = spec.build(x.len()).map_err(|e| {
        format!(
            "{e} (you gave {} coordinates; its default dimension is {})",
            x.len(),
            spec.dims.default_dim()
        )
    })?;
    if !f.bounds().contains(&x) {
        eprintln!(
            "warning: {x:?} lies outside the domain [{:?}, {:?}]",
            f.bounds().lower(),
            f.bounds().upper()
        );
    }
    let mut g = vec![0.0; x.len()];
    let v = f
        .value_and_gradient(&x, &mut g)
        .map_err(|e| e.to_string())?;
    Ok(serde_json::json!({ "value": v, "gradient": g }).to_string())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(msg) => {
            eprintln!("error: {msg}");
            ExitCode::from(2)
        }
    }
}
