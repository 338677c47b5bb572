//! `health.png` of a PPO run folder: per update the approximate KL, the clip fraction, the
//! policy's log σ, the critic's explained variance, the learning rate, and training/validation
//! NI, drawn from `metrics.jsonl` (plotters, DejaVu Sans embedded).

use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow};
use plotters::prelude::*;
use plotters::style::FontStyle;
use pop_train::UpdateMetrics;

/// File name of the plot inside the run folder.
pub const HEALTH_PNG: &str = "health.png";

/// Reads `metrics.jsonl` of `run` and writes `run/health.png` (atomically: a temporary file in the
/// folder, renamed). Returns the plot's path.
pub fn write(run: &Path, target_kl: Option<f64>) -> anyhow::Result<PathBuf> {
    let metrics_path = run.join("metrics.jsonl");
    let text = std::fs::read_to_string(&metrics_path)
        .with_context(|| format!("reading {}", metrics_path.display()))?;
    let lines: Vec<UpdateMetrics> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()
        .with_context(|| format!("parsing {}", metrics_path.display()))?;
    let path = run.join(HEALTH_PNG);
    draw(&path, &lines, target_kl)?;
    Ok(path)
}

/// A named, coloured line of `(update, value)` points.
type Series = (&'static str, RGBColor, Vec<(f64, f64)>);

/// One panel: a title, the series and an optional horizontal reference.
struct Panel {
    title: &'static str,
    series: Vec<Series>,
    reference: Option<f64>,
}

fn draw(path: &Path, m: &[UpdateMetrics], target_kl: Option<f64>) -> anyhow::Result<()> {
    if plotters::style::register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular())
        .is_err()
    {
        tracing::warn!("could not register the embedded font: plot without text");
    }
    let x = |u: &UpdateMetrics| (u.update + 1) as f64;
    let line = |f: &dyn Fn(&UpdateMetrics) -> f64| -> Vec<(f64, f64)> {
        m.iter()
            .map(|u| (x(u), f(u)))
            .filter(|(_, y)| y.is_finite())
            .collect()
    };
    let points = |f: &dyn Fn(&UpdateMetrics) -> Option<f64>| -> Vec<(f64, f64)> {
        m.iter().filter_map(|u| f(u).map(|y| (x(u), y))).collect()
    };
    let blue = RGBColor(31, 119, 180);
    let orange = RGBColor(255, 127, 14);
    let green = RGBColor(44, 160, 44);
    let red = RGBColor(214, 39, 40);
    let panels = [
        Panel {
            title: "approximate KL (old ‖ new)",
            series: vec![("approx KL", blue, line(&|u| u.losses.approx_kl))],
            reference: target_kl,
        },
        Panel {
            title: "clip fraction",
            series: vec![("clip fraction", blue, line(&|u| u.losses.clip_fraction))],
            reference: None,
        },
        Panel {
            title: "policy log σ",
            series: vec![("log σ", blue, line(&|u| u.log_std))],
            reference: None,
        },
        Panel {
            title: "critic explained variance",
            series: vec![(
                "explained variance",
                blue,
                line(&|u| u.losses.explained_variance),
            )],
            reference: Some(0.0),
        },
        Panel {
            title: "learning rate",
            series: vec![("lr", blue, line(&|u| u.lr))],
            reference: None,
        },
        Panel {
            title: "NI: training batch, validation",
            series: vec![
                ("train NI", blue, line(&|u| u.train_ni)),
                ("train anytime NI", orange, line(&|u| u.train_anytime_ni)),
                ("validation NI", green, points(&|u| u.val_ni)),
                (
                    "validation NI, multimodal",
                    red,
                    points(&|u| u.val_ni_multimodal),
                ),
            ],
            reference: None,
        },
    ];
    let err = |e: String| anyhow!("drawing {}: {e}", path.display());
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    // The bitmap encoder picks the format from the extension: keep `.png` last.
    let tmp = path.with_file_name(format!(".{stem}.{}.tmp.png", std::process::id()));
    {
        let root = BitMapBackend::new(&tmp, (1200, 1050)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
        let root = root
            .titled("PPO health per update", ("sans-serif", 22))
            .map_err(|e| err(e.to_string()))?;
        let x_max = m.iter().map(x).fold(1.0_f64, f64::max).max(2.0);
        for (panel, area) in panels.iter().zip(root.split_evenly((3, 2))) {
            let ys = panel
                .series
                .iter()
                .flat_map(|(_, _, pts)| pts.iter().map(|p| p.1))
                .chain(panel.reference);
            let (lo, hi) = ys.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), y| {
                (a.min(y), b.max(y))
            });
            let (lo, hi) = if lo.is_finite() && hi.is_finite() {
                let pad = ((hi - lo) * 0.05).max(1e-9);
                (lo - pad, hi + pad)
            } else {
                (0.0, 1.0)
            };
            let mut chart = ChartBuilder::on(&area)
                .caption(panel.title, ("sans-serif", 16))
                .margin(10)
                .x_label_area_size(30)
                .y_label_area_size(60)
                .build_cartesian_2d(1.0..x_max, lo..hi)
                .map_err(|e| err(e.to_string()))?;
            chart
                .configure_mesh()
                .x_desc("update")
                .label_style(("sans-serif", 12))
                .draw()
                .map_err(|e| err(e.to_string()))?;
            if let Some(r) = panel.reference {
                chart
                    .draw_series(LineSeries::new(
                        vec![(1.0, r), (x_max, r)],
                        BLACK.mix(0.4).stroke_width(1),
                    ))
                    .map_err(|e| err(e.to_string()))?;
            }
            let many = panel.series.len() > 1;
            for (name, col, pts) in &panel.series {
                let col = *col;
                let drawn = if pts.len() <= 60 && name.starts_with("validation") {
                    chart
                        .draw_series(pts.iter().map(|p| Circle::new(*p, 3, col.filled())))
                        .map_err(|e| err(e.to_string()))?
                } else {
                    chart
                        .draw_series(LineSeries::new(pts.iter().copied(), col.stroke_width(1)))
                        .map_err(|e| err(e.to_string()))?
                };
                if many {
                    drawn.label(*name).legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 16, y)], col.stroke_width(3))
                    });
                }
            }
            if many {
                chart
                    .configure_series_labels()
                    .position(SeriesLabelPosition::LowerRight)
                    .label_font(("sans-serif", 11))
                    .background_style(WHITE.mix(0.7))
                    .border_style(BLACK)
                    .draw()
                    .map_err(|e| err(e.to_string()))?;
            }
        }
        root.present().map_err(|e| err(e.to_string()))?;
    }
    std::fs::rename(&tmp, path).with_context(|| format!("renaming onto {}", path.display()))?;
    Ok(())
}
