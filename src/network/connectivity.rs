//! Compressed sparse rows of synapses, struct of arrays, rows grouped by delay.

use crate::ids::{NeuronId, NodeId};

/// Most cache lines per array that [`Connectivity::prefetch_row`] requests.
pub const PREFETCH_LINES: usize = 16;

/// Values of one connection: one for every synapse, or one shared by all (stored once).
#[derive(Clone, Debug, PartialEq)]
pub enum Values {
    /// The same value for every synapse.
    Const(f64),
    /// One value per synapse, in generation order.
    Each(Vec<f64>),
}

impl Values {
    /// The value of synapse `m` (in generation order).
    #[inline]
    pub fn get(&self, m: usize) -> f64 {
        match self {
            Values::Const(v) => *v,
            Values::Each(v) => v[m],
        }
    }
}

/// One connection's synapses before compression, in generation order.
#[derive(Clone, Debug)]
pub struct Block {
    /// Global node index of local source 0.
    pub source_base: u32,
    /// Global neuron index of local target 0.
    pub target_base: u32,
    /// `(local source, local target)` pairs.
    pub pairs: Vec<(u32, u32)>,
    /// Weights \[mV\].
    pub weights: Values,
    /// Delays \[ms\].
    pub delays: Values,
    /// Receptor index at the targets.
    pub receptor: u8,
    /// Plasticity rule index, or [`STATIC`].
    pub rule: u16,
    /// Whether to report where each synapse lands in the CSR (weight probes need it).
    pub want_position: bool,
}

pub use crate::plasticity::STATIC;

/// Per-synapse delays while the CSR is built: one for all, one per block (a class per
/// synapse), or one per synapse (rows sorted afterwards).
enum Delays {
    One(f64),
    Class(Vec<u16>, Vec<f64>),
    Each(Vec<f64>),
}

impl Delays {
    fn new(block_delays: &Option<Vec<f64>>, uniform: Option<f64>, total: usize) -> Delays {
        match (uniform, block_delays) {
            (Some(d), _) => Delays::One(d),
            (None, Some(_)) => Delays::Class(vec![0; total], vec![]),
            (None, None) => Delays::Each(vec![0.0; total]),
        }
    }

    /// Records synapse `k`'s delay: pair `m` of the block at `rank` in scatter order.
    #[inline]
    fn set(&mut self, k: usize, rank: usize, delays: &Values, m: usize) {
        match self {
            Delays::One(_) => {}
            Delays::Class(class, values) => {
                let d = delays.get(m);
                if values.len() <= rank {
                    values.resize(rank + 1, f64::NAN);
                }
                values[rank] = d;
                class[k] = rank as u16;
            }
            Delays::Each(each) => each[k] = delays.get(m),
        }
    }
}

impl Block {
    /// A block with no synapses (what is left once a block has been moved out).
    fn empty() -> Block {
        Block {
            source_base: 0,
            target_base: 0,
            pairs: vec![],
            weights: Values::Const(0.0),
            delays: Values::Const(0.0),
            receptor: 0,
            rule: STATIC,
            want_position: false,
        }
    }

    /// Frees everything from pair `m` on (copied already).
    fn release_from(&mut self, m: usize) {
        self.pairs.truncate(m);
        self.pairs.shrink_to_fit();
        for v in [&mut self.weights, &mut self.delays] {
            if let Values::Each(x) = v {
                x.truncate(m);
                x.shrink_to_fit();
            }
        }
    }
}

/// One delay group: a run of a node's synapses with one delay. A record of its own (rather
/// than three arrays) so that a spike reads its groups from one cache line.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Group {
    /// Delay \[ms\].
    delay: f64,
    /// First synapse; the group ends where the next one starts.
    start: u32,
    /// No target appears twice (so each target can be settled as soon as its input is
    /// applied).
    distinct: bool,
}

/// Connectivity in CSR form.
#[derive(Clone, Debug, Default)]
pub struct Connectivity {
    /// Per node: first delay group (`groups[group_offsets[n]..group_offsets[n+1]]`).
    group_offsets: Vec<u32>,
    /// The delay groups, plus a final end marker.
    groups: Vec<Group>,
    /// Per synapse: target neuron.
    pub target: Vec<NeuronId>,
    /// Per synapse: weight \[mV\].
    pub weight: Vec<f64>,
    /// Per synapse: receptor index.
    pub receptor: Vec<u8>,
    /// Per synapse: plasticity rule index ([`STATIC`] for none); empty when no synapse is
    /// plastic, so static networks store nothing for it.
    pub rule: Vec<u16>,
}

