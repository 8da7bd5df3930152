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
    let header = crate::sweep::csv_fields(lines.next().unwrap_or(""));
    Ok((header, lines.map(crate::sweep::csv_fields).collect()))
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

/// A raster: one row per neuron, recorded populations stacked in scenario order, each as
/// tall as its size; and the population rates (PSTH) under it.
struct Raster {
    points: Vec<(f64, f64, usize)>,
    /// Name, first row, size.
    pops: Vec<(String, usize, usize)>,
    /// End of the simulated time [ms].
    t_end: f64,
    truncated: bool,
    /// Bin width of the rates [ms].
    bin: f64,
    /// Per population: its rate [Hz] in each bin.
    rates: Vec<Vec<f64>>,
}

/// A 1-2-5 step near `x`.
fn nice(x: f64) -> f64 {
    let p = 10f64.powf(x.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * p)
        .find(|&v| v >= x)
        .unwrap_or(10.0 * p)
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
            pops.push((p.name.clone(), row, p.size.max(1) as usize));
            row += p.size.max(1) as usize;
        }
    }
    let t_end = if summary.simulated_until > 0.0 {
        summary.simulated_until
    } else {
        summary.duration.max(1.0)
    };
    let bin = nice(t_end / 100.0);
    let n_bins = (t_end / bin).ceil().max(1.0) as usize;
    let mut counts = vec![vec![0u64; n_bins]; pops.len()];
    let mut points = Vec::with_capacity(spikes.len().min(MAX_SPIKES));
    for sp in &spikes {
        if let Some(Some((base, p))) = first.get(sp.population as usize) {
            if points.len() < MAX_SPIKES {
                points.push((sp.time, (base + sp.neuron as usize) as f64, *p));
            }
            counts[*p][((sp.time / bin) as usize).min(n_bins - 1)] += 1;
        }
    }
    let rates = counts
        .iter()
        .zip(&pops)
        .map(|(c, (_, _, size))| {
            c.iter()
                .map(|&n| n as f64 / *size as f64 / (bin / 1000.0))
                .collect()
        })
        .collect();
    Ok(Raster {
        points,
        pops,
        t_end,
        truncated: spikes.len() > MAX_SPIKES,
        bin,
        rates,
    })
}

/// Colours that read well on white and stay apart (the "tab10" set).
fn color_of(k: usize) -> RGBAColor {
    const C: [(u8, u8, u8); 10] = [
        (31, 119, 180),
        (255, 127, 14),
        (44, 160, 44),
        (214, 39, 40),
        (148, 103, 189),
        (140, 86, 75),
        (227, 119, 194),
        (127, 127, 127),
        (188, 189, 34),
        (23, 190, 207),
    ];
    let (r, g, b) = C[k % C.len()];
    RGBColor(r, g, b).to_rgba()
}

/// Tick labels as people write numbers: `5`, `2000`, `0.25`, not `5.0` or `2000.0`.
fn tick_label(v: &f64) -> String {
    let s = format!("{:.4}", v);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.into()
    }
}

/// Integer tick labels only (a neuron index is never "60.0" or "2.5").
fn integer_label(y: &f64) -> String {
    if (y - y.round()).abs() < 1e-9 {
        format!("{}", y.round() as i64)
    } else {
        String::new()
    }
}

