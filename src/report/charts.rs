//! The reports' charts, drawn with plotters into SVG strings that the HTML
//! inlines (no script, no external file). Each returns the SVG, or why it
//! could not be drawn (the page then says so in place of the chart).

use plotters::coord::ranged1d::SegmentValue;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Series colours (Tableau 10): distinct, and readable on white.
pub const PALETTE: [RGBColor; 10] = [
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

/// Passing checks, significant results, champions.
pub const PASS: RGBColor = RGBColor(44, 160, 44);
/// Failing checks of severity error, rejected posts.
pub const FAIL: RGBColor = RGBColor(214, 39, 40);
/// Failing checks of severity warning.
pub const WARN: RGBColor = RGBColor(255, 127, 14);
/// A check that did not run.
pub const NOT_RUN: RGBColor = RGBColor(220, 220, 220);

/// An SVG chart, or why it could not be drawn.
pub type Drawn = Result<String, String>;

/// The series legend every chart draws: a light box in `position`.
fn draw_legend<'a, DB, CT>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
) -> Result<(), String>
where
    DB: DrawingBackend + 'a,
    CT: CoordTranslate,
{
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .draw()
        .map_err(failed)
}

fn failed<E: std::fmt::Debug>(e: E) -> String {
    format!("{e:?}")
}

/// Draws into an SVG of `size` on a white background.
fn draw_svg(
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Result<(), String>,
) -> Drawn {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(failed)?;
        draw(&root)?;
        root.present().map_err(failed)?;
    }
    Ok(svg)
}

/// A chart with its title and label areas of the given sizes.
fn builder<'a, 'b>(
    root: &'a DrawingArea<SVGBackend<'b>, Shift>,
    title: &str,
    x_label_area: u32,
    y_label_area: u32,
) -> ChartBuilder<'a, 'b, SVGBackend<'b>> {
    let mut builder = ChartBuilder::on(root);
    builder
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(x_label_area)
        .y_label_area_size(y_label_area);
    builder
}

fn label(labels: &[String], v: &SegmentValue<u32>) -> String {
    match v {
        SegmentValue::CenterOf(i) => labels.get(*i as usize).cloned().unwrap_or_default(),
        _ => String::new(),
    }
}

/// One stacked bar per category: `series` holds (name, colour, one value per category).
pub fn stacked_bars(
    title: &str,
    categories: &[String],
    series: &[(&str, RGBColor, Vec<f64>)],
    size: (u32, u32),
) -> Drawn {
    draw_svg(size, |root| {
        let n = categories.len().max(1) as u32;
        let top = (0..categories.len())
            .map(|i| series.iter().map(|s| s.2[i]).sum::<f64>())
            .fold(1.0_f64, f64::max);
        let mut chart = builder(root, title, 36, 64)
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
        draw_legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        Ok(())
    })
}

/// A grid of coloured cells with an optional text in each: `cells` holds
/// (column, row, colour, text).
pub fn grid(
    title: &str,
    columns: &[String],
    rows: &[String],
    cells: &[(usize, usize, RGBColor, String)],
    size: (u32, u32),
) -> Drawn {
    draw_svg(size, |root| {
        let (nx, ny) = (columns.len().max(1) as u32, rows.len().max(1) as u32);
        let mut chart = builder(root, title, 70, 130)
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
        Ok(())
    })
}

/// Lines over a shared numeric x axis: `series` holds (name, points).
pub fn lines(
    title: &str,
    x_desc: &str,
    y_desc: &str,
    series: &[(String, Vec<(f64, f64)>)],
    y_range: Option<(f64, f64)>,
    size: (u32, u32),
) -> Drawn {
    draw_svg(size, |root| {
        let points = || series.iter().flat_map(|s| s.1.iter());
        let (mut x0, mut x1) = (f64::MAX, f64::MIN);
        for (x, _) in points() {
            x0 = x0.min(*x);
            x1 = x1.max(*x);
        }
        if x0 > x1 {
            (x0, x1) = (0.0, 1.0);
        }
        if x0 == x1 {
            (x0, x1) = (x0 - 0.5, x1 + 0.5);
        }
        // From 0 for counts and shares; padded around the values when some
        // are negative (an R² below 0).
        let (ylo, yhi) = y_range.unwrap_or_else(|| {
            let lowest = points().map(|p| p.1).fold(0.0_f64, f64::min);
            let highest = points().map(|p| p.1).fold(0.0_f64, f64::max);
            if lowest < 0.0 {
                padded_range(points().map(|p| p.1), &[0.0])
            } else {
                (0.0, (highest * 1.1).max(1e-9))
            }
        });
        let mut chart = builder(root, title, 40, 64)
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
            draw_legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        }
        Ok(())
    })
}

