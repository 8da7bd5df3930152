//! Neurons in runs of one population: a delivery group's targets (a row's targets are
//! sorted, so its populations come in runs) or the instant's marked neurons (marked in
//! synapse order), each run through one [`Fused`] view of its population, so that a neuron
//! costs its own index check instead of finding its population, checking its layout and
//! re-slicing its arrays.

use super::Meta;
use crate::ids::NeuronId;
use crate::network::PopulationEntry;
use crate::neuron::{Fused, Population};

/// A neuron of a run: its position `j` in the list, its index `i` in its population, the
/// population's first neuron `off`.
#[derive(Clone, Copy)]
pub(super) struct At {
    pub j: usize,
    pub i: usize,
    pub off: usize,
}

/// Walks `ids` (neurons of a network whose populations all take the fused path with `N`
/// channels) in runs of one population, each through one view made once, at instant `t`.
/// `each` handles a neuron through the view and returns false when the general path must
/// take it instead; `general` handles it through the population. Both get the scratch
/// `s` and the bookkeeping `meta`.
#[inline(always)]
pub(super) fn in_runs<const N: usize, S>(
    ids: &[NeuronId],
    meta: &mut [Meta],
    pops: &mut [PopulationEntry],
    t: f64,
    s: &mut S,
    mut each: impl FnMut(&mut S, &mut Fused<'_, N>, At, &mut [Meta]) -> bool,
    mut general: impl FnMut(&mut S, &mut Population, At, &mut [Meta]),
) {
    let len = ids.len();
    let mut j = 0;
    while j < len {
        let pe = &mut pops[meta[ids[j].index()].pop.index()];
        let off = pe.offset.index();
        let mut other = false;
        if let Population::Lif(p) = &mut pe.neurons {
            if let Some(mut f) = p.fused_view::<N>() {
                f.at(t);
                let size = f.len();
                while j < len {
                    let i = ids[j].index().wrapping_sub(off);
                    if i >= size {
                        // another population: a run of its own
                        other = true;
                        break;
                    }
                    if !each(s, &mut f, At { j, i, off }, meta) {
                        break;
                    }
                    j += 1;
                }
            }
        }
        if j >= len || other {
            continue;
        }
        let i = ids[j].index() - off;
        general(s, &mut pe.neurons, At { j, i, off }, meta);
        j += 1;
    }
}