impl Connectivity {
    /// Builds the CSR for `nodes` nodes from connection blocks, with a counting sort by
    /// source (two passes, no per-synapse intermediate records). The second pass copies
    /// the blocks back to front and frees each block's tail as it goes, so the peak is about
    /// the larger of the blocks and the CSR, not their sum. Within a row, synapses are
    /// ordered by delay, stably, so equal delays keep generation order (connection order,
    /// then pair order). Returns, for each block that asked for it, the CSR index of each of
    /// its synapses.
    ///
    /// # Panics
    /// If there are more than `u32::MAX` synapses or a pair is out of range for `nodes`
    /// (the scenario builder checks both).
    pub fn from_blocks(nodes: usize, blocks: Vec<Block>) -> (Self, Vec<Option<Vec<u32>>>) {
        let total: usize = blocks.iter().map(|b| b.pairs.len()).sum();
        assert!(
            total <= u32::MAX as usize,
            "internal error: too many synapses"
        );
        // pass 1: row lengths, then row starts
        let mut cursor = vec![0u32; nodes + 1];
        for b in &blocks {
            for &(i, _) in &b.pairs {
                cursor[(b.source_base + i) as usize + 1] += 1;
            }
        }
        for n in 0..nodes {
            cursor[n + 1] += cursor[n];
        }
        let row_start = cursor;
        let plastic = blocks.iter().any(|b| b.rule != STATIC);
        // One delay per block (the common case): scattering the blocks in (stable) order of
        // their delays leaves every row sorted by delay, with no per-synapse delay and no
        // sort; a synapse's delay is its block's, found through a 2-byte class.
        let block_delays: Option<Vec<f64>> = blocks
            .iter()
            .map(|b| match b.delays {
                Values::Const(d) => Some(d),
                Values::Each(_) => None,
            })
            .collect::<Option<Vec<f64>>>()
            .filter(|d| d.len() <= usize::from(u16::MAX));
        let mut order: Vec<usize> = (0..blocks.len()).collect();
        if let Some(d) = &block_delays {
            order.sort_by(|&x, &y| d[x].total_cmp(&d[y]));
        }
        let uniform_delay = block_delays
            .as_ref()
            .and_then(|d| d.first().filter(|&&f| d.iter().all(|x| *x == f)).copied());
        let mut c = Connectivity {
            target: vec![NeuronId(0); total],
            weight: vec![0.0; total],
            receptor: vec![0; total],
            rule: if plastic { vec![STATIC; total] } else { vec![] },
            ..Default::default()
        };
        let mut delay = Delays::new(&block_delays, uniform_delay, total);
        let ends = row_start[1..].to_vec();
        let positions = c.scatter(blocks, &order, ends, &mut delay, plastic);
        match delay {
            Delays::Each(mut d) => {
                let mut positions = positions;
                c.sort_rows_by_delay(&row_start, &mut d, &mut positions);
                c.make_groups(&row_start, |k| d[k]);
                (c, positions)
            }
            Delays::Class(class, values) => {
                c.make_groups(&row_start, |k| values[class[k] as usize]);
                (c, positions)
            }
            Delays::One(d) => {
                c.make_groups(&row_start, |_| d);
                (c, positions)
            }
        }
    }

    /// Pass 2 of [`from_blocks`](Self::from_blocks): scatters the blocks into their rows in
    /// `order`, last block and last pair first, filling each row from its end (`ends`):
    /// the same layout as a forward pass, but each block's tail is freed as soon as it is
    /// copied, so the blocks and the finished CSR are never both whole in memory. Returns
    /// the positions the blocks asked for.
    fn scatter(
        &mut self,
        mut blocks: Vec<Block>,
        order: &[usize],
        mut ends: Vec<u32>,
        delay: &mut Delays,
        plastic: bool,
    ) -> Vec<Option<Vec<u32>>> {
        /// Pairs copied between two releases of a block's tail.
        const CHUNK: usize = 1 << 20;
        let mut positions: Vec<Option<Vec<u32>>> = vec![None; blocks.len()];
        for (rank, &bi) in order.iter().enumerate().rev() {
            let mut b = std::mem::replace(&mut blocks[bi], Block::empty());
            let mut pos = b.want_position.then(|| vec![0u32; b.pairs.len()]);
            let mut m = b.pairs.len();
            while m > 0 {
                let lo = m.saturating_sub(CHUNK);
                for mm in (lo..m).rev() {
                    let (i, j) = b.pairs[mm];
                    let end = &mut ends[(b.source_base + i) as usize];
                    *end -= 1;
                    let k = *end as usize;
                    self.target[k] = NeuronId(b.target_base + j);
                    self.weight[k] = b.weights.get(mm);
                    self.receptor[k] = b.receptor;
                    if plastic {
                        self.rule[k] = b.rule;
                    }
                    delay.set(k, rank, &b.delays, mm);
                    if let Some(p) = &mut pos {
                        p[mm] = k as u32;
                    }
                }
                m = lo;
                b.release_from(m);
            }
            positions[bi] = pos;
        }
        positions
    }

