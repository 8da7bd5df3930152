//! Pictures of results, as SVG and PNG, with no system libraries (plotters with an embedded
//! DejaVu font): a spike raster, voltage traces, and for a Jeffress sweep the tuning curve
//! (estimated against true ITD).

use plotters::coord::Shift;
use plotters::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const W: u32 = 1000;
const H: u32 = 600;
/// Rasters draw at most this many spikes (the earliest), to keep files small.
const MAX_SPIKES: usize = 200_000;

fn register_font() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            dejavu::sans::regular(),
        );
    });
}

type Rows = Vec<Vec<String>>;

fn read_csv(path: &Path) -> Result<(Vec<String>, Rows), String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut lines = text.lines();
    let header = lines
        .next()
        .unwrap_or("")
        .split(',')
        .map(String::from)
        .collect();
    Ok((
        header,
        lines
            .map(|l| l.split(',').map(String::from).collect())
            .collect(),
    ))
}

fn num(s: &str, what: &str) -> Result<f64, String> {
    s.parse::<f64>()
        .map_err(|_| format!("not a number in {what}: {s:?}"))
}

/// Draws into both an SVG and a PNG file named `stem.svg` / `stem.png` in `dir`.
/// (plotters' drawing code is generic over the backend; closures are not, hence two.)
fn both(
    dir: &Path,
    stem: &str,
    draw_svg: impl Fn(&DrawingArea<SVGBackend, Shift>) -> Result<(), String>,
    draw_png: impl Fn(&DrawingArea<BitMapBackend, Shift>) -> Result<(), String>,
) -> Result<Vec<PathBuf>, String> {
    let svg = dir.join(format!("{stem}.svg"));
    let png = dir.join(format!("{stem}.png"));
    {
        let root = SVGBackend::new(&svg, (W, H)).into_drawing_area();
        draw_svg(&root)?;
        root.present().map_err(|e| e.to_string())?;
    }
    {
        let root = BitMapBackend::new(&png, (W, H)).into_drawing_area();
        draw_png(&root)?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(vec![svg, png])
}

/// A raster of spikes.csv: one row per neuron, populations stacked in file order.
struct Raster {
    points: Vec<(f64, f64, usize)>,
    pops: Vec<(String, usize, usize)>, // name, first row, size seen
    t_max: f64,
    truncated: bool,
}

fn raster_data(dir: &Path) -> Result<Raster, String> {
    let (_, rows) = read_csv(&dir.join("spikes.csv"))?;
    let mut sizes: BTreeMap<String, (usize, usize)> = BTreeMap::new(); // name -> (order, max neuron + 1)
    for r in &rows {
        if r.len() < 3 {
            continue;
        }
        let n: usize = r[1]
            .parse()
            .map_err(|_| format!("bad neuron index {:?}", r[1]))?;
        let k = sizes.len();
        let e = sizes.entry(r[0].clone()).or_insert((k, 0));
        e.1 = e.1.max(n + 1);
    }
    let mut order: Vec<(String, usize, usize)> = sizes
        .iter()
        .map(|(name, (o, n))| (name.clone(), *o, *n))
        .collect();
    order.sort_by_key(|p| p.1);
    let mut first = BTreeMap::new();
    let mut row = 0;
    let mut pops = vec![];
    for (name, _, n) in &order {
        first.insert(name.clone(), (row, pops.len()));
        pops.push((name.clone(), row, *n));
        row += n;
    }
    let mut points = Vec::with_capacity(rows.len().min(MAX_SPIKES));
    let mut t_max: f64 = 0.0;
    for r in rows.iter().filter(|r| r.len() >= 3).take(MAX_SPIKES) {
        let t = num(&r[2], "spikes.csv")?;
        let (base, p) = first[&r[0]];
        let n: usize = r[1].parse().unwrap_or(0);
        points.push((t, (base + n) as f64, p));
        t_max = t_max.max(t);
    }
    let truncated = rows.len() > MAX_SPIKES;
    Ok(Raster {
        points,
        pops,
        t_max,
        truncated,
    })
}

fn draw_raster<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    r: &Raster,
    title: &str,
) -> Result<(), String> {
    let e = |x: DrawingAreaErrorKind<DB::ErrorType>| x.to_string();
    root.fill(&WHITE).map_err(e)?;
    let rows = r.pops.iter().map(|p| p.1 + p.2).max().unwrap_or(1).max(1) as f64;
    let t_max = if r.t_max > 0.0 { r.t_max * 1.02 } else { 1.0 };
    let mut chart = ChartBuilder::on(root)
        .caption(
            if r.truncated {
                format!("{title} (first {MAX_SPIKES} spikes)")
            } else {
                title.to_string()
            },
            ("sans-serif", 22),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..t_max, -0.5..rows - 0.5)
        .map_err(e)?;
    chart
        .configure_mesh()
        .x_desc("time (ms)")
        .y_desc("neuron")
        .label_style(("sans-serif", 14))
        .disable_y_mesh()
        .draw()
        .map_err(e)?;
    let size = if r.points.len() > 20_000 { 1 } else { 2 };
    for (k, (name, _, _)) in r.pops.iter().enumerate() {
        let color = Palette99::pick(k).to_rgba();
        chart
            .draw_series(
                r.points
                    .iter()
                    .filter(|p| p.2 == k)
                    .map(|&(t, y, _)| Circle::new((t, y), size, color.filled())),
            )
            .map_err(e)?
            .label(name.clone())
            .legend(move |(x, y)| Circle::new((x, y), 4, color.filled()));
    }
    if r.pops.len() > 1 {
        legend(&mut chart, SeriesLabelPosition::UpperRight)?;
    }
    Ok(())
}

