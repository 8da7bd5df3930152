//! Connections: names resolved, synapses generated, weights and delays resolved, the CSR
//! built, plasticity set up.
//!
//! Randomness decomposes by target: connection `k`'s `fixed_probability` and
//! `fixed_indegree` rules draw target `j`'s sources from the stream
//! `(seed, "connections[k].rule", j)`, and per-synapse weight and delay distributions draw
//! target `j`'s values from `(seed, "connections[k].weight", j)` and `(…delay, j)`, in the
//! order of its synapses. Any subset of targets (a thread's or an MPI rank's neurons) can
//! therefore be generated without drawing the rest, and the network does not depend on how
//! it is split. `fixed_outdegree` draws per source.

use super::names::{Names, Node};
use super::values::{check, drew, err, resolve_values, sampler, Check, Res, MAX_ELEMENTS};
use super::{Budget, BuildOptions};
use crate::input::stream;
use crate::network::connectivity::{Block, Values, STATIC};
use crate::network::{Connectivity, InputEntry, PopulationEntry};
use crate::neuron::NeuronModel;
use crate::plasticity;
use crate::scenario::{Connection, Pairing, ParamValue, Plasticity, Rule, Scenario, StdpRule};
use rand::Rng;
use rand_pcg::Pcg64;
use rayon::prelude::*;
use std::collections::HashMap;

/// Bytes per synapse at the peak of building: a connection's pairs (8, twice while a
/// rule sorts them by source), its weights (8), per-synapse delays (8, only if they vary)
/// and the CSR entry (target 4 + weight 8 + receptor 1).
const BUILD_BYTES_PER_SYNAPSE: f64 = 8.0 + 8.0 + 8.0 + 8.0 + 13.0;

/// The random streams of one aspect of one connection, one per target (or source).
pub(crate) struct Streams {
    seed: u64,
    label: String,
}

impl Streams {
    fn new(seed: u64, k: usize, aspect: &str) -> Self {
        Streams {
            seed,
            label: format!("connections[{k}].{aspect}"),
        }
    }
    /// The stream of target (or source) `j`.
    fn rng(&self, j: usize) -> Pcg64 {
        stream(self.seed, &self.label, j as u64)
    }
}

/// A probed connection's pairs (generation order) and each one's CSR index.
pub(crate) type Probed = (Vec<(u32, u32)>, Vec<u32>);

/// What the connections stage produces.
pub(crate) struct Built {
    pub connectivity: Connectivity,
    pub plasticity: Option<plasticity::State>,
    /// For each connection a weight probe samples: its pairs (generation order) and where
    /// each landed in the CSR (`u32::MAX` for a synapse kept by another partition).
    pub probed: HashMap<usize, Probed>,
    /// Synapses generated in all (before keeping a partition's).
    pub total: u64,
}

/// The populations and inputs connections refer to.
pub(crate) struct Nodes<'a> {
    pub names: &'a Names<'a>,
    pub populations: &'a [PopulationEntry],
    pub inputs: &'a [InputEntry],
    pub n_neurons: usize,
    /// Keep only the synapses onto these neurons (an MPI rank's); all when `None`.
    pub owned: Option<std::ops::Range<u32>>,
}