/// One A/B comparison of the forest plot.
pub struct Interval {
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
pub fn forest(title: &str, x_desc: &str, rows: &[Interval], size: (u32, u32)) -> Drawn {
    draw_svg(size, |root| {
        let labels: Vec<String> = rows.iter().map(|r| r.label.clone()).collect();
        let lo = rows.iter().map(|r| r.low).fold(0.0_f64, f64::min);
        let hi = rows.iter().map(|r| r.high).fold(0.0_f64, f64::max);
        let pad = ((hi - lo) * 0.08).max(1e-4);
        let n = rows.len().max(1) as u32;
        let mut chart = builder(root, title, 40, 170)
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
        Ok(())
    })
}

/// The lowest and highest of `values` and `extra`, padded by 6% of the
/// span (a unit span around a single value).
fn padded_range(values: impl Iterator<Item = f64>, extra: &[f64]) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::MAX, f64::MIN);
    for v in values
        .chain(extra.iter().copied())
        .filter(|v| v.is_finite())
    {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if lo > hi {
        return (0.0, 1.0);
    }
    if lo == hi {
        return (lo - 0.5, hi + 0.5);
    }
    let pad = (hi - lo) * 0.06;
    (lo - pad, hi + pad)
}

/// A scatter plot: one colour per series (name, points), with the line
/// y = x when `diagonal` (predicted against actual).
pub fn scatter(
    title: &str,
    x_desc: &str,
    y_desc: &str,
    series: &[(String, Vec<(f64, f64)>)],
    diagonal: bool,
    size: (u32, u32),
) -> Drawn {
    draw_svg(size, |root| {
        let points = || series.iter().flat_map(|s| s.1.iter());
        let (x0, x1) = padded_range(points().map(|p| p.0), &[]);
        let (y0, y1) = padded_range(points().map(|p| p.1), &[]);
        let (x0, x1, y0, y1) = if diagonal {
            let (lo, hi) = (x0.min(y0), x1.max(y1));
            (lo, hi, lo, hi)
        } else {
            (x0, x1, y0, y1)
        };
        let mut chart = builder(root, title, 40, 64)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(failed)?;
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .y_desc(y_desc)
            .draw()
            .map_err(failed)?;
        if diagonal {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(x0, x0), (x1, x1)],
                    BLACK.mix(0.5).stroke_width(1),
                )))
                .map_err(failed)?;
        }
        for (i, (name, points)) in series.iter().enumerate() {
            let colour = PALETTE[i % PALETTE.len()];
            chart
                .draw_series(points.iter().map(|p| Circle::new(*p, 3, colour.filled())))
                .map_err(failed)?
                .label(name.as_str())
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 4), (x + 8, y + 4)], colour.filled())
                });
        }
        draw_legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
        Ok(())
    })
}

/// One row of a strip plot: every value as a dot, the mean as a tick.
pub struct Strip {
    /// The row label.
    pub label: String,
    /// The values.
    pub values: Vec<f64>,
    /// The dots' colour.
    pub colour: RGBColor,
}

/// A strip plot: one row per [`Strip`], every value a dot (slightly
/// jittered up and down so equal values stay visible), the row's mean a
/// black tick, and a vertical line at `reference` when given.
pub fn strips(
    title: &str,
    x_desc: &str,
    rows: &[Strip],
    reference: Option<f64>,
    size: (u32, u32),
) -> Drawn {
    draw_svg(size, |root| {
        let labels: Vec<String> = rows.iter().map(|r| r.label.clone()).collect();
        let extra: Vec<f64> = reference.into_iter().collect();
        let (lo, hi) = padded_range(rows.iter().flat_map(|r| r.values.iter().copied()), &extra);
        let n = rows.len().max(1) as f64;
        let mut chart = builder(root, title, 40, 170)
            .build_cartesian_2d(lo..hi, 0.0..n)
            .map_err(failed)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(rows.len().max(1) * 2 + 1)
            .y_label_formatter(&|v| {
                // Rows sit at i + 0.5; label only those.
                let i = v - 0.5;
                if (i - i.round()).abs() < 1e-6 && i >= 0.0 {
                    labels.get(i.round() as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .x_desc(x_desc)
            .draw()
            .map_err(failed)?;
        if let Some(r) = reference {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(r, 0.0), (r, n)],
                    BLACK.mix(0.5).stroke_width(1),
                )))
                .map_err(failed)?;
        }
        for (i, row) in rows.iter().enumerate() {
            let y = i as f64 + 0.5;
            // A deterministic jitter of up to a quarter row.
            let jitter = |k: usize| ((k * 7919) % 17) as f64 / 16.0 * 0.5 - 0.25;
            chart
                .draw_series(
                    row.values
                        .iter()
                        .enumerate()
                        .map(|(k, v)| Circle::new((*v, y + jitter(k)), 3, row.colour.filled())),
                )
                .map_err(failed)?;
            if !row.values.is_empty() {
                let mean = row.values.iter().sum::<f64>() / row.values.len() as f64;
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(mean, y - 0.35), (mean, y + 0.35)],
                        BLACK.stroke_width(3),
                    )))
                    .map_err(failed)?;
            }
        }
        Ok(())
    })
}