/// The series labels, in one style for every figure.
fn legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<
        'a,
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    position: SeriesLabelPosition,
) -> Result<(), String> {
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .label_font(("sans-serif", 14))
        .draw()
        .map_err(|x| x.to_string())
}

type Traces = Vec<(String, Vec<(f64, f64)>)>;

fn voltage_data(dir: &Path) -> Result<Traces, String> {
    let (_, rows) = read_csv(&dir.join("voltage.csv"))?;
    let mut traces: Vec<(String, Vec<(f64, f64)>)> = vec![];
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.len() >= 4) {
        let key = format!("{}[{}]", r[0], r[1]);
        let k = *index.entry(key.clone()).or_insert_with(|| {
            traces.push((key, vec![]));
            traces.len() - 1
        });
        traces[k]
            .1
            .push((num(&r[2], "voltage.csv")?, num(&r[3], "voltage.csv")?));
    }
    traces.truncate(12);
    Ok(traces)
}

fn draw_lines<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    series: &Traces,
    title: &str,
    (x_desc, y_desc): (&str, &str),
    identity: bool,
) -> Result<(), String> {
    let e = |x: DrawingAreaErrorKind<DB::ErrorType>| x.to_string();
    root.fill(&WHITE).map_err(e)?;
    let all = series.iter().flat_map(|s| s.1.iter());
    let (mut x0, mut x1, mut y0, mut y1) = (
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    );
    for &(x, y) in all {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    if !x0.is_finite() {
        (x0, x1, y0, y1) = (0.0, 1.0, 0.0, 1.0);
    }
    let pad = |a: f64, b: f64| if b > a { (b - a) * 0.05 } else { 1.0 };
    let (px, py) = (pad(x0, x1), pad(y0, y1));
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(x0 - px..x1 + px, y0 - py..y1 + py)
        .map_err(e)?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(e)?;
    if identity {
        let (a, b) = (x0.max(y0), x1.min(y1));
        chart
            .draw_series(LineSeries::new(
                [(a, a), (b, b)],
                BLACK.mix(0.4).stroke_width(1),
            ))
            .map_err(e)?
            .label("estimate = truth")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLACK.mix(0.4)));
    }
    for (k, (name, pts)) in series.iter().enumerate() {
        let color = Palette99::pick(k).to_rgba();
        chart
            .draw_series(LineSeries::new(pts.iter().copied(), color.stroke_width(2)))
            .map_err(e)?
            .label(name.clone())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2)));
        if identity {
            chart
                .draw_series(pts.iter().map(|&p| Circle::new(p, 3, color.filled())))
                .map_err(e)?;
        }
    }
    legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
    Ok(())
}

fn readout_points(dir: &Path, error: bool) -> Result<Vec<(f64, f64)>, String> {
    let (header, rows) = read_csv(&dir.join("readout.csv"))?;
    let col = header
        .iter()
        .position(|h| h == "estimated_itd_ms")
        .ok_or_else(|| format!("{}: readout.csv lacks estimated_itd_ms", dir.display()))?;
    Ok(rows
        .iter()
        .filter_map(|r| {
            let truth = r.get(1)?.parse::<f64>().ok()? * 1000.0;
            let est = r.get(col)?.parse::<f64>().ok()? * 1000.0;
            Some((truth, if error { est - truth } else { est }))
        })
        .collect())
}

/// One figure of read-out error against true ITD for several Jeffress sweeps (each `dir`
/// holding readout.csv; the series is named after the directory), written as
/// `tuning-compare.svg/png` into `out`.
pub fn plot_compare(dirs: &[PathBuf], out: &Path) -> Result<Vec<PathBuf>, String> {
    register_font();
    let mut series = vec![];
    for d in dirs {
        let name = d
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("run")
            .to_string();
        series.push((name, readout_points(d, true)?));
    }
    let title = "ITD read-out error";
    let labels = ("true ITD (µs)", "estimate − truth (µs)");
    both(
        out,
        "tuning-compare",
        |a: &DrawingArea<_, _>| draw_lines(a, &series, title, labels, false),
        |a: &DrawingArea<_, _>| draw_lines(a, &series, title, labels, false),
    )
}

