//! Typed indices. Each index space of the network has its own `#[repr(transparent)]`
//! newtype, so a global neuron index cannot be passed where a source or synapse index is
//! meant (they are all `u32` underneath and cost nothing at run time).
//!
//! | type | counts | range |
//! |---|---|---|
//! | [`NeuronId`] | neurons of all populations, in population order | `0..n_neurons` |
//! | [`PopulationId`] | neuron populations, in scenario order | `0..populations` |
//! | [`InputId`] | inputs (spike-source populations), in scenario order | `0..inputs` |
//! | [`SourceId`] | sources of all inputs, in input order | `0..n_sources` |
//! | [`NodeId`] | rows of the connectivity: neurons, then sources | `0..n_neurons + n_sources` |
//! | [`SynapseId`] | synapses in the connectivity's (CSR) order | `0..n_synapses` |
//! | [`ConnectionId`] | connections, in scenario order | `0..connections` |
//!
//! A neuron's index *within* its population and a synapse's index within its connection
//! (generation order) are plain `u32`/`usize`: they are what users write in scenarios and
//! read in output files.

use std::fmt;

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[repr(transparent)]
        pub struct $name(pub u32);

        impl $name {
            /// The index as a `usize`, for indexing arrays.
            #[inline]
            pub const fn index(self) -> usize {
                self.0 as usize
            }

            /// The id of array index `i` (the builder has checked that indices fit in 32 bits).
            #[inline]
            pub const fn new(i: usize) -> Self {
                debug_assert!(i <= u32::MAX as usize);
                $name(i as u32)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

typed_id!(
    /// A neuron, numbered across all populations in scenario order.
    NeuronId
);
typed_id!(
    /// A neuron population, in scenario order.
    PopulationId
);
typed_id!(
    /// An input (spike-source population), in scenario order.
    InputId
);
typed_id!(
    /// A spike source, numbered across all inputs in scenario order.
    SourceId
);
typed_id!(
    /// A row of the connectivity: neurons first (`NodeId(n) == NeuronId(n)`), then sources
    /// (`NodeId(n_neurons + s)` for `SourceId(s)`).
    NodeId
);
typed_id!(
    /// A synapse in the connectivity's storage order (rows by source node, then delay).
    SynapseId
);
typed_id!(
    /// A connection, in scenario order.
    ConnectionId
);

impl From<NeuronId> for NodeId {
    #[inline]
    fn from(n: NeuronId) -> NodeId {
        NodeId(n.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_plain_u32_underneath() {
        assert_eq!(std::mem::size_of::<NeuronId>(), 4);
        assert_eq!(std::mem::size_of::<Option<SynapseId>>(), 8);
        assert_eq!(NeuronId::new(7).index(), 7);
        assert_eq!(NodeId::from(NeuronId(3)), NodeId(3));
        assert_eq!(SourceId(5).to_string(), "5");
    }
}
