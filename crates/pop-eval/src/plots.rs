//! PNG pictures of the results (plotters, bitmap backend, DejaVu Sans embedded).

use std::path::{Path, PathBuf};
use std::sync::Once;

use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::FontStyle;

use super::error::ReproduceError;
use super::summary::{CocoCurve, ConvergenceCurve};

static FONT: Once = Once::new();

fn register_font() {
    FONT.call_once(|| {
        if plotters::style::register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular())
            .is_err()
        {
            tracing::warn!("could not register the embedded font: plots without text");
        }
    });
}

/// The POP variants, drawn thicker than the other methods: `pop` and the paper-faithful
/// `pop-paper`.
fn is_pop(key: &str) -> bool {
    key == "pop" || key == "pop-paper"
}

/// Whether a method's line is dashed (the paper-faithful POP, black like `pop`).
fn is_dashed(key: &str) -> bool {
    key == "pop-paper"
}

/// Line colour of a method: the POP variants black (`pop-paper` dashed, [`is_dashed`]), the
/// others from a fixed palette in config order (without the POP variants, so that adding one
/// keeps the others' colours).
fn color(methods: &[String], key: &str) -> RGBColor {
    const PALETTE: [RGBColor; 22] = [
        RGBColor(31, 119, 180),
        RGBColor(255, 127, 14),
        RGBColor(44, 160, 44),
        RGBColor(214, 39, 40),
        RGBColor(148, 103, 189),
        RGBColor(140, 86, 75),
        RGBColor(227, 119, 194),
        RGBColor(127, 127, 127),
        RGBColor(188, 189, 34),
        RGBColor(23, 190, 207),
        RGBColor(0, 0, 128),
        RGBColor(128, 0, 0),
        RGBColor(0, 128, 128),
        RGBColor(128, 128, 0),
        RGBColor(255, 99, 71),
        RGBColor(60, 179, 113),
        RGBColor(218, 165, 32),
        RGBColor(106, 90, 205),
        RGBColor(199, 21, 133),
        RGBColor(85, 107, 47),
        RGBColor(70, 130, 180),
        RGBColor(210, 105, 30),
    ];
    if is_pop(key) {
        return RGBColor(0, 0, 0);
    }
    let i = methods
        .iter()
        .filter(|m| !is_pop(m))
        .position(|m| m == key)
        .unwrap_or(0);
    PALETTE[i % PALETTE.len()]
}

fn plot_err(path: &Path) -> impl Fn(String) -> ReproduceError + '_ {
    move |reason| ReproduceError::Plot {
        path: path.to_path_buf(),
        reason,
    }
}

/// COCO-style curves of one suite: fraction of (function, start, target) triples reached.
pub fn coco(
    path: &Path,
    suite: &str,
    curves: &[&CocoCurve],
    methods: &[String],
) -> Result<(), ReproduceError> {
    register_font();
    let err = plot_err(path);
    let tmp = tmp_png(path);
    let max_t = curves.iter().map(|c| c.budget).max().unwrap_or(2).max(2);
    {
        let root = BitMapBackend::new(&tmp, (1000, 650)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!("{suite}: fraction of (function, start, target) triples solved"),
                ("sans-serif", 22),
            )
            .margin(12)
            .x_label_area_size(45)
            .y_label_area_size(55)
            .build_cartesian_2d((1f64..max_t as f64).log_scale(), 0f64..1f64)
            .map_err(|e| err(e.to_string()))?;
        chart
            .configure_mesh()
            .x_desc("evaluations")
            .y_desc("fraction solved")
            .label_style(("sans-serif", 14))
            .draw()
            .map_err(|e| err(e.to_string()))?;
        for c in curves {
            let col = color(methods, &c.method);
            let style = col.stroke_width(if is_pop(&c.method) { 3 } else { 2 });
            let points = c
                .fraction
                .iter()
                .enumerate()
                .map(|(t, f)| ((t + 1) as f64, *f));
            let series = if is_dashed(&c.method) {
                chart.draw_series(DashedLineSeries::new(points, 12, 6, style))
            } else {
                chart.draw_series(LineSeries::new(points, style))
            }
            .map_err(|e| err(e.to_string()))?
            .label(c.method.clone());
            let mark = col.stroke_width(3);
            if is_dashed(&c.method) {
                series.legend(move |(x, y)| {
                    DashedPathElement::new(vec![(x, y), (x + 18, y)], 5, 3, mark)
                });
            } else {
                series.legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], mark));
            }
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .label_font(("sans-serif", 13))
            .background_style(WHITE.mix(0.6))
            .border_style(BLACK)
            .draw()
            .map_err(|e| err(e.to_string()))?;
        root.present().map_err(|e| err(e.to_string()))?;
    }
    std::fs::rename(&tmp, path).map_err(super::error::io_err(path))
}

