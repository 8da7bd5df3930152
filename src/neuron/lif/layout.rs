//! The shape of a `lif` population (its receptors and channels) and the per-neuron values
//! it is built from.

/// Where an arriving weight goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    /// V jumps by w (discarded while refractory).
    Delta,
    /// Exponential current: channel index.
    Exp(u16),
    /// Alpha current: channel index (state I, J; J jumps by w·e/tau).
    Alpha(u16),
}

/// Shape of one current channel of a population.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChannelKind {
    /// One state variable I, dI/dt = -I/tau.
    Exp,
    /// Two state variables: dI/dt = -I/tau + J, dJ/dt = -J/tau.
    Alpha,
}

/// Per-neuron scalar parameters, already validated.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scalars {
    /// 1/tau_m \[1/ms\].
    pub rate_m: f64,
    /// v_rest + i_bias \[mV\]: the potential V relaxes to.
    pub v_inf: f64,
    /// Threshold without adaptation \[mV\].
    pub v_th: f64,
    /// Reset \[mV\].
    pub v_reset: f64,
    /// Refractory period \[ms\].
    pub t_ref: f64,
}

/// The layout shared by all neurons of one population.
#[derive(Clone, Debug, Default)]
pub struct Layout {
    /// Current channels: receptors of kind exp/alpha first, then adaptation currents.
    pub channels: Vec<ChannelKind>,
    /// Offset of each channel's state in a neuron's state block.
    pub offsets: Vec<usize>,
    /// State variables per neuron for the channels.
    pub n_state: usize,
    /// Receptor index → slot.
    pub receptors: Vec<Slot>,
    /// Channels that are adaptation currents (the last ones).
    pub n_adapt: usize,
    /// Threshold-adaptation terms per neuron.
    pub n_thr: usize,
}

impl Layout {
    /// Builds a layout from receptor kinds (`None` = delta, `Some(false)` = exp,
    /// `Some(true)` = alpha), and the numbers of adaptation and threshold terms.
    pub fn new(receptors: &[Option<bool>], n_adapt: usize, n_thr: usize) -> Layout {
        let mut l = Layout {
            n_adapt,
            n_thr,
            ..Layout::default()
        };
        for r in receptors {
            let slot = match r {
                None => Slot::Delta,
                Some(alpha) => {
                    let ch = l.channels.len() as u16;
                    l.push(if *alpha {
                        ChannelKind::Alpha
                    } else {
                        ChannelKind::Exp
                    });
                    if *alpha {
                        Slot::Alpha(ch)
                    } else {
                        Slot::Exp(ch)
                    }
                }
            };
            l.receptors.push(slot);
        }
        for _ in 0..n_adapt {
            l.push(ChannelKind::Exp);
        }
        l
    }

    /// The channel of adaptation current `k` (they are the last channels).
    pub fn adaptation_channel(&self, k: usize) -> usize {
        self.channels.len() - self.n_adapt + k
    }

    fn push(&mut self, k: ChannelKind) {
        self.offsets.push(self.n_state);
        self.n_state += match k {
            ChannelKind::Exp => 1,
            ChannelKind::Alpha => 2,
        };
        self.channels.push(k);
    }
}

/// Per-neuron values for building a population.
#[derive(Clone, Debug)]
pub struct NeuronInit {
    /// Scalars.
    pub scalars: Scalars,
    /// Initial potential \[mV\].
    pub v_init: f64,
    /// One rate per channel (1/tau) \[1/ms\].
    pub chan_rate: Vec<f64>,
    /// Adaptation increments \[mV\].
    pub adapt_inc: Vec<f64>,
    /// Threshold-adaptation rates \[1/ms\].
    pub thr_rate: Vec<f64>,
    /// Threshold-adaptation increments \[mV\].
    pub thr_inc: Vec<f64>,
}

impl NeuronInit {
    /// True when the membrane, channel and threshold rates are pairwise distinct (no two
    /// exponential terms of the distance to threshold merge).
    pub(super) fn distinct_rates(&self) -> bool {
        let mut r = vec![self.scalars.rate_m];
        r.extend_from_slice(&self.chan_rate);
        r.extend_from_slice(&self.thr_rate);
        (0..r.len()).all(|a| (0..a).all(|b| r[a] != r[b]))
    }
}
