//! Neuron populations: the build side of the model registration. Each model's parameter
//! type implements [`BuildModel`]; [`builder`] maps a [`Model`] to it (one line per
//! model; the match is exhaustive, so the compiler points at a model left out).

use super::values::{err, resolve, Check, Res};
use crate::input::stream;
use crate::neuron::lif::{Layout, LifPopulation, NeuronInit, Scalars, MAX_CHANNELS};
use crate::neuron::linear::{
    LinearNeurons, LinearPopulation, LinearSystem, MatrixError, MAX_VARIABLES,
};
use crate::neuron::qif::{QifConsts, QifPopulation};
use crate::neuron::Population;
use crate::scenario::{
    LifParams, LinearParams, Model, ParamValue, QifParams, Receptor, ReceptorKind,
};

/// What building one population needs to know.
pub struct ModelContext<'a> {
    /// Number of neurons.
    pub n: usize,
    /// JSON path of the parameters (`populations[k].params`).
    pub path: &'a str,
    /// Scenario seed.
    pub seed: u64,
    /// Population name (keys its parameters' random streams).
    pub population: &'a str,
}

impl ModelContext<'_> {
    /// Resolves parameter `key` to one value per neuron, each checked with `c`; a
    /// distribution draws from the stream of (seed, population, key).
    pub fn get(&self, v: &ParamValue, key: &str, c: Check, unit: &str) -> Res<Vec<f64>> {
        let mut rng = stream(
            self.seed,
            &format!("populations/{}/{key}", self.population),
            0,
        );
        let path = format!("{}.{key}", self.path);
        resolve(v, &path, self.n, "one per neuron", c, unit, &mut rng)
    }

    /// [`get`](Self::get) for an optional parameter, `default` when absent.
    pub fn opt(
        &self,
        v: &Option<ParamValue>,
        key: &str,
        c: Check,
        unit: &str,
        default: &[f64],
    ) -> Res<Vec<f64>> {
        match v {
            Some(v) => self.get(v, key, c, unit),
            None => Ok(default.to_vec()),
        }
    }

    /// `" for neuron i"` when the population has more than one neuron.
    fn at(&self, i: usize) -> String {
        if self.n > 1 {
            format!(" for neuron {i}")
        } else {
            String::new()
        }
    }
}

/// The build side of a neuron model: validation, memory estimate, construction.
pub trait BuildModel {
    /// Estimated bytes per neuron (state, constants, bookkeeping).
    fn bytes_per_neuron(&self) -> f64;
    /// Checks the parameters and builds the population.
    fn build(&self, ctx: &ModelContext) -> Res<Population>;
}

/// The registration of each model's build side: one line per model.
pub fn builder(model: &Model) -> &dyn BuildModel {
    match model {
        Model::Lif(p) => p,
        Model::Qif(p) => p,
        Model::Linear(p) => p,
    }
}

impl BuildModel for LifParams {
    fn bytes_per_neuron(&self) -> f64 {
        let channels = self.receptors.as_ref().map_or(1, Vec::len)
            + self.adaptation.len()
            + self.threshold_adaptation.len();
        160.0 + 48.0 * channels as f64
    }
    fn build(&self, ctx: &ModelContext) -> Res<Population> {
        build_lif(self, ctx).map(Population::Lif)
    }
}

impl BuildModel for QifParams {
    fn bytes_per_neuron(&self) -> f64 {
        160.0
    }
    fn build(&self, ctx: &ModelContext) -> Res<Population> {
        build_qif(self, ctx).map(Population::Qif)
    }
}

impl BuildModel for LinearParams {
    fn bytes_per_neuron(&self) -> f64 {
        // state, five per-neuron values, time and refractory end, bookkeeping
        (8 * (self.variables.len() + 7) + 64) as f64
    }
    fn build(&self, ctx: &ModelContext) -> Res<Population> {
        build_linear(self, ctx).map(Population::Linear)
    }
}