/// Convergence curves on a few functions (one panel each): median normalised regret.
pub fn convergence(
    path: &Path,
    functions: &[String],
    curves: &[ConvergenceCurve],
    methods: &[String],
) -> Result<(), ReproduceError> {
    register_font();
    let err = plot_err(path);
    let tmp = tmp_png(path);
    let cols = 2usize;
    let rows = functions.len().div_ceil(cols).max(1);
    {
        let root = BitMapBackend::new(&tmp, (1200, 420 * rows as u32)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
        let panels = root.split_evenly((rows, cols));
        for (f, area) in functions.iter().zip(panels.iter()) {
            let mine: Vec<&ConvergenceCurve> = curves.iter().filter(|c| &c.function == f).collect();
            let max_t = mine
                .iter()
                .map(|c| c.median.len())
                .max()
                .unwrap_or(2)
                .max(2);
            let floor = 1e-10;
            let mut chart = ChartBuilder::on(area)
                .caption(format!("{f}: median normalised regret"), ("sans-serif", 18))
                .margin(10)
                .x_label_area_size(35)
                .y_label_area_size(60)
                .build_cartesian_2d(1f64..max_t as f64, (floor..1.5f64).log_scale())
                .map_err(|e| err(e.to_string()))?;
            chart
                .configure_mesh()
                .x_desc("evaluations")
                .label_style(("sans-serif", 12))
                .y_label_formatter(&|v| format!("{v:.0e}"))
                .draw()
                .map_err(|e| err(e.to_string()))?;
            for c in mine {
                let col = color(methods, &c.method);
                let style = col.stroke_width(if is_pop(&c.method) { 3 } else { 1 });
                let points = c
                    .median
                    .iter()
                    .enumerate()
                    .filter(|(_, v)| v.is_finite())
                    .map(|(t, v)| ((t + 1) as f64, v.clamp(floor, 1.5)));
                let series = if is_dashed(&c.method) {
                    chart.draw_series(DashedLineSeries::new(points, 12, 6, style))
                } else {
                    chart.draw_series(LineSeries::new(points, style))
                }
                .map_err(|e| err(e.to_string()))?
                .label(c.method.clone());
                let mark = col.stroke_width(3);
                if is_dashed(&c.method) {
                    series.legend(move |(x, y)| {
                        DashedPathElement::new(vec![(x, y), (x + 16, y)], 5, 3, mark)
                    });
                } else {
                    series.legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], mark));
                }
            }
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::LowerLeft)
                .label_font(("sans-serif", 10))
                .background_style(WHITE.mix(0.5))
                .border_style(BLACK)
                .draw()
                .map_err(|e| err(e.to_string()))?;
        }
        root.present().map_err(|e| err(e.to_string()))?;
    }
    std::fs::rename(&tmp, path).map_err(super::error::io_err(path))
}

fn tmp_png(path: &Path) -> PathBuf {
    // The bitmap encoder picks the format from the extension: keep `.png` last.
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{stem}.tmp.png"))
}