/// Builds every connection of `sc`.
pub(crate) fn build_all(
    sc: &Scenario,
    nodes: &Nodes,
    limits: &BuildOptions,
    budget: &mut Budget,
    mut keep: Option<&mut Vec<Block>>,
) -> Res<Built> {
    let probed: Vec<usize> = sc
        .record
        .as_ref()
        .map_or(vec![], |r| r.weights.iter().map(|w| w.connection).collect());
    let mut blocks: Vec<Block> = Vec::with_capacity(sc.connections.len());
    let mut rules = Vec::new();
    let mut n_stdp = 0usize;
    let mut n_synapses = 0usize;
    let mut probed_pairs = HashMap::new();
    for (k, c) in sc.connections.iter().enumerate() {
        let mut block = build_one(sc.seed, k, c, nodes, limits, budget)?;
        n_synapses += block.pairs.len();
        if n_synapses as u64 > MAX_ELEMENTS {
            return err(
                format!("connections[{k}].rule"),
                format!("more than {MAX_ELEMENTS} synapses in total"),
            );
        }
        if let Some(pl) = &c.plasticity {
            let n = block.pairs.len();
            let each: Vec<f64> = (0..n).map(|m| block.weights.get(m)).collect();
            let path = format!("connections[{k}]");
            rules.push(plasticity_rule(pl, &path, &each, &mut n_stdp)?);
            block.rule = (rules.len() - 1) as u16;
        }
        let pairs = probed.contains(&k).then(|| block.pairs.clone());
        let kept = nodes.owned.clone().map(|r| keep_owned(&mut block, r));
        if let Some(pairs) = pairs {
            block.want_position = true;
            probed_pairs.insert(k, (pairs, kept));
        }
        if let Some(keep) = keep.as_deref_mut() {
            keep.push(block.clone());
        }
        blocks.push(block);
    }
    let n_nodes = nodes.n_neurons + nodes.inputs.iter().map(|i| i.sources.len()).sum::<usize>();
    let (connectivity, positions) = Connectivity::from_blocks(n_nodes, blocks);
    let plasticity = (!rules.is_empty()).then(|| {
        plasticity::State::new(
            rules,
            &connectivity.rule,
            &connectivity.target,
            nodes.n_neurons,
        )
    });
    let probed = probed_pairs
        .into_iter()
        .map(|(k, (pairs, kept))| {
            let pos = positions[k].clone().unwrap_or_default();
            // positions of a partition's kept synapses, back in generation order
            let pos = match kept {
                None => pos,
                Some(kept) => {
                    let mut full = vec![u32::MAX; pairs.len()];
                    for (p, m) in pos.into_iter().zip(kept) {
                        full[m as usize] = p;
                    }
                    full
                }
            };
            (k, (pairs, pos))
        })
        .collect();
    Ok(Built {
        connectivity,
        plasticity,
        probed,
        total: n_synapses as u64,
    })
}

/// One connection's synapses, weights and delays (its plasticity rule is set by the caller).
fn build_one(
    seed: u64,
    k: usize,
    c: &Connection,
    nodes: &Nodes,
    limits: &BuildOptions,
    budget: &mut Budget,
) -> Res<Block> {
    let path = format!("connections[{k}]");
    let from = nodes.names.lookup(&c.from, format!("{path}.from"))?;
    let to = nodes.names.population(
        &c.to,
        format!("{path}.to"),
        "; connections must target a neuron population",
    )?;
    let (src_size, src_base, from_input) = match from {
        Node::Population(s) => {
            let p = &nodes.populations[s];
            (p.neurons.len(), p.offset.index(), false)
        }
        Node::Input(s) => {
            let i = &nodes.inputs[s];
            (i.sources.len(), nodes.n_neurons + i.offset.index(), true)
        }
    };
    let target = &nodes.populations[to];
    let tgt_size = target.neurons.len();
    let same = matches!(from, Node::Population(s) if s == to);
    let n_receptors = target.neurons.n_receptors();
    if n_receptors == 0 {
        return err(
            format!("{path}.to"),
            format!(
                "population \"{}\" has no receptors (its params.receptors is empty): nothing can connect to it",
                c.to
            ),
        );
    }
    if c.receptor >= n_receptors {
        return err(
            format!("{path}.receptor"),
            format!(
                "index {} out of range: population \"{}\" has {n_receptors} receptor(s) (0..{})",
                c.receptor,
                c.to,
                n_receptors.saturating_sub(1)
            ),
        );
    }
    let expected = match &c.rule {
        Rule::AllToAll => src_size as f64 * tgt_size as f64,
        Rule::OneToOne => src_size as f64,
        Rule::FixedProbability(p) => src_size as f64 * tgt_size as f64 * p.clamp(0.0, 1.0),
        Rule::FixedIndegree(k) => *k as f64 * tgt_size as f64,
        Rule::FixedOutdegree(k) => *k as f64 * src_size as f64,
        Rule::Pairs(p) => p.len() as f64,
    };
    check_degree(
        &c.rule,
        &format!("{path}.rule"),
        src_size,
        tgt_size,
        same && !c.autapses,
    )?;
    budget.charge(
        expected * BUILD_BYTES_PER_SYNAPSE,
        &format!("{path}.rule"),
        &format!("about {expected:.3e} synapses"),
    )?;
    let rule_streams = Streams::new(seed, k, "rule");
    let pairs = generate_pairs(
        &c.rule,
        &format!("{path}.rule"),
        src_size,
        tgt_size,
        same,
        c.autapses,
        &rule_streams,
    )?;
    let weights = synapse_values(
        &c.weight,
        &format!("{path}.weight"),
        &pairs,
        tgt_size,
        Check::Potential,
        " mV",
        &Streams::new(seed, k, "weight"),
    )?;
    let delay_check = if from_input {
        Check::NonNegative
    } else {
        Check::Delay
    };
    let delays = synapse_values(
        &c.delay,
        &format!("{path}.delay"),
        &pairs,
        tgt_size,
        delay_check,
        " ms",
        &Streams::new(seed, k, "delay"),
    )?;
    let delays = match limits.input_grid {
        Some(dt) if limits.grid_delays => snap_delays(delays, dt, from_input),
        _ => delays,
    };
    Ok(Block {
        source_base: src_base as u32,
        target_base: target.offset.0,
        pairs,
        weights,
        delays,
        receptor: c.receptor as u8,
        rule: STATIC,
        want_position: false,
    })
}