    /// Orders each row by delay (stable), carrying the blocks' positions along.
    fn sort_rows_by_delay(
        &mut self,
        row_start: &[u32],
        delay: &mut [f64],
        positions: &mut [Option<Vec<u32>>],
    ) {
        let total = self.target.len();
        let plastic = !self.rule.is_empty();
        let tracked = positions.iter().any(|p| p.is_some());
        let mut moved: Vec<u32> = if tracked {
            (0..total as u32).collect()
        } else {
            vec![]
        };
        let mut perm: Vec<u32> = Vec::new();
        for n in 0..row_start.len() - 1 {
            let (a, z) = (row_start[n] as usize, row_start[n + 1] as usize);
            if delay[a..z].is_sorted_by(|x, y| x <= y) {
                continue;
            }
            perm.clear();
            perm.extend(a as u32..z as u32);
            perm.sort_by(|&x, &y| delay[x as usize].total_cmp(&delay[y as usize]));
            permute(&mut self.target[a..z], &perm, a);
            permute(&mut self.weight[a..z], &perm, a);
            permute(&mut self.receptor[a..z], &perm, a);
            permute(&mut delay[a..z], &perm, a);
            if plastic {
                permute(&mut self.rule[a..z], &perm, a);
            }
            if tracked {
                permute(&mut moved[a..z], &perm, a);
            }
        }
        if tracked {
            // moved[new] = old  →  where[old] = new
            let mut place = vec![0u32; total];
            for (new, &old) in moved.iter().enumerate() {
                place[old as usize] = new as u32;
            }
            for p in positions.iter_mut().flatten() {
                for k in p.iter_mut() {
                    *k = place[*k as usize];
                }
            }
        }
    }

    /// Splits each row into delay groups (`delay_of(k)` is synapse k's delay) and marks
    /// the groups whose targets are all distinct.
    fn make_groups(&mut self, row_start: &[u32], delay_of: impl Fn(usize) -> f64) {
        let total = self.target.len();
        let nodes = row_start.len() - 1;
        self.group_offsets = Vec::with_capacity(nodes + 1);
        for n in 0..nodes {
            self.group_offsets.push(self.groups.len() as u32);
            let (a, z) = (row_start[n] as usize, row_start[n + 1] as usize);
            let mut last = f64::NAN;
            for (k, d) in (a..z).map(|k| (k, delay_of(k))) {
                if d != last {
                    self.groups.push(Group {
                        delay: d,
                        start: k as u32,
                        distinct: true,
                    });
                    last = d;
                }
            }
        }
        self.group_offsets.push(self.groups.len() as u32);
        self.groups.push(Group {
            delay: f64::NAN,
            start: total as u32,
            distinct: true,
        });
        // a target seen twice within one group: stamp each target with its latest group
        let n_targets = self.target.iter().map(|t| t.index() + 1).max().unwrap_or(0);
        let mut seen = vec![u32::MAX; n_targets];
        for g in 0..self.groups.len() - 1 {
            let (a, z) = (
                self.groups[g].start as usize,
                self.groups[g + 1].start as usize,
            );
            self.groups[g].distinct = self.target[a..z].iter().all(|t| {
                let fresh = seen[t.index()] != g as u32;
                seen[t.index()] = g as u32;
                fresh
            });
        }
    }

    /// The synapses onto neurons in `owned`, in the same order and delay groups
    /// (target-side storage for one partition of a parallel run), and for every synapse its
    /// index in the result (`u32::MAX` where dropped).
    pub fn restrict(&self, owned: std::ops::Range<u32>) -> (Connectivity, Vec<u32>) {
        let mut c = Connectivity::default();
        let mut map = vec![u32::MAX; self.len()];
        let plastic = self.is_plastic();
        let nodes = self.group_offsets.len().saturating_sub(1);
        c.group_offsets.reserve(nodes + 1);
        for node in 0..nodes {
            c.group_offsets.push(c.groups.len() as u32);
            for (delay, a, z, distinct) in self.groups_distinct(NodeId(node as u32)) {
                let start = c.target.len();
                #[allow(clippy::needless_range_loop)] // k indexes five arrays
                for k in a as usize..z as usize {
                    if owned.contains(&self.target[k].0) {
                        map[k] = c.target.len() as u32;
                        c.target.push(self.target[k]);
                        c.weight.push(self.weight[k]);
                        c.receptor.push(self.receptor[k]);
                        if plastic {
                            c.rule.push(self.rule[k]);
                        }
                    }
                }
                if c.target.len() > start {
                    // a subset of distinct targets is distinct
                    c.groups.push(Group {
                        delay,
                        start: start as u32,
                        distinct,
                    });
                }
            }
        }
        c.group_offsets.push(c.groups.len() as u32);
        c.groups.push(Group {
            delay: f64::NAN,
            start: c.target.len() as u32,
            distinct: true,
        });
        (c, map)
    }