/// One bar of [`horizontal_bars`].
pub struct Bar {
    /// The row label.
    pub label: String,
    /// Its length.
    pub value: f64,
    /// A whisker of ± this much around the end (a standard deviation).
    pub spread: Option<f64>,
    /// The bar's colour.
    pub colour: RGBColor,
}

/// Horizontal bars, top row first, with optional whiskers and a vertical
/// line at `reference` (e.g. 0.5, chance for a pairwise accuracy).
pub fn horizontal_bars(
    title: &str,
    x_desc: &str,
    bars: &[Bar],
    reference: Option<f64>,
    size: (u32, u32),
) -> Drawn {
    draw_svg(size, |root| {
        // The first bar is drawn at the top.
        let labels: Vec<String> = bars.iter().rev().map(|b| b.label.clone()).collect();
        let mut ends: Vec<f64> = vec![0.0];
        ends.extend(reference);
        for b in bars {
            let s = b.spread.unwrap_or(0.0);
            ends.extend([b.value - s, b.value + s]);
        }
        let (lo, hi) = padded_range(std::iter::empty(), &ends);
        let n = bars.len().max(1) as u32;
        let mut chart = builder(root, title, 40, 220)
            .build_cartesian_2d(lo..hi, (0..n).into_segmented())
            .map_err(failed)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(bars.len().max(1))
            .y_label_formatter(&|v| label(&labels, v))
            .x_desc(x_desc)
            .draw()
            .map_err(failed)?;
        let last = bars.len().saturating_sub(1);
        chart
            .draw_series(bars.iter().enumerate().map(|(i, b)| {
                let row = (last - i) as u32;
                let mut bar = Rectangle::new(
                    [
                        (0.0, SegmentValue::Exact(row)),
                        (b.value, SegmentValue::Exact(row + 1)),
                    ],
                    b.colour.filled(),
                );
                bar.set_margin(3, 3, 0, 0);
                bar
            }))
            .map_err(failed)?;
        chart
            .draw_series(bars.iter().enumerate().filter_map(|(i, b)| {
                let s = b.spread?;
                let y = SegmentValue::CenterOf((last - i) as u32);
                Some(PathElement::new(
                    vec![(b.value - s, y.clone()), (b.value + s, y)],
                    BLACK.stroke_width(2),
                ))
            }))
            .map_err(failed)?;
        if let Some(r) = reference {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(r, SegmentValue::Exact(0)), (r, SegmentValue::Last)],
                    BLACK.mix(0.6).stroke_width(1),
                )))
                .map_err(failed)?;
        }
        Ok(())
    })
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
        let negative = lines(
            "R²",
            "run",
            "r2",
            &[("all".into(), vec![(1.0, -0.2), (2.0, -0.05)])],
            None,
            (400, 300),
        )
        .unwrap();
        assert_eq!(negative.matches("<circle").count(), 2);
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
        let sc = scatter(
            "Predicted",
            "actual",
            "predicted",
            &[
                ("a".into(), vec![(1.0, 2.0), (3.0, 3.5)]),
                ("b".into(), vec![(2.0, 2.0)]),
            ],
            true,
            (400, 400),
        )
        .unwrap();
        assert_eq!(sc.matches("<circle").count(), 3, "one dot per point");
        let st = strips(
            "Residuals",
            "residual",
            &[
                Strip {
                    label: "instagram".into(),
                    values: vec![-1.0, 0.5, 2.0],
                    colour: PALETTE[0],
                },
                Strip {
                    label: "x".into(),
                    values: vec![],
                    colour: PALETTE[1],
                },
            ],
            Some(0.0),
            (400, 300),
        )
        .unwrap();
        assert_eq!(st.matches("<circle").count(), 3);
        assert!(st.contains("instagram"));
        let hb = horizontal_bars(
            "Importance",
            "drop",
            &[Bar {
                label: "contrast".into(),
                value: 0.2,
                spread: Some(0.05),
                colour: PALETTE[0],
            }],
            Some(0.5),
            (400, 200),
        )
        .unwrap();
        assert!(hb.contains("contrast") && hb.contains("<rect"));
    }
}