/// Keeps only the synapses of `block` onto the global neurons `owned`; returns the
/// generation index of each synapse kept.
fn keep_owned(block: &mut Block, owned: std::ops::Range<u32>) -> Vec<u32> {
    let base = block.target_base;
    let kept: Vec<u32> = (0..block.pairs.len() as u32)
        .filter(|&m| owned.contains(&(base + block.pairs[m as usize].1)))
        .collect();
    block.pairs = kept.iter().map(|&m| block.pairs[m as usize]).collect();
    for values in [&mut block.weights, &mut block.delays] {
        if let Values::Each(v) = values {
            *v = kept.iter().map(|&m| v[m as usize]).collect();
        }
    }
    kept
}

/// Delays rounded to the clock grid `dt` (at least one step between neuron populations).
fn snap_delays(delays: Values, dt: f64, from_input: bool) -> Values {
    let snap = |d: f64| {
        let r = (d / dt).round() * dt;
        if from_input {
            r
        } else {
            r.max(dt)
        }
    };
    match delays {
        Values::Const(d) => Values::Const(snap(d)),
        Values::Each(ds) => Values::Each(ds.into_iter().map(snap).collect()),
    }
}

/// Resolves a per-synapse value: one value (stored once), a list (one per synapse in
/// generation order), or a distribution drawn per target from `streams`, each target's
/// synapses in generation order.
fn synapse_values(
    value: &ParamValue,
    path: &str,
    pairs: &[(u32, u32)],
    nt: usize,
    c: Check,
    unit: &str,
    streams: &Streams,
) -> Res<Values> {
    let ParamValue::Distribution(d) = value else {
        let mut unused = streams.rng(0);
        return resolve_values(
            value,
            path,
            pairs.len(),
            "one per generated synapse",
            c,
            unit,
            &mut unused,
        );
    };
    let draw = sampler(d, path)?;
    // synapses grouped by target (counting sort; generation order within a target)
    let mut start = vec![0u32; nt + 1];
    for &(_, j) in pairs {
        start[j as usize + 1] += 1;
    }
    for j in 0..nt {
        start[j + 1] += start[j];
    }
    let mut by_target = vec![0u32; pairs.len()];
    let mut fill = start.clone();
    for (m, &(_, j)) in pairs.iter().enumerate() {
        by_target[fill[j as usize] as usize] = m as u32;
        fill[j as usize] += 1;
    }
    drop(fill);
    let mut out = vec![0.0; pairs.len()];
    for j in 0..nt {
        let mut rng = streams.rng(j);
        for &m in &by_target[start[j] as usize..start[j + 1] as usize] {
            let v = draw(&mut rng);
            if let Err(msg) = c.test(v, unit) {
                return err(path, drew(v, &format!("synapse {m}"), &msg));
            }
            out[m as usize] = v;
        }
    }
    Ok(Values::Each(out))
}