    /// The smallest delay of any synapse from the first `n_neurons` nodes (the neurons), or
    /// `None` without such synapses: no spike can reach a neuron sooner after it was fired.
    pub fn min_neuron_delay(&self, n_neurons: usize) -> Option<f64> {
        (0..n_neurons.min(self.group_offsets.len().saturating_sub(1)))
            .flat_map(|n| self.groups(NodeId(n as u32)).map(|g| g.0))
            .min_by(f64::total_cmp)
    }

    /// True if any synapse is plastic.
    pub fn is_plastic(&self) -> bool {
        !self.rule.is_empty()
    }

    /// The delay groups of `node`: `(delay, start, end)` synapse ranges.
    #[inline]
    pub fn groups(&self, node: NodeId) -> impl Iterator<Item = (f64, u32, u32)> + '_ {
        self.groups_distinct(node).map(|(d, a, z, _)| (d, a, z))
    }

    /// The delay groups of `node` with, for each, whether its targets are all distinct.
    #[inline]
    pub fn groups_distinct(
        &self,
        node: NodeId,
    ) -> impl Iterator<Item = (f64, u32, u32, bool)> + '_ {
        let a = self.group_offsets[node.index()] as usize;
        let b = self.group_offsets[node.index() + 1] as usize;
        self.groups[a..b]
            .iter()
            .zip(&self.groups[a + 1..=b])
            .map(|(g, next)| (g.delay, g.start, next.start, g.distinct))
    }

    /// The delay groups of `node` as a range of group indices (for [`group`](Self::group)).
    #[inline]
    pub fn group_range(&self, node: NodeId) -> (u32, u32) {
        (
            self.group_offsets[node.index()],
            self.group_offsets[node.index() + 1],
        )
    }

    /// Group `gi`: `(delay, start, end, distinct)`.
    #[inline]
    pub fn group(&self, gi: u32) -> (f64, u32, u32, bool) {
        let g = self.groups[gi as usize];
        (
            g.delay,
            g.start,
            self.groups[gi as usize + 1].start,
            g.distinct,
        )
    }

    /// Hints that `node`'s delay groups will be looked up soon (its entry of the group
    /// offsets: the first of a firing's cache misses in a large network).
    #[inline]
    pub fn prefetch_groups_of(&self, node: NodeId) {
        if let Some(o) = self.group_offsets.get(node.index()) {
            crate::prefetch::prefetch(o);
        }
    }

    /// Hints that `node`'s first delay group will be read soon (reads its group offset:
    /// best once [`prefetch_groups_of`](Self::prefetch_groups_of) has brought that in).
    #[inline]
    pub fn prefetch_first_group_of(&self, node: NodeId) {
        if let Some(&a) = self.group_offsets.get(node.index()) {
            self.prefetch_group(a);
        }
    }

    /// Hints that delay group `gi`'s record will be read soon.
    #[inline]
    pub fn prefetch_group(&self, gi: u32) {
        if let Some(g) = self.groups.get(gi as usize) {
            crate::prefetch::prefetch(g);
        }
    }

    /// Hints that synapses `start..end` will be read soon: every cache line of their
    /// targets, weights and receptors, up to [`PREFETCH_LINES`] per array (fetched side by
    /// side now rather than one line after another when the delivery walks them).
    #[inline]
    pub fn prefetch_row(&self, start: usize, end: usize) {
        let end = end.min(self.target.len());
        if start >= end {
            return;
        }
        let lines = |size: usize| (start..end).step_by(64 / size).take(PREFETCH_LINES);
        for k in lines(4) {
            crate::prefetch::prefetch(&self.target[k]);
        }
        for k in lines(8) {
            crate::prefetch::prefetch(&self.weight[k]);
        }
        for k in lines(64) {
            crate::prefetch::prefetch(&self.receptor[k]);
        }
    }

    /// The targets, receptors and weights of synapses `start..end`.
    #[inline]
    pub fn arrays(&self, start: usize, end: usize) -> (&[NeuronId], &[u8], &[f64]) {
        (
            &self.target[start..end],
            &self.receptor[start..end],
            &self.weight[start..end],
        )
    }

    /// Number of synapses.
    pub fn len(&self) -> usize {
        self.target.len()
    }

    /// True without synapses.
    pub fn is_empty(&self) -> bool {
        self.target.is_empty()
    }
}