fn build_lif(p: &LifParams, ctx: &ModelContext) -> Res<LifPopulation> {
    let (n, path) = (ctx.n, ctx.path);
    let get = |v: &ParamValue, key: &str, c: Check, unit: &str| ctx.get(v, key, c, unit);
    let tau_m = get(&p.tau_m, "tau_m", Check::Tau, " ms")?;
    let v_rest = match &p.v_rest {
        Some(v) => get(v, "v_rest", Check::Potential, " mV")?,
        None => vec![-70.0; n],
    };
    let v_th = get(&p.v_th, "v_th", Check::Potential, " mV")?;
    let v_reset = match &p.v_reset {
        Some(v) => get(v, "v_reset", Check::Potential, " mV")?,
        None => v_rest.clone(),
    };
    for i in 0..n {
        if v_reset[i] >= v_th[i] {
            let (key, which) = if p.v_reset.is_some() {
                ("v_reset", "")
            } else {
                ("v_rest", " (v_reset defaults to v_rest)")
            };
            let at = ctx.at(i);
            return err(
                format!("{path}.{key}"),
                format!(
                    "must be < v_th{which}: got {} >= {}{at}",
                    v_reset[i], v_th[i]
                ),
            );
        }
    }
    let t_ref = match &p.t_ref {
        Some(v) => get(v, "t_ref", Check::NonNegative, " ms")?,
        None => vec![0.0; n],
    };
    let i_bias = match &p.i_bias {
        Some(v) => get(v, "i_bias", Check::Potential, " mV")?,
        None => vec![0.0; n],
    };
    let v_init = match &p.v_init {
        Some(v) => get(v, "v_init", Check::Potential, " mV")?,
        None => v_rest.clone(),
    };
    let Channels {
        kinds,
        taus: chan_taus,
        adapt_inc,
        thr_tau,
        thr_inc,
    } = lif_channels(p, ctx)?;
    let layout = Layout::new(&kinds, p.adaptation.len(), p.threshold_adaptation.len());
    let neurons = (0..n)
        .map(|i| NeuronInit {
            scalars: Scalars {
                rate_m: 1.0 / tau_m[i],
                v_inf: v_rest[i] + i_bias[i],
                v_th: v_th[i],
                v_reset: v_reset[i],
                t_ref: t_ref[i],
            },
            v_init: v_init[i],
            chan_rate: chan_taus.iter().map(|t| 1.0 / t[i]).collect(),
            adapt_inc: adapt_inc.iter().map(|a| a[i]).collect(),
            thr_rate: thr_tau.iter().map(|t| 1.0 / t[i]).collect(),
            thr_inc: thr_inc.iter().map(|a| a[i]).collect(),
        })
        .collect();
    Ok(LifPopulation::new(layout, neurons))
}

/// The current channels of a `lif` population, resolved per neuron.
struct Channels {
    /// Per receptor: `None` for delta, `Some(alpha?)` for a current receptor.
    kinds: Vec<Option<bool>>,
    /// Per channel (current receptors, then adaptation): its tau per neuron.
    taus: Vec<Vec<f64>>,
    adapt_inc: Vec<Vec<f64>>,
    thr_tau: Vec<Vec<f64>>,
    thr_inc: Vec<Vec<f64>>,
}

