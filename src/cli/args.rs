//! Parsers of command-line values (sizes, durations, numbers, formats): each returns a
//! message clap prints with exit status 2.

use exactspike::analysis;
use exactspike::output::Format;
use std::time::Duration;

/// Parses a byte count: a number with an optional suffix K, M, G or T (powers of 1024;
/// "KB", "KiB", "MB", "MiB", ... accepted alike), at least 1 MiB.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(t.len());
    let (num, suffix) = t.split_at(split);
    let mult: f64 = match suffix.to_ascii_uppercase().as_str() {
        "" | "B" => 1.0,
        "K" | "KB" | "KIB" => 1024.0,
        "M" | "MB" | "MIB" => 1024.0 * 1024.0,
        "G" | "GB" | "GIB" => 1024.0 * 1024.0 * 1024.0,
        "T" | "TB" | "TIB" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        other => return Err(format!("unknown size suffix {other:?} (use K, M, G or T)")),
    };
    let v: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("not a size: {text:?} (e.g. 512M, 4G)"))?;
    let bytes = v * mult;
    if !(bytes.is_finite() && bytes >= 1024.0 * 1024.0) {
        return Err(format!("must be at least 1M (one MiB), got {text:?}"));
    }
    if bytes >= u64::MAX as f64 {
        return Err(format!("too large: {text:?}"));
    }
    Ok(bytes as u64)
}

/// A wall-clock limit: a number of seconds > 0, at most about 31 years.
pub fn parse_seconds(text: &str) -> Result<Duration, String> {
    let v: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("not a number of seconds: {text:?}"))?;
    if !(v.is_finite() && v > 0.0 && v <= 1e9) {
        return Err(format!(
            "must be a number of seconds in (0, 1e9], got {text:?}"
        ));
    }
    Duration::try_from_secs_f64(v).map_err(|e| e.to_string())
}

/// `--grid-dt`: a step in [1e-12, 1e12] ms (below, `t / dt` of a run's times overflows or
/// the grid is finer than the times' own rounding).
pub fn parse_grid_dt(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(v) if (1e-12..=1e12).contains(&v) => Ok(v),
        _ => Err(format!("must be a step in [1e-12, 1e12] ms, got {text:?}")),
    }
}

pub fn parse_frac(text: &str) -> Result<f64, String> {
    let v: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("not a number: {text:?}"))?;
    analysis::check_frac(v).map_err(|e| e.to_string())
}

pub fn parse_format(text: &str) -> Result<Format, String> {
    Format::parse(text).ok_or_else(|| format!("unknown format {text:?} (csv or npy)"))
}
