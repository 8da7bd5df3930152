//! Compressed sparse rows of synapses, struct of arrays, rows grouped by delay.

/// One synapse before compression.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Synapse {
    /// Global node index of the source (neuron, or `n_neurons + source`).
    pub source: u32,
    /// Global neuron index of the target.
    pub target: u32,
    /// Weight [mV].
    pub weight: f64,
    /// Delay [ms].
    pub delay: f64,
    /// Receptor index at the target.
    pub receptor: u8,
    /// Plasticity rule index, or [`STATIC`].
    pub rule: u16,
}

/// The rule index of a synapse without plasticity.
pub const STATIC: u16 = u16::MAX;

/// Connectivity in CSR form.
#[derive(Clone, Debug, Default)]
pub struct Connectivity {
    /// Per node: first delay group (`groups[group_offsets[n]..group_offsets[n+1]]`).
    group_offsets: Vec<u32>,
    /// Start synapse of each delay group, plus a final end marker.
    group_start: Vec<u32>,
    /// Per synapse: target neuron.
    pub target: Vec<u32>,
    /// Per synapse: weight [mV].
    pub weight: Vec<f64>,
    /// Per synapse: receptor index.
    pub receptor: Vec<u8>,
    /// Per delay group: delay [ms].
    group_delay: Vec<f64>,
    /// Per synapse: plasticity rule index ([`STATIC`] for none); empty when no synapse is
    /// plastic, so static networks store nothing for it.
    pub rule: Vec<u16>,
}

impl Connectivity {
    /// Builds the CSR for `nodes` nodes. Synapses keep their given order within a node's
    /// row among equal delays (the sort is stable). Also returns, for each given synapse in
    /// order, its index in the CSR.
    pub fn new(nodes: usize, syn: Vec<Synapse>) -> (Self, Vec<u32>) {
        let mut order: Vec<u32> = (0..syn.len() as u32).collect();
        order.sort_by(|&a, &b| {
            let (a, b) = (&syn[a as usize], &syn[b as usize]);
            a.source.cmp(&b.source).then(a.delay.total_cmp(&b.delay))
        });
        let plastic = syn.iter().any(|s| s.rule != STATIC);
        let mut c = Connectivity {
            group_offsets: Vec::with_capacity(nodes + 1),
            target: Vec::with_capacity(syn.len()),
            weight: Vec::with_capacity(syn.len()),
            receptor: Vec::with_capacity(syn.len()),
            rule: Vec::with_capacity(if plastic { syn.len() } else { 0 }),
            ..Default::default()
        };
        let mut position = vec![0u32; syn.len()];
        let mut k = 0;
        for node in 0..nodes as u32 {
            c.group_offsets.push(c.group_start.len() as u32);
            let mut last_delay = f64::NAN;
            while k < order.len() && syn[order[k] as usize].source == node {
                let s = syn[order[k] as usize];
                if s.delay != last_delay {
                    c.group_start.push(c.target.len() as u32);
                    c.group_delay.push(s.delay);
                    last_delay = s.delay;
                }
                position[order[k] as usize] = c.target.len() as u32;
                c.target.push(s.target);
                c.weight.push(s.weight);
                c.receptor.push(s.receptor);
                if plastic {
                    c.rule.push(s.rule);
                }
                k += 1;
            }
        }
        c.group_offsets.push(c.group_start.len() as u32);
        c.group_start.push(c.target.len() as u32);
        (c, position)
    }

    /// True if any synapse is plastic.
    pub fn is_plastic(&self) -> bool {
        !self.rule.is_empty()
    }

    /// The delay groups of `node`: `(delay, start, end)` synapse ranges.
    #[inline]
    pub fn groups(&self, node: usize) -> impl Iterator<Item = (f64, u32, u32)> + '_ {
        let a = self.group_offsets[node] as usize;
        let b = self.group_offsets[node + 1] as usize;
        (a..b).map(move |g| {
            (
                self.group_delay[g],
                self.group_start[g],
                self.group_start[g + 1],
            )
        })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_grouped_by_delay() {
        let s = |source, target, delay| Synapse {
            source,
            target,
            weight: target as f64,
            delay,
            receptor: 0,
            rule: STATIC,
        };
        let (c, _) = Connectivity::new(
            3,
            vec![s(2, 0, 1.0), s(0, 1, 2.0), s(0, 2, 1.0), s(0, 3, 2.0)],
        );
        let g0: Vec<_> = c.groups(0).collect();
        assert_eq!(g0, vec![(1.0, 0, 1), (2.0, 1, 3)]);
        assert_eq!(&c.target[1..3], &[1, 3]);
        assert_eq!(c.groups(1).count(), 0);
        assert_eq!(c.groups(2).collect::<Vec<_>>(), vec![(1.0, 3, 4)]);
    }
}