fn lif_channels(p: &LifParams, ctx: &ModelContext) -> Res<Channels> {
    let path = ctx.path;
    let get = |v: &ParamValue, key: &str, c: Check, unit: &str| ctx.get(v, key, c, unit);
    let default_receptors = vec![Receptor {
        kind: ReceptorKind::Delta,
        tau: None,
    }];
    let receptors = p.receptors.as_ref().unwrap_or(&default_receptors);
    if receptors.len() > 255 {
        return err(format!("{path}.receptors"), "at most 255 receptors");
    }
    let mut kinds = Vec::new();
    let mut chan_taus: Vec<Vec<f64>> = Vec::new();
    for (k, r) in receptors.iter().enumerate() {
        let rp = format!("receptors[{k}]");
        match (r.kind, &r.tau) {
            (ReceptorKind::Delta, None) => kinds.push(None),
            (ReceptorKind::Delta, Some(_)) => {
                return err(
                    format!("{path}.{rp}.tau"),
                    "a delta receptor has no time constant; remove \"tau\"",
                )
            }
            (kind, Some(tau)) => {
                kinds.push(Some(kind == ReceptorKind::Alpha));
                chan_taus.push(get(tau, &format!("{rp}.tau"), Check::Tau, " ms")?);
            }
            (_, None) => {
                return err(
                    format!("{path}.{rp}"),
                    "missing field `tau` (ms): exp and alpha receptors need a time constant",
                )
            }
        }
    }
    let mut adapt_inc = Vec::new();
    for (k, a) in p.adaptation.iter().enumerate() {
        let ap = format!("adaptation[{k}]");
        chan_taus.push(get(&a.tau, &format!("{ap}.tau"), Check::Tau, " ms")?);
        adapt_inc.push(get(
            &a.increment,
            &format!("{ap}.increment"),
            Check::Potential,
            " mV",
        )?);
    }
    let mut thr_tau = Vec::new();
    let mut thr_inc = Vec::new();
    for (k, a) in p.threshold_adaptation.iter().enumerate() {
        let ap = format!("threshold_adaptation[{k}]");
        thr_tau.push(get(&a.tau, &format!("{ap}.tau"), Check::Tau, " ms")?);
        thr_inc.push(get(
            &a.increment,
            &format!("{ap}.increment"),
            Check::NonNegative,
            " mV",
        )?);
    }
    if chan_taus.len() + thr_tau.len() > MAX_CHANNELS {
        return err(
            path,
            format!(
                "at most {MAX_CHANNELS} exp/alpha receptors, adaptation and threshold-adaptation terms \
                 per population, got {}",
                chan_taus.len() + thr_tau.len()
            ),
        );
    }
    Ok(Channels {
        kinds,
        taus: chan_taus,
        adapt_inc,
        thr_tau,
        thr_inc,
    })
}
fn build_qif(p: &QifParams, ctx: &ModelContext) -> Res<QifPopulation> {
    let (n, path) = (ctx.n, ctx.path);
    let get = |v: &ParamValue, key: &str, c: Check, unit: &str| ctx.get(v, key, c, unit);
    let opt = |v: &Option<ParamValue>, key: &str, c: Check, unit: &str, default: &[f64]| {
        ctx.opt(v, key, c, unit, default)
    };
    let tau_m = get(&p.tau_m, "tau_m", Check::Tau, " ms")?;
    let v_rest = opt(
        &p.v_rest,
        "v_rest",
        Check::Potential,
        " mV",
        &vec![-70.0; n],
    )?;
    let v_crit = get(&p.v_crit, "v_crit", Check::Potential, " mV")?;
    let v_peak = get(&p.v_peak, "v_peak", Check::Potential, " mV")?;
    let v_reset = opt(&p.v_reset, "v_reset", Check::Potential, " mV", &v_rest)?;
    let t_ref = opt(&p.t_ref, "t_ref", Check::NonNegative, " ms", &vec![0.0; n])?;
    let i_bias = opt(&p.i_bias, "i_bias", Check::Potential, " mV", &vec![0.0; n])?;
    let v_init = opt(&p.v_init, "v_init", Check::Potential, " mV", &v_rest)?;
    let at = |i: usize| ctx.at(i);
    // (checked key, its values, the bound's name, the bound's values, must be above it)
    let orders = [
        ("v_crit", &v_crit, "v_rest", &v_rest, true),
        ("v_peak", &v_peak, "v_crit", &v_crit, true),
        ("v_reset", &v_reset, "v_peak", &v_peak, false),
        ("v_init", &v_init, "v_peak", &v_peak, false),
    ];
    for (key, vals, bound_name, bound, above) in orders {
        for i in 0..n {
            let ok = if above {
                vals[i] > bound[i]
            } else {
                vals[i] < bound[i]
            };
            if !ok {
                let rel = if above { ">" } else { "<" };
                return err(
                    format!("{path}.{key}"),
                    format!(
                        "must be {rel} {bound_name} ({} mV), got {}{}",
                        bound[i],
                        vals[i],
                        at(i)
                    ),
                );
            }
        }
    }
    let mut consts = Vec::with_capacity(n);
    for i in 0..n {
        let d = v_crit[i] - v_rest[i];
        consts.push(QifConsts {
            tau: tau_m[i] * d,
            mid: 0.5 * (v_rest[i] + v_crit[i]),
            c: i_bias[i] * d - 0.25 * d * d,
            span: d,
            v_peak: v_peak[i],
            v_reset: v_reset[i],
            t_ref: t_ref[i],
        });
    }
    Ok(QifPopulation::new(consts, v_init))
}

