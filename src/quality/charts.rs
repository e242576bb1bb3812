//! The report's charts, drawn with plotters into SVG strings that the HTML
//! inlines (no script, no external file).

use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;

/// Series colours (Tableau 10): distinct, and readable on white.
pub(super) const PALETTE: [RGBColor; 10] = [
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
];

/// Pass, fail and error colours of the check grid.
pub(super) const PASS: RGBColor = RGBColor(44, 160, 44);
pub(super) const FAIL: RGBColor = RGBColor(214, 39, 40);
pub(super) const WARN: RGBColor = RGBColor(255, 127, 14);
pub(super) const NOT_RUN: RGBColor = RGBColor(220, 220, 220);

type Drawn = Result<String, String>;

fn failed<E: std::fmt::Debug>(e: E) -> String {
    format!("{e:?}")
}

fn label(labels: &[String], v: &SegmentValue<u32>) -> String {
    match v {
        SegmentValue::CenterOf(i) => labels.get(*i as usize).cloned().unwrap_or_default(),
        _ => String::new(),
    }
}

/// One stacked bar per category: `series` holds (name, colour, one value per category).
pub(super) fn stacked_bars(
    title: &str,
    categories: &[String],
    series: &[(&str, RGBColor, Vec<f64>)],
    size: (u32, u32),
) -> Drawn {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(failed)?;
        let n = categories.len().max(1) as u32;
        let top = (0..categories.len())
            .map(|i| series.iter().map(|s| s.2[i]).sum::<f64>())
            .fold(1.0_f64, f64::max);
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(64)
            .build_cartesian_2d((0..n).into_segmented(), 0.0..top * 1.12)
            .map_err(failed)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(categories.len().max(1))
            .x_label_formatter(&|v| label(categories, v))
            .y_desc("posts")
            .draw()
            .map_err(failed)?;
        let mut base = vec![0.0; categories.len()];
        for (name, colour, values) in series {
            let bars: Vec<_> = values
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    let (lo, hi) = (base[i], base[i] + v);
                    base[i] = hi;
                    let mut bar = Rectangle::new(
                        [
                            (SegmentValue::Exact(i as u32), lo),
                            (SegmentValue::Exact(i as u32 + 1), hi),
                        ],
                        colour.filled(),
                    );
                    bar.set_margin(0, 0, 8, 8);
                    bar
                })
                .collect();
            let colour = *colour;
            chart
                .draw_series(bars)
                .map_err(failed)?
                .label(*name)
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 10, y + 5)], colour.filled())
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.4))
            .draw()
            .map_err(failed)?;
        root.present().map_err(failed)?;
    }
    Ok(svg)
}

/// A grid of coloured cells with an optional text in each: `cells` holds
/// (column, row, colour, text).
pub(super) fn grid(
    title: &str,
    columns: &[String],
    rows: &[String],
    cells: &[(usize, usize, RGBColor, String)],
    size: (u32, u32),
) -> Drawn {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(failed)?;
        let (nx, ny) = (columns.len().max(1) as u32, rows.len().max(1) as u32);
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(70)
            .y_label_area_size(130)
            .build_cartesian_2d((0..nx).into_segmented(), (0..ny).into_segmented())
            .map_err(failed)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(columns.len().max(1))
            .y_labels(rows.len().max(1))
            .x_label_formatter(&|v| label(columns, v))
            .y_label_formatter(&|v| label(rows, v))
            .x_label_style(
                ("sans-serif", 11)
                    .into_font()
                    .transform(FontTransform::Rotate90),
            )
            .draw()
            .map_err(failed)?;
        chart
            .draw_series(cells.iter().map(|(x, y, colour, _)| {
                let mut cell = Rectangle::new(
                    [
                        (
                            SegmentValue::Exact(*x as u32),
                            SegmentValue::Exact(*y as u32),
                        ),
                        (
                            SegmentValue::Exact(*x as u32 + 1),
                            SegmentValue::Exact(*y as u32 + 1),
                        ),
                    ],
                    colour.filled(),
                );
                cell.set_margin(1, 1, 1, 1);
                cell
            }))
            .map_err(failed)?;
        let text_style = ("sans-serif", 11).into_font().color(&BLACK).pos(
            plotters::style::text_anchor::Pos::new(
                plotters::style::text_anchor::HPos::Center,
                plotters::style::text_anchor::VPos::Center,
            ),
        );
        chart
            .draw_series(
                cells
                    .iter()
                    .filter(|c| !c.3.is_empty())
                    .map(|(x, y, _, text)| {
                        Text::new(
                            text.clone(),
                            (
                                SegmentValue::CenterOf(*x as u32),
                                SegmentValue::CenterOf(*y as u32),
                            ),
                            text_style.clone(),
                        )
                    }),
            )
            .map_err(failed)?;
        root.present().map_err(failed)?;
    }
    Ok(svg)
}