/// Calls `push(i)` for each source `i` in `0..ns` (but `exclude`) chosen independently with
/// probability `p`, in ascending order, by geometric skipping: the gap to the next chosen
/// source is `⌊ln U / ln(1 − p)⌋`, so the cost is O(chosen), not O(ns).
fn bernoulli_sources(
    rng: &mut Pcg64,
    ns: usize,
    p: f64,
    exclude: Option<usize>,
    mut push: impl FnMut(usize),
) {
    let m = ns - usize::from(exclude.is_some());
    let map = |i: usize| match exclude {
        Some(x) if i >= x => i + 1,
        _ => i,
    };
    if p >= 1.0 {
        (0..m).for_each(|i| push(map(i)));
        return;
    }
    if p <= 0.0 {
        return;
    }
    let log_q = (-p).ln_1p();
    let mut i = 0usize;
    loop {
        // U in (0, 1]: ln U ≤ 0, so the gap is ≥ 0 (U = 1 − uniform[0, 1))
        let u: f64 = 1.0 - rng.random::<f64>();
        let gap = (u.ln() / log_q).floor();
        // (a NaN gap cannot occur: u > 0 and log_q < 0)
        if gap >= (m - i) as f64 {
            return;
        }
        i += gap as usize;
        push(map(i));
        i += 1;
        if i >= m {
            return;
        }
    }
}

/// The synapses of one connection as `(source, target)` pairs in generation order
/// (source-major, targets ascending within a source, except for explicit pairs). Random
/// rules draw from one stream per target (`fixed_probability`, `fixed_indegree`) or per
/// source (`fixed_outdegree`), keyed by `label`, so any part of the network can be drawn
/// without drawing the rest.
fn generate_pairs(
    rule: &Rule,
    path: &str,
    ns: usize,
    nt: usize,
    same: bool,
    autapses: bool,
    streams: &Streams,
) -> Res<Vec<(u32, u32)>> {
    let skip = |i: usize, j: usize| same && !autapses && i == j;
    let guard = |count: f64| synapse_limit(path, count);
    let mut out = Vec::new();
    match rule {
        Rule::AllToAll => {
            guard(ns as f64 * nt as f64)?;
            out.reserve(ns * nt);
            for i in 0..ns {
                for j in 0..nt {
                    if !skip(i, j) {
                        out.push((i as u32, j as u32));
                    }
                }
            }
        }
        Rule::OneToOne => {
            if ns != nt {
                return err(
                    path,
                    format!("one_to_one needs equal sizes, got {ns} sources and {nt} targets"),
                );
            }
            if same && !autapses {
                return err(path, "one_to_one within one population connects each neuron to itself; set \"autapses\": true");
            }
            out.extend((0..ns as u32).map(|i| (i, i)));
        }
        Rule::FixedProbability(p) => {
            if !(0.0..=1.0).contains(p) {
                return err(
                    format!("{path}.fixed_probability"),
                    format!("must be in [0, 1], got {p}"),
                );
            }
            guard(ns as f64 * nt as f64 * p)?;
            // generated target by target (sources only, 4 B each); stored source-major,
            // targets ascending
            let mut sources = Vec::new();
            let mut ends = Vec::with_capacity(nt);
            for j in 0..nt {
                let exclude = (same && !autapses).then_some(j);
                let mut rng = streams.rng(j);
                bernoulli_sources(&mut rng, ns, *p, exclude, |i| sources.push(i as u32));
                ends.push(sources.len());
            }
            out = source_major(sources, ends.into_iter(), ns);
        }
        Rule::FixedIndegree(_) | Rule::FixedOutdegree(_) => {
            out = degree_pairs(rule, path, ns, nt, same && !autapses, streams)?;
        }
        Rule::Pairs(pairs) => {
            for (m, &[i, j]) in pairs.iter().enumerate() {
                if i >= ns {
                    return err(
                        format!("{path}.pairs[{m}][0]"),
                        format!("source index {i} out of range (0..{})", ns - 1),
                    );
                }
                if j >= nt {
                    return err(
                        format!("{path}.pairs[{m}][1]"),
                        format!("target index {j} out of range (0..{})", nt - 1),
                    );
                }
                if skip(i, j) {
                    return err(format!("{path}.pairs[{m}]"), "an autapse (i -> i within one population); set \"autapses\": true to allow it");
                }
                out.push((i as u32, j as u32));
            }
        }
    }
    Ok(out)
}

