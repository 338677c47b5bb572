//! A look at the prior: a PNG grid of 2-D samples per family (GP-RBF, GP-Matérn, quadratic,
//! mixture), as filled contours with the stored minimiser marked.
//!
//! `cargo run --release -p pop-prior --example gallery -- --out prior-gallery.png --seed 0`

use std::error::Error;

use plotters::prelude::*;
use plotters::style::FontStyle;
use pop_bench_fns::Objective;
use pop_prior::rng::child_seed;
use pop_prior::{KernelKind, KernelWeights, PriorConfig, PriorSample};

const COLS: usize = 4;
const PANEL: u32 = 240;
const TITLE: u32 = 22;
const GAP: u32 = 10;
const LEVELS: f64 = 14.0;
const FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

struct Args {
    out: String,
    seed: u64,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        out: "prior-gallery.png".into(),
        seed: 0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--out" => args.out = it.next().ok_or("--out needs a path")?,
            "--seed" => {
                let v = it.next().ok_or("--seed needs a number")?;
                args.seed = v.parse().map_err(|e| format!("--seed {v}: {e}"))?;
            }
            "-h" | "--help" => {
                println!("usage: gallery [--out PATH] [--seed N]");
                std::process::exit(0);
            }
            other => {
                return Err(format!(
                    "unknown argument `{other}` (usage: gallery [--out PATH] [--seed N])"
                ));
            }
        }
    }
    Ok(args)
}

/// Registers DejaVu Sans when it exists; returns whether text can be drawn.
fn register_font() -> bool {
    match std::fs::read(FONT) {
        Ok(bytes) => {
            let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
            plotters::style::register_font("sans-serif", FontStyle::Normal, bytes).is_ok()
        }
        Err(_) => false,
    }
}

/// A viridis-like colour map on `[0, 1]`.
fn colour(t: f64) -> RGBColor {
    const STOPS: [(f64, f64, f64); 6] = [
        (68.0, 1.0, 84.0),
        (65.0, 68.0, 135.0),
        (42.0, 120.0, 142.0),
        (34.0, 168.0, 132.0),
        (122.0, 209.0, 81.0),
        (253.0, 231.0, 37.0),
    ];
    let t = t.clamp(0.0, 1.0) * (STOPS.len() - 1) as f64;
    let i = (t.floor() as usize).min(STOPS.len() - 2);
    let f = t - i as f64;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    let lerp = |x: f64, y: f64| (x + f * (y - x)).round() as u8;
    RGBColor(lerp(a.0, b.0), lerp(a.1, b.1), lerp(a.2, b.2))
}

fn families() -> Vec<(&'static str, PriorConfig)> {
    let base = PriorConfig::default();
    let gp = PriorConfig {
        p_gp_only: 1.0,
        p_quadratic_only: 0.0,
        p_mixture: 0.0,
        ..base.clone()
    };
    vec![
        (
            "GP-RBF",
            PriorConfig {
                kernel_weights: KernelWeights::only(KernelKind::Rbf),
                ..gp.clone()
            },
        ),
        (
            "GP-Matern",
            PriorConfig {
                kernel_weights: KernelWeights {
                    rbf: 0.0,
                    matern52: 2.0,
                    matern32: 1.0,
                },
                ..gp
            },
        ),
        (
            "quadratic",
            PriorConfig {
                p_gp_only: 0.0,
                p_quadratic_only: 1.0,
                p_mixture: 0.0,
                p_minimizer_outside: 0.25,
                ..base.clone()
            },
        ),
        (
            "mixture",
            PriorConfig {
                p_gp_only: 0.0,
                p_quadratic_only: 0.0,
                p_mixture: 1.0,
                ..base
            },
        ),
    ]
}

fn main() -> Result<(), Box<dyn Error>> {
    let args = parse_args()?;
    let text = register_font();
    if !text {
        eprintln!("note: {FONT} not found or unreadable; drawing without text");
    }
    let fams = families();
    let width = COLS as u32 * (PANEL + GAP) + GAP;
    let height = fams.len() as u32 * (PANEL + TITLE + GAP) + GAP;
    let root = BitMapBackend::new(&args.out, (width, height)).into_drawing_area();
    root.fill(&WHITE)?;
    for (row, (label, config)) in fams.iter().enumerate() {
        for col in 0..COLS {
            let seed = child_seed(args.seed, (row * COLS + col) as u64);
            let f = PriorSample::generate(seed, 2, config)?;
            let x0 = (GAP + col as u32 * (PANEL + GAP)) as i32;
            let y0 = (GAP + row as u32 * (PANEL + TITLE + GAP) + TITLE) as i32;
            draw_panel(&root, &f, x0, y0)?;
            if text {
                let title = match f.kernel() {
                    Some(k) => format!(
                        "{label} ({}{}) ",
                        k.kind().name(),
                        if k.is_ard() { ", ARD" } else { "" }
                    ),
                    None => format!("{label} "),
                };
                let style = ("sans-serif", 13).into_font().color(&BLACK);
                root.draw(&Text::new(title, (x0, y0 - TITLE as i32 + 4), style))?;
            }
        }
    }
    root.present()?;
    println!("wrote {}", args.out);
    Ok(())
}

fn draw_panel<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    f: &PriorSample,
    x0: i32,
    y0: i32,
) -> Result<(), Box<dyn Error>>
where
    DB::ErrorType: 'static,
{
    let n = PANEL as usize;
    // Pixel (i, j) ↦ z = (−1 + 2(i + ½)/n, 1 − 2(j + ½)/n).
    let z = |i: usize| -1.0 + 2.0 * (i as f64 + 0.5) / n as f64;
    let mut vals = vec![0.0; n * n];
    for j in 0..n {
        for i in 0..n {
            vals[j * n + i] = f.value(&[z(i), -z(j)])?;
        }
    }
    let fs = f.f_star().unwrap_or(f64::NAN);
    let lo = vals.iter().copied().fold(fs, f64::min);
    let hi = vals.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let span = if hi > lo { hi - lo } else { 1.0 };
    for j in 0..n {
        for i in 0..n {
            let t = (vals[j * n + i] - lo) / span;
            let level = (t * LEVELS).floor().min(LEVELS - 1.0) / (LEVELS - 1.0);
            root.draw_pixel((x0 + i as i32, y0 + j as i32), &colour(level))?;
        }
    }
    let x = f.minimizer();
    let px = x0 + ((x[0] + 1.0) / 2.0 * n as f64).round() as i32;
    let py = y0 + ((1.0 - x[1]) / 2.0 * n as f64).round() as i32;
    let red = RGBColor(230, 30, 30);
    root.draw(&Circle::new((px, py), 7, red.stroke_width(2)))?;
    root.draw(&PathElement::new(
        vec![(px - 10, py), (px + 10, py)],
        WHITE.stroke_width(1),
    ))?;
    root.draw(&PathElement::new(
        vec![(px, py - 10), (px, py + 10)],
        WHITE.stroke_width(1),
    ))?;
    root.draw(&Rectangle::new(
        [(x0, y0), (x0 + n as i32, y0 + n as i32)],
        BLACK.stroke_width(1),
    ))?;
    Ok(())
}