/// Lines over a shared numeric x axis: `series` holds (name, points).
pub(super) fn lines(
    title: &str,
    x_desc: &str,
    y_desc: &str,
    series: &[(String, Vec<(f64, f64)>)],
    y_range: Option<(f64, f64)>,
    size: (u32, u32),
) -> Drawn {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(failed)?;
        let points = series.iter().flat_map(|s| s.1.iter());
        let (mut x0, mut x1, mut y1) = (f64::MAX, f64::MIN, 0.0_f64);
        for (x, y) in points {
            x0 = x0.min(*x);
            x1 = x1.max(*x);
            y1 = y1.max(*y);
        }
        if x0 > x1 {
            (x0, x1) = (0.0, 1.0);
        }
        if x0 == x1 {
            (x0, x1) = (x0 - 0.5, x1 + 0.5);
        }
        let (ylo, yhi) = y_range.unwrap_or((0.0, (y1 * 1.1).max(1e-9)));
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(64)
            .build_cartesian_2d(x0..x1, ylo..yhi)
            .map_err(failed)?;
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .y_desc(y_desc)
            .draw()
            .map_err(failed)?;
        for (i, (name, points)) in series.iter().enumerate() {
            let colour = PALETTE[i % PALETTE.len()];
            chart
                .draw_series(LineSeries::new(
                    points.iter().copied(),
                    colour.stroke_width(2),
                ))
                .map_err(failed)?
                .label(name.as_str())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 16, y)], colour.stroke_width(2))
                });
            chart
                .draw_series(points.iter().map(|p| Circle::new(*p, 3, colour.filled())))
                .map_err(failed)?;
        }
        if series.len() > 1 {
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperRight)
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK.mix(0.4))
                .draw()
                .map_err(failed)?;
        }
        root.present().map_err(failed)?;
    }
    Ok(svg)
}

/// One A/B comparison of the forest plot.
pub(super) struct Interval {
    /// The row label.
    pub label: String,
    /// The estimate (difference in conversion rate).
    pub estimate: f64,
    /// The interval's ends.
    pub low: f64,
    /// The interval's ends.
    pub high: f64,
    /// The colour: significant, not, or disagreeing with the tool.
    pub colour: RGBColor,
}

/// A forest plot: one horizontal interval per row around its estimate,
/// with a line at 0.
pub(super) fn forest(title: &str, x_desc: &str, rows: &[Interval], size: (u32, u32)) -> Drawn {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(failed)?;
        let labels: Vec<String> = rows.iter().map(|r| r.label.clone()).collect();
        let lo = rows.iter().map(|r| r.low).fold(0.0_f64, f64::min);
        let hi = rows.iter().map(|r| r.high).fold(0.0_f64, f64::max);
        let pad = ((hi - lo) * 0.08).max(1e-4);
        let n = rows.len().max(1) as u32;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(170)
            .build_cartesian_2d((lo - pad)..(hi + pad), (0..n).into_segmented())
            .map_err(failed)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(rows.len().max(1))
            .y_label_formatter(&|v| label(&labels, v))
            .x_desc(x_desc)
            .draw()
            .map_err(failed)?;
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(0.0, SegmentValue::Exact(0)), (0.0, SegmentValue::Last)],
                BLACK.mix(0.5).stroke_width(1),
            )))
            .map_err(failed)?;
        for (i, row) in rows.iter().enumerate() {
            let y = SegmentValue::CenterOf(i as u32);
            chart
                .draw_series([
                    PathElement::new(
                        vec![(row.low, y.clone()), (row.high, y.clone())],
                        row.colour.stroke_width(3),
                    )
                    .into_dyn(),
                    Circle::new((row.estimate, y), 5, row.colour.filled()).into_dyn(),
                ])
                .map_err(failed)?;
        }
        root.present().map_err(failed)?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_render_as_svg_with_their_labels() {
        let bars = stacked_bars(
            "Posts",
            &["instagram".into(), "linkedin".into()],
            &[
                ("valid", PALETTE[0], vec![10.0, 4.0]),
                ("rejected", FAIL, vec![1.0, 0.0]),
            ],
            (600, 300),
        )
        .unwrap();
        assert!(
            bars.starts_with("<svg") && bars.contains("instagram") && bars.contains("rejected")
        );
        let g = grid(
            "Missing",
            &["likes".into()],
            &["x".into()],
            &[(0, 0, FAIL, "40%".into())],
            (400, 300),
        )
        .unwrap();
        assert!(g.contains("40%") && g.contains("<rect"));
        let l = lines(
            "Rates",
            "rate",
            "share",
            &[("a".into(), vec![(0.0, 1.0), (1.0, 2.0)])],
            None,
            (400, 300),
        )
        .unwrap();
        assert!(l.contains("<polyline") || l.contains("<path"));
        let f = forest(
            "A/B",
            "diff",
            &[Interval {
                label: "t1".into(),
                estimate: 0.01,
                low: -0.002,
                high: 0.02,
                colour: PASS,
            }],
            (400, 200),
        )
        .unwrap();
        assert!(f.contains("t1") && f.contains("<circle"));
    }
}