/// Refuses a `fixed_indegree` or `fixed_outdegree` larger than the distinct sources or
/// targets there are (before the memory estimate, which such a degree would only confuse).
fn check_degree(rule: &Rule, path: &str, ns: usize, nt: usize, no_self: bool) -> Res<()> {
    let (k, from, key, noun) = match rule {
        Rule::FixedIndegree(k) => (*k, ns, "fixed_indegree", "sources"),
        Rule::FixedOutdegree(k) => (*k, nt, "fixed_outdegree", "targets"),
        _ => return Ok(()),
    };
    let avail = if no_self {
        from.saturating_sub(1)
    } else {
        from
    };
    if k > avail {
        let why = if no_self { " (autapses excluded)" } else { "" };
        return err(
            format!("{path}.{key}"),
            format!("{k} is more than the {avail} distinct {noun} available{why}"),
        );
    }
    Ok(())
}

/// Pairs of the `fixed_indegree` (per-target streams) and `fixed_outdegree` (per-source
/// streams) rules; `no_self` excludes i == j.
fn degree_pairs(
    rule: &Rule,
    path: &str,
    ns: usize,
    nt: usize,
    no_self: bool,
    streams: &Streams,
) -> Res<Vec<(u32, u32)>> {
    let guard = |count: f64| synapse_limit(path, count);
    check_degree(rule, path, ns, nt, no_self)?;
    // indegree: for each target, k of the sources; outdegree: for each source, k targets
    let (k, per, from) = match rule {
        Rule::FixedIndegree(k) => (*k, nt, ns),
        Rule::FixedOutdegree(k) => (*k, ns, nt),
        _ => return Ok(vec![]),
    };
    guard(per as f64 * k as f64)?;
    if matches!(rule, Rule::FixedIndegree(_)) {
        // drawn target-major, keeping only the sources (target = index / k): 4 B per
        // synapse while drawing instead of 8, then one counting sort into pairs
        // Every target has a stream of its own, so targets are drawn in parallel into
        // their own k slots: the same sources for any number of threads.
        let mut sources = vec![0u32; per * k];
        if k > 0 {
            sources
                .par_chunks_mut(k)
                .enumerate()
                .for_each(|(x, slots)| {
                    // ascending, excluding x itself when no_self
                    let picked = choose(&mut streams.rng(x), from, k, no_self, x);
                    for (slot, y) in slots.iter_mut().zip(picked) {
                        *slot = y as u32;
                    }
                });
        }
        return Ok(source_major(sources, (1..=per).map(|x| x * k), ns));
    }
    let mut out = Vec::with_capacity(per * k);
    for x in 0..per {
        for y in choose(&mut streams.rng(x), from, k, no_self, x) {
            out.push((x as u32, y as u32));
        }
    }
    Ok(out)
}

/// Refuses a rule that would create more than MAX_ELEMENTS synapses.
fn synapse_limit(path: &str, count: f64) -> Res<()> {
    if count > MAX_ELEMENTS as f64 {
        return err(
            path,
            format!("would create about {count:.3e} synapses; at most {MAX_ELEMENTS}"),
        );
    }
    Ok(())
}

/// Synapses drawn target-major as the source of each (`ends` gives, target by target, the
/// end of its run in `sources`) as `(source, target)` pairs, source-major with targets
/// ascending: a stable counting sort, O(n), whose only buffer besides the result is the
/// 4-byte sources (freed on return), so the peak is 12 B per synapse rather than 16.
fn source_major(
    sources: Vec<u32>,
    ends: impl Iterator<Item = usize>,
    ns: usize,
) -> Vec<(u32, u32)> {
    let mut start = vec![0usize; ns + 1];
    for &i in &sources {
        start[i as usize + 1] += 1;
    }
    for i in 0..ns {
        start[i + 1] += start[i];
    }
    let mut out = vec![(0, 0); sources.len()];
    let mut m = 0;
    for (j, end) in ends.enumerate() {
        for &i in &sources[m..end] {
            let k = &mut start[i as usize];
            out[*k] = (i, j as u32);
            *k += 1;
        }
        m = end;
    }
    out
}