fn build_linear(p: &LinearParams, ctx: &ModelContext) -> Res<LinearPopulation> {
    let (n, path) = (ctx.n, ctx.path);
    let vars = &p.variables;
    let nv = vars.len();
    if nv == 0 || nv > MAX_VARIABLES {
        return err(
            format!("{path}.variables"),
            format!("must name 1 to {MAX_VARIABLES} variables (V first), got {nv}"),
        );
    }
    for (k, name) in vars.iter().enumerate() {
        // (written unquoted in state.csv, as population names are)
        super::names::check_name(name, format!("{path}.variables[{k}]"))?;
        if vars[..k].contains(name) {
            return err(
                format!("{path}.variables[{k}]"),
                format!("must be a distinct name, got {name:?} twice"),
            );
        }
    }
    let index = |name: &str, at: String| -> Res<usize> {
        vars.iter().position(|v| v == name).map_or_else(
            || {
                err(
                    at,
                    format!("{name:?} is not a variable (variables: {vars:?})"),
                )
            },
            Ok,
        )
    };
    if p.matrix.len() != nv {
        return err(
            format!("{path}.matrix"),
            format!(
                "must have one row per variable ({nv}), got {}",
                p.matrix.len()
            ),
        );
    }
    for (k, row) in p.matrix.iter().enumerate() {
        if row.len() != nv {
            return err(
                format!("{path}.matrix[{k}]"),
                format!("must have one entry per variable ({nv}), got {}", row.len()),
            );
        }
        for (j, &v) in row.iter().enumerate() {
            Check::Finite
                .test(v, " 1/ms")
                .or_else(|m| err(format!("{path}.matrix[{k}][{j}]"), m))?;
        }
    }
    let rest: Vec<f64> = match &p.rest {
        Some(r) => {
            if r.len() != nv {
                return err(
                    format!("{path}.rest"),
                    format!("must have one value per variable ({nv}), got {}", r.len()),
                );
            }
            for (k, &v) in r.iter().enumerate() {
                Check::Potential
                    .test(v, "")
                    .or_else(|m| err(format!("{path}.rest[{k}]"), m))?;
            }
            r.clone()
        }
        None => (0..nv).map(|k| if k == 0 { -70.0 } else { 0.0 }).collect(),
    };
    let sys = LinearSystem::new(&p.matrix, &rest).or_else(|e| {
        let why = match e {
            MatrixError::Shape(m) => m,
            MatrixError::NoLeak => format!(
                "V must leak: matrix[0][0] (dV/dt per mV of V) must be < 0, got {}",
                p.matrix[0][0]
            ),
            MatrixError::Unstable => "must be stable: the deviations from rest must decay \
                 (every eigenvalue with a negative real part), at a rate the model can \
                 certify (a Lyapunov function's) of at least 1e-9 of the matrix's largest \
                 row sum; strongly non-normal matrices, e.g. [[-1, 1e5], [0, -1]], fail the \
                 latter"
                .to_string(),
        };
        err(format!("{path}.matrix"), why)
    })?;
    let receptors = match &p.receptors {
        Some(r) => {
            if r.is_empty() {
                return err(format!("{path}.receptors"), "must not be empty".to_string());
            }
            if r.len() > 255 {
                return err(format!("{path}.receptors"), "at most 255 receptors");
            }
            r.iter()
                .enumerate()
                .map(|(k, name)| index(name, format!("{path}.receptors[{k}]")))
                .collect::<Res<Vec<_>>>()?
        }
        None => vec![0],
    };
    let mut jumps = Vec::new();
    for (name, &inc) in &p.jumps {
        let at = format!("{path}.jumps.{name}");
        let k = index(name, at.clone())?;
        if k == 0 {
            return err(
                at,
                "V is reset at a spike, it cannot jump (use v_reset)".to_string(),
            );
        }
        Check::Finite.test(inc, "").or_else(|m| err(at, m))?;
        jumps.push((k, inc));
    }
    let get = |v: &ParamValue, key: &str, c: Check, unit: &str| ctx.get(v, key, c, unit);
    let opt = |v: &Option<ParamValue>, key: &str, c: Check, unit: &str, default: &[f64]| {
        ctx.opt(v, key, c, unit, default)
    };
    let v_rest = vec![rest[0]; n];
    let v_th = get(&p.v_th, "v_th", Check::Potential, " mV")?;
    let v_reset = opt(&p.v_reset, "v_reset", Check::Potential, " mV", &v_rest)?;
    let t_ref = opt(&p.t_ref, "t_ref", Check::NonNegative, " ms", &vec![0.0; n])?;
    let i_bias = opt(&p.i_bias, "i_bias", Check::Potential, " mV", &vec![0.0; n])?;
    let v_init = opt(&p.v_init, "v_init", Check::Potential, " mV", &v_rest)?;
    // While V is held the other variables evolve under A without V's row and column (V
    // enters as a constant): that block need not be stable, and where it grows, repeated
    // refractory periods multiply the growth until the state overflows.
    let longest = t_ref.iter().copied().fold(0.0, f64::max);
    if nv > 1 && longest > 0.0 {
        let a = nalgebra::DMatrix::from_fn(nv - 1, nv - 1, |i, j| p.matrix[i + 1][j + 1]);
        // (a Schur iteration that does not converge leaves the block unchecked)
        if let Some(lam) = crate::neuron::linear::eigenvalues(&a) {
            let growth = lam.iter().map(|l| l.re).fold(f64::MIN, f64::max);
            if growth > 0.0 {
                return err(
                    format!("{path}.t_ref"),
                    format!(
                        "while V is held (t_ref > 0) the other variables evolve under the \
                         matrix without V's row and column, and that block grows (an \
                         eigenvalue with real part {growth:.3e}/ms): repeated refractory \
                         periods would multiply it without bound; make that block stable \
                         or set t_ref to 0"
                    ),
                );
            }
        }
    }
    for i in 0..n {
        if v_reset[i] >= v_th[i] {
            return err(
                format!("{path}.v_reset"),
                format!(
                    "must be < v_th ({} mV), got {}{}",
                    v_th[i],
                    v_reset[i],
                    ctx.at(i)
                ),
            );
        }
    }
    Ok(LinearPopulation::new(
        sys,
        LinearNeurons {
            v_th,
            v_reset,
            t_ref,
            i_bias,
            v_init,
        },
        receptors,
        jumps,
    )
    .named(vars.clone()))
}