/// Reorders `xs` (the row starting at CSR index `base`) so that `xs[m] = old[perm[m] - base]`.
fn permute<T: Copy>(xs: &mut [T], perm: &[u32], base: usize) {
    let old: Vec<T> = xs.to_vec();
    for (x, &p) in xs.iter_mut().zip(perm) {
        *x = old[p as usize - base];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(source_base: u32, pairs: Vec<(u32, u32)>, delays: Values) -> Block {
        let weights = Values::Each(pairs.iter().map(|p| p.1 as f64).collect());
        Block {
            source_base,
            target_base: 0,
            pairs,
            weights,
            delays,
            receptor: 0,
            rule: STATIC,
            want_position: true,
        }
    }

    /// One delay per block is laid out by scattering the blocks in delay order; the same
    /// blocks with the delays spelled out per synapse go through the sort: same CSR, same
    /// groups, same positions.
    #[test]
    fn per_block_delays_lay_out_as_the_sort_does() {
        let pairs = |seed: u32| -> Vec<(u32, u32)> {
            (0..40u32)
                .map(|m| ((m * 7 + seed) % 5, (m * 13 + seed) % 6))
                .collect()
        };
        let delays = [2.0, 0.5, 2.0, 1.0, 0.5];
        let make = |each: bool| -> Vec<Block> {
            delays
                .iter()
                .enumerate()
                .map(|(b, &d)| {
                    let p = pairs(b as u32);
                    let v = if each {
                        Values::Each(vec![d; p.len()])
                    } else {
                        Values::Const(d)
                    };
                    block(0, p, v)
                })
                .collect()
        };
        let (a, pa) = Connectivity::from_blocks(5, make(false));
        let (b, pb) = Connectivity::from_blocks(5, make(true));
        assert_eq!((&a.target, &a.weight), (&b.target, &b.weight));
        // (the end marker's delay is NaN: compare bits)
        let key = |c: &Connectivity| -> Vec<(u64, u32, bool)> {
            c.groups
                .iter()
                .map(|g| (g.delay.to_bits(), g.start, g.distinct))
                .collect()
        };
        assert_eq!(key(&a), key(&b));
        assert_eq!(a.group_offsets, b.group_offsets);
        assert_eq!(pa, pb);
        for n in 0..5 {
            let ds: Vec<f64> = a.groups(NodeId(n)).map(|g| g.0).collect();
            assert!(ds.is_sorted_by(|x, y| x < y), "{ds:?}");
        }
    }

    #[test]
    fn rows_are_grouped_by_delay() {
        let (c, pos) = Connectivity::from_blocks(
            3,
            vec![
                block(2, vec![(0, 0)], Values::Const(1.0)),
                block(
                    0,
                    vec![(0, 1), (0, 2), (0, 3)],
                    Values::Each(vec![2.0, 1.0, 2.0]),
                ),
            ],
        );
        let g0: Vec<_> = c.groups(NodeId(0)).collect();
        assert_eq!(g0, vec![(1.0, 0, 1), (2.0, 1, 3)]);
        assert_eq!(&c.target[..3], &[NeuronId(2), NeuronId(1), NeuronId(3)]);
        assert_eq!(&c.weight[..3], &[2.0, 1.0, 3.0]);
        assert_eq!(c.groups(NodeId(1)).count(), 0);
        assert_eq!(c.groups(NodeId(2)).collect::<Vec<_>>(), vec![(1.0, 3, 4)]);
        // each block's synapses, in generation order, are found where they landed
        assert_eq!(pos, vec![Some(vec![3]), Some(vec![1, 0, 2])]);
    }

    #[test]
    fn one_delay_for_all_needs_no_per_synapse_delay() {
        let (c, _) = Connectivity::from_blocks(
            2,
            vec![
                block(1, vec![(0, 5)], Values::Const(0.5)),
                block(0, vec![(0, 7), (1, 6)], Values::Const(0.5)),
            ],
        );
        assert_eq!(c.target, vec![NeuronId(7), NeuronId(5), NeuronId(6)]);
        assert_eq!(c.groups(NodeId(0)).collect::<Vec<_>>(), vec![(0.5, 0, 1)]);
        assert_eq!(c.groups(NodeId(1)).collect::<Vec<_>>(), vec![(0.5, 1, 3)]);
    }
}