/// `k` distinct indices from `0..n`, excluding `exclude` when `skip` is set; ascending.
fn choose(rng: &mut Pcg64, n: usize, k: usize, skip: bool, exclude: usize) -> Vec<usize> {
    let m = if skip { n - 1 } else { n };
    let mut picked: Vec<usize> = rand::seq::index::sample(rng, m, k).into_iter().collect();
    if skip {
        for v in &mut picked {
            if *v >= exclude {
                *v += 1;
            }
        }
    }
    picked.sort_unstable();
    picked
}

/// Resolves a connection's plasticity, checking its parameters and the initial weights.
fn plasticity_rule(
    pl: &Plasticity,
    path: &str,
    weights: &[f64],
    n_stdp: &mut usize,
) -> Res<plasticity::Rule> {
    match pl {
        Plasticity::Stdp(p) => {
            let pp = format!("{path}.plasticity.stdp");
            check(&format!("{pp}.tau_plus"), p.tau_plus, Check::Tau, " ms")?;
            check(&format!("{pp}.tau_minus"), p.tau_minus, Check::Tau, " ms")?;
            check(&format!("{pp}.a_plus"), p.a_plus, Check::NonNegative, "")?;
            check(&format!("{pp}.a_minus"), p.a_minus, Check::NonNegative, "")?;
            check(&format!("{pp}.w_min"), p.w_min, Check::Potential, " mV")?;
            check(&format!("{pp}.w_max"), p.w_max, Check::Potential, " mV")?;
            if p.w_min > p.w_max {
                return err(
                    format!("{pp}.w_min"),
                    format!("must be <= w_max ({} mV), got {}", p.w_max, p.w_min),
                );
            }
            if let Some((k, w)) = weights
                .iter()
                .enumerate()
                .find(|(_, &w)| w < p.w_min || w > p.w_max)
            {
                return err(
                    format!("{path}.weight"),
                    format!(
                        "synapse {k} starts at {w} mV, outside the STDP bounds [{}, {}] mV",
                        p.w_min, p.w_max
                    ),
                );
            }
            *n_stdp += 1;
            Ok(plasticity::Rule::Stdp {
                p: plasticity::Stdp {
                    tau_plus: p.tau_plus,
                    tau_minus: p.tau_minus,
                    a_plus: p.a_plus,
                    a_minus: p.a_minus,
                    w_min: p.w_min,
                    w_max: p.w_max,
                    rule: match p.rule {
                        StdpRule::Additive => plasticity::StdpRule::Additive,
                        StdpRule::Multiplicative => plasticity::StdpRule::Multiplicative,
                    },
                    pairing: match p.pairing {
                        Pairing::AllToAll => plasticity::Pairing::AllToAll,
                        Pairing::Nearest => plasticity::Pairing::Nearest,
                    },
                },
                post: *n_stdp - 1,
            })
        }
        Plasticity::TsodyksMarkram(tm) => {
            let pp = format!("{path}.plasticity.tsodyks_markram");
            if !(tm.u > 0.0 && tm.u <= 1.0) {
                return err(
                    format!("{pp}.u"),
                    format!("must be in (0, 1], got {}", tm.u),
                );
            }
            check(&format!("{pp}.tau_rec"), tm.tau_rec, Check::Tau, " ms")?;
            check(
                &format!("{pp}.tau_fac"),
                tm.tau_fac,
                Check::NonNegative,
                " ms",
            )?;
            Ok(plasticity::Rule::Tm(plasticity::TsodyksMarkram {
                u: tm.u,
                tau_rec: tm.tau_rec,
                tau_fac: tm.tau_fac,
            }))
        }
    }
}

#[cfg(test)]
mod tests;
