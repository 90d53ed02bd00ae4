//! Draws one chart on a canvas with plotters-canvas: HiDPI-sharp (the canvas is sized in device
//! pixels), lines decimated to the plot's pixel columns, activity markers, reference rules, an
//! optional baseline (compare mode). The shared hover cursor is not drawn here: it is a line
//! over the canvas (`chartdata::cursor_left`), so moving it redraws no chart.

use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use web_sys::HtmlCanvasElement;

pub use crate::chartdata::time_at;
use crate::chartdata::{Chart, MARGIN, MARGIN_RIGHT, X_LABELS, Y_LABELS, decimate, fmt_clock, fmt_num};

#[derive(Clone, Copy, Debug)]
pub struct Style {
    pub dark: bool,
    pub big: bool,
}

const PALETTE: [RGBColor; 4] =
    [RGBColor(31, 119, 180), RGBColor(255, 127, 14), RGBColor(44, 160, 44), RGBColor(148, 103, 189)];
const RULE: RGBColor = RGBColor(214, 39, 40);

fn step_points(seg: Vec<(f64, f64)>) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(seg.len() * 2);
    for p in seg {
        if let Some(&(_, y)) = out.last() {
            out.push((p.0, y));
        }
        out.push(p);
    }
    out
}

pub fn draw(
    canvas: &HtmlCanvasElement,
    chart: &Chart,
    baseline: Option<&Chart>,
    x_end: f64,
    activities: &[f64],
    style: Style,
) -> Result<(), String> {
    let dpr = web_sys::window().map_or(1.0, |w| w.device_pixel_ratio()).max(1.0);
    let css_w = f64::from(canvas.client_width()).max(200.0);
    let css_h = f64::from(canvas.client_height()).max(120.0);
    let (w, h) = ((css_w * dpr) as u32, (css_h * dpr) as u32);
    if canvas.width() != w || canvas.height() != h {
        canvas.set_width(w);
        canvas.set_height(h);
    }
    let px = |css: f64| (css * dpr) as u32;
    let font = |size: f64| (if style.big { size * 1.3 } else { size }) * dpr;
    let (bg, fg, grid) = if style.dark {
        (RGBColor(24, 26, 31), RGBColor(225, 228, 234), RGBColor(58, 62, 70))
    } else {
        (RGBColor(255, 255, 255), RGBColor(30, 32, 36), RGBColor(228, 230, 234))
    };
    let backend = CanvasBackend::with_canvas_object(canvas.clone()).ok_or("the canvas has no 2D context")?;
    let root = backend.into_drawing_area();
    root.fill(&bg).map_err(|e| e.to_string())?;

    let x_end = x_end.max(1.0);
    // Decimate first: the min/max per pixel column keeps every extreme, so the y axis comes
    // from the decimated points and a million-point series is read once per draw.
    let columns = ((css_w - MARGIN - MARGIN_RIGHT - Y_LABELS) * dpr).max(1.0) as usize;
    let decimated = |c: &Chart| -> Vec<Vec<Vec<(f64, f64)>>> {
        c.lines.iter().map(|l| decimate(&c.xs, &l.ys, 0.0, x_end, columns)).collect()
    };
    let lines = decimated(chart);
    let base_lines = baseline.map(decimated).unwrap_or_default();
    let y_max = lines
        .iter()
        .chain(&base_lines)
        .flatten()
        .flatten()
        .map(|p| p.1)
        .chain(chart.rules.iter().map(|r| r.y))
        .filter(|y| y.is_finite())
        .fold(0.0, f64::max);
    let y_top = if y_max <= 0.0 { 1.0 } else { y_max * 1.08 };
    // The x axis counts minutes (hours for runs over 12 h) so that its ticks fall on round times.
    let unit = if x_end > 12.0 * 3600.0 { 3600.0 } else { 60.0 };
    let sc = |seg: Vec<(f64, f64)>| seg.into_iter().map(|(x, y)| (x / unit, y)).collect::<Vec<_>>();
    let mut cc = ChartBuilder::on(&root)
        .margin(px(MARGIN))
        .margin_right(px(MARGIN_RIGHT))
        .x_label_area_size(px(X_LABELS))
        .y_label_area_size(px(Y_LABELS))
        .build_cartesian_2d(0f64..x_end / unit, 0f64..y_top)
        .map_err(|e| e.to_string())?;
    cc.configure_mesh()
        .x_labels(9)
        .y_labels(5)
        .x_label_formatter(&|x| fmt_clock(*x * unit))
        .y_label_formatter(&|y| fmt_num(*y))
        .label_style(("sans-serif", font(11.0)).into_font().color(&fg))
        .axis_style(fg.mix(0.6))
        .bold_line_style(grid)
        .light_line_style(bg)
        .draw()
        .map_err(|e| e.to_string())?;

    for &t in activities {
        cc.draw_series(LineSeries::new([(t / unit, 0.0), (t / unit, y_top)], fg.mix(0.18).stroke_width(px(1.0))))
            .map_err(|e| e.to_string())?;
    }
    if let Some(b) = baseline {
        for segs in base_lines {
            for seg in segs {
                let seg = sc(if b.steps { step_points(seg) } else { seg });
                cc.draw_series(LineSeries::new(seg, fg.mix(0.35).stroke_width(px(1.5)))).map_err(|e| e.to_string())?;
            }
        }
    }
    for r in &chart.rules {
        cc.draw_series(LineSeries::new([(0.0, r.y), (x_end / unit, r.y)], RULE.mix(0.7).stroke_width(px(1.0))))
            .map_err(|e| e.to_string())?
            .label(r.name.clone())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 14, y)], RULE.mix(0.7)));
    }
    for (k, (l, segs)) in chart.lines.iter().zip(lines).enumerate() {
        let color = PALETTE.get(k % PALETTE.len()).copied().unwrap_or(RGBColor(31, 119, 180));
        let mut first = true;
        for seg in segs {
            let seg = sc(if chart.steps { step_points(seg) } else { seg });
            let series =
                cc.draw_series(LineSeries::new(seg, color.stroke_width(px(1.6)))).map_err(|e| e.to_string())?;
            if first {
                series
                    .label(l.name.clone())
                    .legend(move |(x, y)| PathElement::new([(x, y), (x + 14, y)], color.stroke_width(3)));
                first = false;
            }
        }
    }
    if chart.id == "traffic" {
        root.present().map_err(|e| e.to_string())?;
        return Ok(());
    }
    cc.configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(bg.mix(0.85))
        .border_style(grid)
        .label_font(("sans-serif", font(11.0)).into_font().color(&fg))
        .draw()
        .map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())?;
    Ok(())
}
