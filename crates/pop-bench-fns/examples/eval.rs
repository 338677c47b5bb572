//! Evaluates one benchmark function at one point and prints `{"value": v, "gradient": [..]}`.
//! The dimension is the number of coordinates given; every coordinate must be a finite number
//! (`NaN` or `inf` is an error, exit status 2).
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
        .map(|(i, s)| match s.trim().parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            Ok(_) => Err(format!(
                "coordinate {} is `{s}`: every coordinate must be a finite number",
                i + 1
            )),
            Err(_) => Err(format!("coordinate {} is not a number: `{s}`", i + 1)),
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

#[cfg(test)]
mod tests {
    use super::run;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| (*s).to_string()).collect()
    }

    #[test]
    fn non_finite_coordinates_are_errors() {
        for point in ["NaN,1", "1,inf", "-inf,2", "nan,nan"] {
            let e = run(&args(&["branin", point])).expect_err(point);
            assert!(e.contains("finite number"), "{point}: {e}");
        }
        let e = run(&args(&["branin", "x,1"])).expect_err("not a number");
        assert!(e.contains("not a number"), "{e}");
        let ok = run(&args(&["branin", "3.14,2.27"])).expect("finite point");
        assert!(ok.contains("\"value\":0.39"), "{ok}");
    }
}
