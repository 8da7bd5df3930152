//! Pictures of results, as SVG and PNG, with no system libraries (plotters with an embedded
//! DejaVu font): a spike raster, voltage traces, and for a Jeffress sweep the tuning curve
//! (estimated against true ITD).

use crate::results::Results;
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

/// Populations stacked in scenario order (recorded ones only), each as tall as its size.
fn raster_data(res: &Results) -> Result<Raster, String> {
    let spikes = res.spikes().map_err(|e| e.to_string())?;
    let summary = &res.summary;
    let mut first = vec![None; summary.populations.len()];
    let mut pops = vec![];
    let mut row = 0;
    for (k, p) in summary.populations.iter().enumerate() {
        if p.recorded {
            first[k] = Some((row, pops.len()));
            pops.push((p.name.clone(), row, p.size as usize));
            row += p.size as usize;
        }
    }
    let mut points = Vec::with_capacity(spikes.len().min(MAX_SPIKES));
    for sp in spikes.iter().take(MAX_SPIKES) {
        if let Some(Some((base, p))) = first.get(sp.population as usize) {
            points.push((sp.time, (base + sp.neuron as usize) as f64, *p));
        }
    }
    Ok(Raster {
        points,
        pops,
        t_max: summary.simulated_until.max(f64::MIN_POSITIVE),
        truncated: spikes.len() > MAX_SPIKES,
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

/// Up to 12 voltage traces, one per (population, neuron), in first-sample order.
fn voltage_data(res: &Results) -> Result<Traces, String> {
    let names = res.names();
    let mut traces: Traces = vec![];
    let mut index: BTreeMap<(u32, u32), usize> = BTreeMap::new();
    for v in res.voltages().map_err(|e| e.to_string())? {
        let k = match index.get(&(v.population, v.neuron)) {
            Some(&k) => k,
            None if traces.len() < 12 => {
                let name = names.get(v.population as usize).map_or("?", String::as_str);
                traces.push((format!("{name}[{}]", v.neuron), vec![]));
                index.insert((v.population, v.neuron), traces.len() - 1);
                traces.len() - 1
            }
            None => continue,
        };
        traces[k].1.push((v.time, v.v));
    }
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
            let y = if error { est - truth } else { est };
            (truth.is_finite() && y.is_finite()).then_some((truth, y))
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

/// The pictures of one run: raster, voltage traces, weight histogram.
fn plot_run(res: &Results, name: &str) -> Result<Vec<PathBuf>, String> {
    let dir = res.dir();
    let mut written = vec![];
    let r = raster_data(res)?;
    let title = format!("{name}: spikes");
    written.extend(both(
        dir,
        "raster",
        |a: &DrawingArea<_, _>| draw_raster(a, &r, &title),
        |a: &DrawingArea<_, _>| draw_raster(a, &r, &title),
    )?);
    if res.has("voltage") {
        let v = voltage_data(res)?;
        let title = format!("{name}: membrane potential");
        let d = ("time (ms)", "V (mV)");
        written.extend(both(
            dir,
            "voltage",
            |a: &DrawingArea<_, _>| draw_lines(a, &v, &title, d, false),
            |a: &DrawingArea<_, _>| draw_lines(a, &v, &title, d, false),
        )?);
    }
    if res.has("weights") {
        let samples = res.weights().map_err(|e| e.to_string())?;
        if let (Some(w0), Some(w1)) = (samples.first(), samples.last()) {
            let (t0, t1) = (w0.time, w1.time);
            let at = |t: f64| -> Vec<f64> {
                samples
                    .iter()
                    .filter(|s| s.time == t)
                    .map(|s| s.weight)
                    .collect()
            };
            let (first, last) = (at(t0), at(t1));
            let title = format!("{name}: synaptic weights");
            written.extend(both(
                dir,
                "weights",
                |a: &DrawingArea<_, _>| draw_weight_histogram(a, &first, &last, (t0, t1), &title),
                |a: &DrawingArea<_, _>| draw_weight_histogram(a, &first, &last, (t0, t1), &title),
            )?);
        }
    }
    Ok(written)
}

/// Renders every picture the directory's files allow and returns the files written:
/// `raster` (spikes.csv), `voltage` (voltage.csv), `tuning` (readout.csv of a Jeffress sweep).
pub fn plot_dir(dir: &Path) -> Result<Vec<PathBuf>, String> {
    register_font();
    let mut written = vec![];
    // a sweep folder has no summary of its own, only readout.csv
    let res = Results::open(dir).ok();
    let name = res
        .as_ref()
        .map_or_else(|| dir.display().to_string(), |r| r.summary.name.clone());
    if let Some(res) = &res {
        written.extend(plot_run(res, &name)?);
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
            "{}: nothing to plot (no summary.json of a run, no readout.csv of a sweep)",
            dir.display()
        ));
    }
    Ok(written)
}
