//! Draws the lab's x–y plots (numeric axes) with plotters-canvas, HiDPI-sharp like the run's
//! charts, and returns where each point landed (CSS pixels) so that the page can put a hover
//! target with the point's figures over it.

use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use web_sys::HtmlCanvasElement;

use crate::chartdata::{MARGIN, MARGIN_RIGHT, Rgb, X_LABELS, Y_LABELS, fmt_num, palette};
use crate::draw::Style;
use crate::lab::{Mark, XyPlot};

fn rgb(c: Rgb) -> RGBColor {
    RGBColor(c.0, c.1, c.2)
}

/// A drawn point: (series, point, x, y) with x and y in CSS pixels from the canvas's top left.
pub type Spot = (usize, usize, f64, f64);

pub fn draw_xy(canvas: &HtmlCanvasElement, plot: &XyPlot, style: Style) -> Result<Vec<Spot>, String> {
    let dpr = web_sys::window().map_or(1.0, |w| w.device_pixel_ratio()).max(1.0);
    let css_w = f64::from(canvas.client_width()).max(200.0);
    let css_h = f64::from(canvas.client_height()).max(160.0);
    let (w, h) = ((css_w * dpr) as u32, (css_h * dpr) as u32);
    if canvas.width() != w || canvas.height() != h {
        canvas.set_width(w);
        canvas.set_height(h);
    }
    let w_canvas = w;
    let px = |css: f64| (css * dpr) as u32;
    let scale = if style.big || style.presenter { 1.3 } else { 1.0 };
    let font = |size: f64| size * scale * dpr;
    let pal = palette(style.dark);
    let (bg, fg, grid) = (rgb(pal.background), rgb(pal.text), rgb(pal.grid));
    let backend = CanvasBackend::with_canvas_object(canvas.clone()).ok_or("the canvas has no 2D context")?;
    let root = backend.into_drawing_area();
    root.fill(&bg).map_err(|e| e.to_string())?;
    let (x_top, (y_low, y_top)) = plot.ranges();
    let mut cc = ChartBuilder::on(&root)
        .margin(px(MARGIN))
        .margin_right(px(MARGIN_RIGHT))
        .x_label_area_size(px(X_LABELS + 14.0))
        .y_label_area_size(px(Y_LABELS))
        .build_cartesian_2d(0f64..x_top, y_low..y_top)
        .map_err(|e| e.to_string())?;
    cc.configure_mesh()
        .x_labels(7)
        .y_labels(5)
        .x_desc(plot.x_label.as_str())
        .x_label_formatter(&|x| fmt_num(*x))
        .y_label_formatter(&|y| fmt_num(*y))
        .label_style(("sans-serif", font(11.0)).into_font().color(&fg))
        .axis_desc_style(("sans-serif", font(11.0)).into_font().color(&fg))
        .axis_style(fg.mix(0.6))
        .bold_line_style(grid)
        .light_line_style(bg)
        .draw()
        .map_err(|e| e.to_string())?;
    let rule = rgb(pal.rule);
    for (_, y) in &plot.rules {
        cc.draw_series(DashedLineSeries::new([(0.0, *y), (x_top, *y)], px(7.0), px(4.0), rule.stroke_width(px(1.2))))
            .map_err(|e| e.to_string())?;
    }
    let mut spots = Vec::new();
    let mut placed: Vec<(i32, i32)> = Vec::new();
    let label_font = ("sans-serif", font(11.0)).into_font().color(&fg);
    for (si, s) in plot.series.iter().enumerate() {
        let color = pal.lines.get(s.color % pal.lines.len()).copied().map_or(fg, rgb);
        match s.mark {
            Mark::Line => {
                cc.draw_series(LineSeries::new(s.points.iter().copied(), color.stroke_width(px(2.0))))
                    .map_err(|e| e.to_string())?;
                cc.draw_series(s.points.iter().map(|p| Circle::new(*p, px(2.5), color.filled())))
                    .map_err(|e| e.to_string())?;
            }
            Mark::Dashed => {
                cc.draw_series(DashedLineSeries::new(
                    s.points.iter().copied(),
                    px(6.0),
                    px(4.0),
                    color.stroke_width(px(1.5)),
                ))
                .map_err(|e| e.to_string())?;
            }
            Mark::Dots | Mark::Rings => {
                let style = if s.mark == Mark::Dots { color.filled() } else { color.stroke_width(px(2.0)) };
                cc.draw_series(s.points.iter().map(|p| Circle::new(*p, px(5.0), style))).map_err(|e| e.to_string())?;
                // Labels beside their dots, moved down past labels already placed so that close
                // dots (cheap CPU types) stay readable.
                let (w, h) = (px(70.0) as i32, px(13.0) as i32);
                for (p, label) in s.points.iter().zip(&s.labels) {
                    let (bx, by) = cc.backend_coord(p);
                    // Above-right first (above-left near the right edge, so that the label is not
                    // cut), then alternately further up and below.
                    let text_w = (label.chars().count() as f64 * 6.3 * scale * dpr) as i32;
                    let right_edge = (f64::from(w_canvas) - MARGIN_RIGHT * dpr * 0.5) as i32;
                    let dx = if bx + px(8.0) as i32 + text_w > right_edge {
                        -(text_w + px(8.0) as i32)
                    } else {
                        px(8.0) as i32
                    };
                    let first = -(px(16.0) as i32);
                    let free =
                        |dy: i32| !placed.iter().any(|(x0, y0)| (bx + dx - x0).abs() < w && (by + dy - y0).abs() < h);
                    let dy =
                        [0, -1, 1, -2, 2, -3, 3].iter().map(|k| first + k * h).find(|dy| free(*dy)).unwrap_or(first);
                    placed.push((bx + dx, by + dy));
                    let text = EmptyElement::at(*p) + Text::new(label.clone(), (dx, dy), label_font.clone());
                    cc.draw_series(std::iter::once(text)).map_err(|e| e.to_string())?;
                }
            }
        }
        if !s.tips.is_empty() {
            for (pi, p) in s.points.iter().enumerate() {
                let (bx, by) = cc.backend_coord(p);
                spots.push((si, pi, f64::from(bx) / dpr, f64::from(by) / dpr));
            }
        }
    }
    root.present().map_err(|e| e.to_string())?;
    Ok(spots)
}