fn draw_raster<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    r: &Raster,
    title: &str,
) -> Result<(), String> {
    let e = |x: DrawingAreaErrorKind<DB::ErrorType>| x.to_string();
    root.fill(&WHITE).map_err(e)?;
    let root = root
        .titled(
            &if r.truncated {
                format!("{title} (raster: first {MAX_SPIKES} spikes; rates: all)")
            } else {
                title.to_string()
            },
            ("sans-serif", 22),
        )
        .map_err(e)?;
    // the legend gets a strip of its own, so it never covers data
    let (plots, key) = root.split_horizontally(W - 160);
    let (top, bottom) = plots.split_vertically((H as f64 * 0.62) as u32);
    let rows = r.pops.iter().map(|p| p.1 + p.2).max().unwrap_or(1).max(1);
    let mut chart = ChartBuilder::on(&top)
        .margin(8)
        .margin_right(24)
        .x_label_area_size(20)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..r.t_end, -0.5..rows as f64 - 0.5)
        .map_err(e)?;
    chart
        .configure_mesh()
        .y_desc("neuron")
        .y_labels(rows.min(10))
        .y_label_formatter(&integer_label)
        .x_label_formatter(&|_| String::new())
        .label_style(("sans-serif", 14))
        .light_line_style(TRANSPARENT)
        .disable_y_mesh()
        .draw()
        .map_err(e)?;
    let size = if r.points.len() > 20_000 { 1 } else { 2 };
    for (k, (_, first, _)) in r.pops.iter().enumerate() {
        let color = color_of(k).to_rgba();
        chart
            .draw_series(
                r.points
                    .iter()
                    .filter(|p| p.2 == k)
                    .map(|&(t, y, _)| Circle::new((t, y), size, color.filled())),
            )
            .map_err(e)?;
        if *first > 0 {
            let y = *first as f64 - 0.5;
            chart
                .draw_series(LineSeries::new([(0.0, y), (r.t_end, y)], BLACK.mix(0.3)))
                .map_err(e)?;
        }
    }
    let top_rate = r.rates.iter().flatten().copied().fold(0.0, f64::max);
    let mut psth = ChartBuilder::on(&bottom)
        .margin(8)
        .margin_right(24)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..r.t_end, 0.0..(top_rate * 1.1).max(1.0))
        .map_err(e)?;
    psth.configure_mesh()
        .x_desc("time (ms)")
        .y_desc(format!("rate (Hz), {} ms bins", tick_label(&r.bin)))
        .x_label_formatter(&tick_label)
        .y_label_formatter(&tick_label)
        .y_labels(5)
        .light_line_style(TRANSPARENT)
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(e)?;
    for (k, rate) in r.rates.iter().enumerate() {
        let color = color_of(k).to_rgba();
        // a step line: each bin's rate held over the bin
        let steps = rate.iter().enumerate().flat_map(|(b, &v)| {
            let t0 = b as f64 * r.bin;
            [(t0, v), ((t0 + r.bin).min(r.t_end), v)]
        });
        psth.draw_series(LineSeries::new(steps, color.stroke_width(2)))
            .map_err(e)?;
    }
    let names: Vec<&str> = r.pops.iter().map(|p| p.0.as_str()).collect();
    draw_key(&key, &names, |k| color_of(k).to_rgba())
}

/// A list of names with their colours, in the key strip beside a figure.
fn draw_key<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    names: &[&str],
    color: impl Fn(usize) -> RGBAColor,
) -> Result<(), String> {
    let e = |x: DrawingAreaErrorKind<DB::ErrorType>| x.to_string();
    let style = ("sans-serif", 14).into_font().color(&BLACK);
    for (k, name) in names.iter().enumerate() {
        let y = 30 + 22 * k as i32;
        area.draw(&Circle::new((14, y), 5, color(k).filled()))
            .map_err(e)?;
        area.draw(&Text::new(name.to_string(), (26, y - 8), style.clone()))
            .map_err(e)?;
    }
    Ok(())
}

type Traces = Vec<(String, Vec<(f64, f64)>)>;

/// Up to 12 voltage traces, one per (population, neuron), in first-sample order, and each
/// traced neuron's exact spike times.
fn voltage_data(res: &Results) -> Result<(Traces, Vec<Vec<f64>>), String> {
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
    let mut marks = vec![vec![]; traces.len()];
    for sp in res.spikes().map_err(|e| e.to_string())? {
        if let Some(&k) = index.get(&(sp.population, sp.neuron)) {
            marks[k].push(sp.time);
        }
    }
    Ok((traces, marks))
}

/// Line series (voltage traces, tuning curves). `marks[k]` are times drawn as ticks along
/// the top in series k's colour (exact spike times); `identity` adds the y = x line.
fn draw_lines<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    series: &Traces,
    marks: &[Vec<f64>],
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
    let has_marks = marks.iter().any(|m| !m.is_empty());
    let y_top = y1 + py * if has_marks { 3.0 } else { 1.0 };
    let root = root.titled(title, ("sans-serif", 22)).map_err(e)?;
    // the legend gets a strip of its own, so it never covers data
    let (plot, key) = root.split_horizontally(W - 160);
    let mut chart = ChartBuilder::on(&plot)
        .margin(12)
        .margin_right(24)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(x0 - px..x1 + px, y0 - py..y_top)
        .map_err(e)?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .x_label_formatter(&tick_label)
        .y_label_formatter(&tick_label)
        .light_line_style(TRANSPARENT)
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
            .map_err(e)?;
    }
    let tick = (y_top - y1) * 0.4;
    for (k, (_, pts)) in series.iter().enumerate() {
        let color = color_of(k).to_rgba();
        chart
            .draw_series(LineSeries::new(pts.iter().copied(), color.stroke_width(2)))
            .map_err(e)?;
        if identity {
            chart
                .draw_series(pts.iter().map(|&p| Circle::new(p, 3, color.filled())))
                .map_err(e)?;
        }
        if let Some(ts) = marks.get(k) {
            let y = y_top - tick * (0.5 + (k % 2) as f64);
            chart
                .draw_series(ts.iter().map(|&t| {
                    PathElement::new(
                        [(t, y - tick * 0.45), (t, y + tick * 0.45)],
                        color.stroke_width(2),
                    )
                }))
                .map_err(e)?;
        }
    }
    let mut names: Vec<&str> = series.iter().map(|s| s.0.as_str()).collect();
    if identity {
        names.push("estimate = truth");
    }
    draw_key(&key, &names, |k| {
        if k < series.len() {
            color_of(k).to_rgba()
        } else {
            BLACK.mix(0.4)
        }
    })?;
    if has_marks {
        let style = ("sans-serif", 12).into_font().color(&BLACK.mix(0.7));
        let y = 40 + 22 * names.len() as i32;
        key.draw(&Text::new("ticks at top:", (8, y), style.clone()))
            .map_err(e)?;
        key.draw(&Text::new("exact spike times", (8, y + 16), style))
            .map_err(e)?;
    }
    Ok(())
}

