//! Writes the shared start points of the VLSE-47 suite as JSON, exactly those the runner uses
//! ([`pop_eval::runner::start_points_of`]), so that reference scripts in other languages start
//! from the same points as `pop-reproduce`.
//!
//! `cargo run --release -p pop-eval --example export_starts -- [--config quick] [--starts 20] [--out FILE]`
//!
//! Output (stdout without `--out`): `{"function": [[x0 in the objective's own coordinates], …], …}`,
//! one list of `starts` points per function, in the suite's order (keys sorted by the JSON
//! writer). `--config` is a preset (`ci`, `quick`, `full`, `paper`) or a TOML file; its `seed`
//! decides the points, its `starts` is the default count.

use std::process::ExitCode;

use pop_eval::{ReproduceConfig, SuiteConfig, runner, suites};

fn run(args: &[String]) -> Result<(), String> {
    let mut config = "quick".to_string();
    let mut starts: Option<usize> = None;
    let mut out: Option<String> = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |flag: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match a.as_str() {
            "--config" => config = value("--config")?,
            "--starts" => {
                let v = value("--starts")?;
                starts = Some(
                    v.parse()
                        .map_err(|_| format!("--starts `{v}` is not a positive integer"))?,
                );
            }
            "--out" => out = Some(value("--out")?),
            other => {
                return Err(format!(
                    "unknown argument `{other}`; usage: export_starts [--config PRESET|FILE] [--starts N] [--out FILE]"
                ));
            }
        }
    }
    let mut cfg = ReproduceConfig::from_preset_or_file(&config).map_err(|e| e.to_string())?;
    if let Some(n) = starts {
        cfg.starts = n;
    }
    cfg.validate().map_err(|e| e.to_string())?;
    let suite = suites::build(&SuiteConfig {
        name: "vlse47".into(),
        functions: None,
        only: None,
    })
    .map_err(|e| e.to_string())?;
    let points = runner::start_points_of(&cfg, &suite);
    let map: serde_json::Map<String, serde_json::Value> = suite
        .function_names
        .iter()
        .zip(points)
        .map(|(name, p)| (name.clone(), serde_json::json!(p)))
        .collect();
    let text = serde_json::to_string(&serde_json::Value::Object(map)).map_err(|e| e.to_string())?;
    match out {
        Some(path) => std::fs::write(&path, text + "\n").map_err(|e| format!("{path}: {e}"))?,
        None => {
            #[allow(clippy::print_stdout)]
            {
                println!("{text}");
            }
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("error: {msg}");
            }
            ExitCode::from(2)
        }
    }
}
