//! Draws one chart on a canvas with plotters-canvas: HiDPI-sharp (the canvas is sized in device
//! pixels), lines decimated to the plot's pixel columns, activity markers, dashed reference
//! rules, an optional baseline (compare mode), in `chartdata`'s palette. No legend is drawn on
//! the canvas (it would cover data): the page shows it beside the plot (`Chart::legend`). The
//! shared cursor, the playback veil and the markers' labels are not drawn here either: they are
//! elements over the canvas placed through the CSSOM (`chartdata::cursor_left`), so moving them
//! redraws no chart.

use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use web_sys::HtmlCanvasElement;

pub use crate::chartdata::time_at;
use crate::chartdata::{
    ActivityMark, Chart, MARGIN, MARGIN_RIGHT, Rgb, X_LABELS, Y_LABELS, decimate, fmt_clock, fmt_num, palette,
};

#[derive(Clone, Copy, Debug, Default)]
pub struct Style {
    pub dark: bool,
    pub big: bool,
    /// The presenter view: thicker lines, larger labels, stronger grid and text.
    pub presenter: bool,
}

fn rgb(c: Rgb) -> RGBColor {
    RGBColor(c.0, c.1, c.2)
}

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
    activities: &[ActivityMark],
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
    let scale = match (style.big, style.presenter) {
        (false, false) => 1.0,
        (true, false) | (false, true) => 1.3,
        (true, true) => 1.5,
    };
    let font = |size: f64| size * scale * dpr;
    let pal = palette(style.dark);
    let (bg, mut fg, mut grid) = (rgb(pal.background), rgb(pal.text), rgb(pal.grid));
    if style.presenter {
        // High contrast for a projector: pure text, a grid that survives washing out.
        (fg, grid) = if style.dark {
            (RGBColor(255, 255, 255), RGBColor(85, 90, 100))
        } else {
            (RGBColor(0, 0, 0), RGBColor(200, 203, 210))
        };
    }
    let line_width = if style.presenter { 2.6 } else { 1.6 };
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

    // Activity markers: dashed, so they read as marks rather than data; the page labels them.
    for a in activities {
        let t = a.at_secs / unit;
        cc.draw_series(DashedLineSeries::new(
            [(t, 0.0), (t, y_top)],
            px(4.0),
            px(3.0),
            fg.mix(0.45).stroke_width(px(1.0)),
        ))
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
    let rule = rgb(pal.rule);
    for r in &chart.rules {
        cc.draw_series(DashedLineSeries::new(
            [(0.0, r.y), (x_end / unit, r.y)],
            px(7.0),
            px(4.0),
            rule.stroke_width(px(if style.presenter { 2.0 } else { 1.2 })),
        ))
        .map_err(|e| e.to_string())?;
    }
    // Lines in the legend's order, the first on top.
    for (k, segs) in lines.into_iter().enumerate().rev() {
        let color = pal.lines.get(k % pal.lines.len()).copied().map_or(fg, rgb);
        for seg in segs {
            let seg = sc(if chart.steps { step_points(seg) } else { seg });
            cc.draw_series(LineSeries::new(seg, color.stroke_width(px(line_width)))).map_err(|e| e.to_string())?;
        }
    }
    root.present().map_err(|e| e.to_string())?;
    Ok(())
}