fn readout_points(dir: &Path, error: bool) -> Result<Vec<(f64, f64)>, String> {
    let (header, rows) = read_csv(&dir.join("readout.csv"))?;
    let col = header
        .iter()
        .position(|h| h == "estimated_itd_ms")
        .ok_or_else(|| format!("{}: readout.csv lacks estimated_itd_ms", dir.display()))?;
    let mut points = Vec::with_capacity(rows.len());
    for (k, r) in rows.iter().enumerate() {
        // ("none": no detector fired at that point, so no estimate to draw)
        if r.get(col).is_some_and(|v| v == "none") {
            continue;
        }
        let number = |i: usize| {
            r.get(i)
                .and_then(|v| v.parse::<f64>().ok())
                .filter(|v| v.is_finite())
                .ok_or_else(|| {
                    format!(
                        "{}: line {}: field {} is not a finite number (or \"none\")",
                        dir.join("readout.csv").display(),
                        k + 2,
                        i + 1
                    )
                })
        };
        let (truth, est) = (number(1)? * 1000.0, number(col)? * 1000.0);
        points.push((truth, if error { est - truth } else { est }));
    }
    Ok(points)
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
        |a: &DrawingArea<_, _>| draw_lines(a, &series, &[], title, labels, false),
        |a: &DrawingArea<_, _>| draw_lines(a, &series, &[], title, labels, false),
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
    let root = root.titled(title, ("sans-serif", 22)).map_err(e)?;
    let (plot, key) = root.split_horizontally(W - 160);
    let mut chart = ChartBuilder::on(&plot)
        .margin(12)
        .margin_right(24)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(lo..hi, 0.0..top * 1.08)
        .map_err(e)?;
    chart
        .configure_mesh()
        .x_desc("weight (mV)")
        .y_desc("synapses")
        .x_label_formatter(&tick_label)
        .y_label_formatter(&integer_label)
        .light_line_style(TRANSPARENT)
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(e)?;
    for (k, c) in [&c0, &c1].into_iter().enumerate() {
        let color = color_of(k + 1).to_rgba();
        let fill = color.mix(if k == 0 { 0.35 } else { 0.8 });
        chart
            .draw_series(c.iter().enumerate().map(|(b, &n)| {
                let x0 = lo + b as f64 * width;
                Rectangle::new([(x0, 0.0), (x0 + width, n as f64)], fill.filled())
            }))
            .map_err(e)?;
    }
    let names = [format!("t = {t0} ms"), format!("t = {t1} ms")];
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    draw_key(&key, &names, |k| color_of(k + 1).to_rgba())
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
        let (v, marks) = voltage_data(res)?;
        let title = format!("{name}: membrane potential");
        let d = ("time (ms)", "V (mV)");
        written.extend(both(
            dir,
            "voltage",
            |a: &DrawingArea<_, _>| draw_lines(a, &v, &marks, &title, d, false),
            |a: &DrawingArea<_, _>| draw_lines(a, &v, &marks, &title, d, false),
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
    // a sweep folder has no summary of its own, only readout.csv; a summary that is there
    // must read
    let res = if dir.join("summary.json").exists() {
        Some(Results::open(dir).map_err(|e| e.to_string())?)
    } else {
        None
    };
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
            |a: &DrawingArea<_, _>| draw_lines(a, &series, &[], &title, d, true),
            |a: &DrawingArea<_, _>| draw_lines(a, &series, &[], &title, d, true),
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