/// Histogram of the weights at the first and the last sampling time of weights.csv.
fn draw_weight_histogram<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    first: &[f64],
    last: &[f64],
    (t0, t1): (f64, f64),
    title: &str,
) -> Result<(), String> {
    let e = |x: DrawingAreaErrorKind<DB::ErrorType>| x.to_string();
    root.fill(&WHITE).map_err(e)?;
    let lo = first
        .iter()
        .chain(last)
        .copied()
        .fold(f64::INFINITY, f64::min);
    let hi = first
        .iter()
        .chain(last)
        .copied()
        .fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = if hi > lo {
        (lo, hi)
    } else {
        (lo - 0.5, lo + 0.5)
    };
    const BINS: usize = 40;
    let width = (hi - lo) / BINS as f64;
    let count = |ws: &[f64]| {
        let mut c = vec![0u32; BINS];
        for &w in ws {
            c[(((w - lo) / width) as usize).min(BINS - 1)] += 1;
        }
        c
    };
    let (c0, c1) = (count(first), count(last));
    let top = c0.iter().chain(&c1).copied().max().unwrap_or(1).max(1) as f64;
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(lo..hi, 0.0..top * 1.08)
        .map_err(e)?;
    chart
        .configure_mesh()
        .x_desc("weight (mV)")
        .y_desc("synapses")
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(e)?;
    for (k, (c, t)) in [(&c0, t0), (&c1, t1)].into_iter().enumerate() {
        let color = Palette99::pick(k + 1).to_rgba();
        let fill = color.mix(if k == 0 { 0.35 } else { 0.8 });
        chart
            .draw_series(c.iter().enumerate().map(|(b, &n)| {
                let x0 = lo + b as f64 * width;
                Rectangle::new([(x0, 0.0), (x0 + width, n as f64)], fill.filled())
            }))
            .map_err(e)?
            .label(format!("t = {:.0} ms", t))
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled()));
    }
    legend(&mut chart, SeriesLabelPosition::UpperMiddle)?;
    Ok(())
}

/// Renders every picture the directory's files allow and returns the files written:
/// `raster` (spikes.csv), `voltage` (voltage.csv), `tuning` (readout.csv of a Jeffress sweep).
pub fn plot_dir(dir: &Path) -> Result<Vec<PathBuf>, String> {
    register_font();
    let mut written = vec![];
    let name = std::fs::read_to_string(dir.join("summary.json"))
        .ok()
        .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok())
        .and_then(|v| v["name"].as_str().map(String::from))
        .unwrap_or_else(|| dir.display().to_string());
    if dir.join("spikes.csv").exists() {
        let r = raster_data(dir)?;
        let title = format!("{name}: spikes");
        written.extend(both(
            dir,
            "raster",
            |a: &DrawingArea<_, _>| draw_raster(a, &r, &title),
            |a: &DrawingArea<_, _>| draw_raster(a, &r, &title),
        )?);
    }
    if dir.join("voltage.csv").exists() {
        let v = voltage_data(dir)?;
        let title = format!("{name}: membrane potential");
        let d = ("time (ms)", "V (mV)");
        written.extend(both(
            dir,
            "voltage",
            |a: &DrawingArea<_, _>| draw_lines(a, &v, &title, d, false),
            |a: &DrawingArea<_, _>| draw_lines(a, &v, &title, d, false),
        )?);
    }
    if dir.join("weights.csv").exists() {
        let (_, rows) = read_csv(&dir.join("weights.csv"))?;
        let mut samples: Vec<(f64, f64)> = vec![];
        for r in rows.iter().filter(|r| r.len() >= 6) {
            samples.push((num(&r[4], "weights.csv")?, num(&r[5], "weights.csv")?));
        }
        if let (Some(&(t0, _)), Some(&(t1, _))) = (samples.first(), samples.last()) {
            let first: Vec<f64> = samples.iter().filter(|s| s.0 == t0).map(|s| s.1).collect();
            let last: Vec<f64> = samples.iter().filter(|s| s.0 == t1).map(|s| s.1).collect();
            let title = format!("{name}: synaptic weights");
            written.extend(both(
                dir,
                "weights",
                |a: &DrawingArea<_, _>| draw_weight_histogram(a, &first, &last, (t0, t1), &title),
                |a: &DrawingArea<_, _>| draw_weight_histogram(a, &first, &last, (t0, t1), &title),
            )?);
        }
    }
    if dir.join("readout.csv").exists() {
        let series = vec![("estimated ITD".to_string(), readout_points(dir, false)?)];
        let title = format!("ITD read-out: {} points", series[0].1.len());
        let d = ("true ITD (µs)", "estimated ITD (µs)");
        written.extend(both(
            dir,
            "tuning",
            |a: &DrawingArea<_, _>| draw_lines(a, &series, &title, d, true),
            |a: &DrawingArea<_, _>| draw_lines(a, &series, &title, d, true),
        )?);
    }
    if written.is_empty() {
        return Err(format!(
            "{}: nothing to plot (no spikes.csv, voltage.csv or readout.csv)",
            dir.display()
        ));
    }
    Ok(written)
}
