//! The `linear` model (extension): any stable linear neuron, solved exactly.
//!
//! The state `x` (n ≤ [`MAX_VARIABLES`] variables, `x_0` the membrane potential V) obeys
//!
//! ```text
//! dx/dt = A (x − rest) + g·u·e_0,        g = −A_00,  u = i_bias + injected current [mV]
//! ```
//!
//! with `A` Hurwitz (every eigenvalue with a negative real part): resonators (V coupled to a
//! slow variable, complex eigenvalues: damped subthreshold oscillations), two or more
//! passive compartments, adaptation with subthreshold coupling, synaptic currents as state
//! variables, or the `lif` model itself. A receptor adds a connection's weight to one
//! variable; at a spike V is reset and other variables may jump; during the refractory
//! period V is held at the reset (the row of V in `A` is zero) while the others evolve.
//!
//! **Trajectory.** Between events `x(t) = x* + e^{A s}(x(t0) − x*)`, `s = t − t0`,
//! `x* = rest + u·q` the equilibrium (`q = −g A^{-1} e_0`), with `e^{A s}` the matrix
//! exponential (nalgebra's Padé approximant with scaling and squaring: accurate for any
//! eigenstructure, defective or nearly so included, where an eigendecomposition would
//! cancel catastrophically).
//!
//! **Crossing search.** There is no finite reduction of a sum of damped sinusoids, so the
//! first time V reaches θ is isolated by interval enclosure with bounds from a Lyapunov
//! norm: `P` solves `Aᵀ P + P A = −I`, so `‖y‖_P = √(yᵀ P y)` of a deviation `y = x − x*`
//! never grows (it decays at least as `e^{−γ s}`, `γ = μ/(2 λ_max(P))`, μ the smallest
//! eigenvalue of the computed `−(AᵀP + PA)`), and any linear read-out `rᵀy` is bounded by
//! `‖r‖_{P⁻¹} ‖y‖_P`. On `[a, a + w]`, with `f = V − θ`,
//!
//! ```text
//! f(a + s) ≤ f(a) + f′(a)·s + σ₂ ‖y(a)‖_P s²/2,      σ₂ = ‖(A²)ᵀ e_0‖_{P⁻¹}
//! ```
//!
//! (convex, so its maximum over the interval is at an end): negative clears the interval;
//! a lower bound of `f′` above zero makes f increasing, so the crossing, if V(a + w) ≥ θ,
//! is bisected to the first float; otherwise the interval is halved, left half first, down
//! to adjacent floats, so no crossing is skipped and a graze is resolved to the float.
//! Beyond the point where `x*_0 + σ₀ ‖y‖_P < θ` nothing can cross. The search walks a grid
//! fixed by `A` alone (a first step of `1/(4‖A‖_∞)`, then doublings) from the neuron's
//! last update, never by the run's end, so a spike's bits do not depend on the horizon.
//! Every V the search compares is computed as [`advance`](NeuronModel::advance) computes
//! it, from the same origin.

use super::waves::{Oscillation, Sine};
use super::{NeuronModel, Next};
use nalgebra::{Complex, Const, DMatrix, DVector, DimMin, SMatrix, SVector};

/// Most state variables a `linear` model may have.
pub const MAX_VARIABLES: usize = 8;

/// Evaluations of V after which an exact search in the event loop stops and resumes from
/// where it got to (a check), so that the loop's guards (`--max-wall`, signals) are looked
/// at during a search that takes long (stiff systems through the Padé propagator take
/// about a microsecond per evaluation, so this is some milliseconds of work).
pub const SEARCH_BUDGET: u64 = 4096;

/// Why a matrix cannot be a `linear` model's.
#[derive(Clone, Debug, PartialEq)]
pub enum MatrixError {
    /// Not square, or of the wrong size.
    Shape(String),
    /// V does not leak (`A_00 ≥ 0`): the drive's gain `−A_00` would not be positive.
    NoLeak,
    /// Not stable (some eigenvalue with a real part ≥ 0), or too close to it for the
    /// search's bounds.
    Unstable,
}

/// The population-wide constants of a `linear` model, as the build checks and derives
/// them (any size; the population keeps them in fixed-size arrays).
#[derive(Clone, Debug)]
pub struct LinearSystem {
    a: DMatrix<f64>,
    rest: DVector<f64>,
    /// Equilibrium shift per mV of drive.
    q: DVector<f64>,
    /// `Lᵀ`, `P = L Lᵀ`: `‖y‖_P = |Lᵀ y|`.
    lt: DMatrix<f64>,
    /// `‖(Aʲ)ᵀ e_0‖_{P⁻¹}` for j = 0, 1, 2: the largest V, V′, V″ per unit of `‖y‖_P`.
    sigma: [f64; 3],
    /// Decay rate of `‖y‖_P` \[1/ms\].
    gamma: f64,
    /// The search grid's first step \[ms\].
    h0: f64,
}

impl LinearSystem {
    /// The system `dx/dt = A (x − rest) + …` (`a` row-major, n × n; `rest` n values).
    pub fn new(a: &[Vec<f64>], rest: &[f64]) -> Result<Self, MatrixError> {
        let n = rest.len();
        if n == 0 || n > MAX_VARIABLES {
            return Err(MatrixError::Shape(format!(
                "must have 1 to {MAX_VARIABLES} variables, got {n}"
            )));
        }
        if a.len() != n || a.iter().any(|r| r.len() != n) {
            return Err(MatrixError::Shape(format!(
                "must be {n} × {n} (one row and one column per variable)"
            )));
        }
        let a = DMatrix::from_fn(n, n, |i, j| a[i][j]);
        if a[(0, 0)] >= 0.0 {
            return Err(MatrixError::NoLeak);
        }
        let (lt, p_inv, mu, gamma) = lyapunov(&a).ok_or(MatrixError::Unstable)?;
        let at = a.transpose();
        let norm_inf = (0..n)
            .map(|i| a.row(i).iter().map(|v| v.abs()).sum::<f64>())
            .fold(0.0, f64::max);
        // (a decay a billion times slower than the fastest rate: the search's bounds would
        // crawl)
        if !(mu > 0.5 && gamma.is_finite() && gamma > 1e-9 * norm_inf) {
            return Err(MatrixError::Unstable);
        }
        let e0 = DVector::from_fn(n, |i, _| if i == 0 { 1.0 } else { 0.0 });
        let r1 = at.column(0).into_owned();
        let r2 = &at * &r1;
        let sigma = [
            dual_norm(&p_inv, &e0),
            dual_norm(&p_inv, &r1),
            dual_norm(&p_inv, &r2),
        ];
        let gain = -a[(0, 0)];
        let q = a
            .clone()
            .lu()
            .solve(&(e0 * -gain))
            .ok_or(MatrixError::Unstable)?;
        if !sigma.iter().all(|s| s.is_finite()) || !q.iter().all(|v| v.is_finite()) {
            return Err(MatrixError::Unstable);
        }
        Ok(LinearSystem {
            a,
            rest: DVector::from_column_slice(rest),
            q,
            lt,
            sigma,
            gamma,
            h0: 0.25 / norm_inf,
        })
    }

    /// Number of state variables.
    pub fn n(&self) -> usize {
        self.rest.len()
    }

    /// The decay rate γ of the Lyapunov norm \[1/ms\].
    pub fn gamma(&self) -> f64 {
        self.gamma
    }

    fn fixed<const N: usize>(&self) -> Fixed<N> {
        let m = |d: &DMatrix<f64>| SMatrix::<f64, N, N>::from_fn(|i, j| d[(i, j)]);
        let v = |d: &DVector<f64>| SVector::<f64, N>::from_fn(|i, _| d[i]);
        let a = m(&self.a);
        let mut a_ref = self.a.clone();
        a_ref.row_mut(0).fill(0.0);
        Fixed {
            a,
            free: Flow::new(&self.a),
            held: Flow::new(&a_ref),
            row0: a.row(0).transpose(),
            rest: v(&self.rest),
            q: v(&self.q),
            lt: m(&self.lt),
            sigma: self.sigma,
            gamma: self.gamma,
            h0: self.h0,
        }
    }
}

/// The Lyapunov norm of a stable `a`: `P` solves `Aᵀ P + P A = −I`; returns `Lᵀ` (`P = L Lᵀ`),
/// `P⁻¹`, the smallest eigenvalue μ of the computed `−(AᵀP + PA)` and the decay rate
/// `γ = μ/(2 λ_max(P))` it certifies for `‖y‖_P` (with a margin), or `None` if `P` is not
/// positive definite.
fn lyapunov(a: &DMatrix<f64>) -> Option<(DMatrix<f64>, DMatrix<f64>, f64, f64)> {
    let n = a.nrows();
    // as a linear system in vec(P) (column-major): (I ⊗ Aᵀ + Aᵀ ⊗ I) vec(P) = −vec(I)
    let at = a.transpose();
    let id = DMatrix::<f64>::identity(n, n);
    let k = id.kronecker(&at) + at.kronecker(&id);
    let rhs = DVector::from_fn(n * n, |m, _| if m % (n + 1) == 0 { -1.0 } else { 0.0 });
    let vec_p = k.lu().solve(&rhs)?;
    let p = DMatrix::from_column_slice(n, n, vec_p.as_slice());
    let p = (&p + p.transpose()) * 0.5;
    let chol = p.clone().cholesky()?;
    let lt = chol.l().transpose();
    let p_inv = chol.inverse();
    // the decay the computed P certifies: −(AᵀP + PA) ≥ μ I, ‖y‖²_P ≤ λ_max(P) |y|²
    let m = -(&at * &p + &p * a);
    let mu = m.symmetric_eigen().eigenvalues.min();
    let lam_max = p.symmetric_eigen().eigenvalues.max();
    // (margins for the rounding of P, its eigenvalues and P⁻¹: their relative errors are
    // at most about cond(P)·ε ≤ 1e−7 where γ passes the build's test)
    let gamma = mu * (1.0 - 1e-6) / (2.0 * lam_max);
    Some((lt, p_inv, mu, gamma))
}

/// `‖r‖_{P⁻¹}` (with a margin): the largest `rᵀy` per unit of `‖y‖_P`.
fn dual_norm(p_inv: &DMatrix<f64>, r: &DVector<f64>) -> f64 {
    (r.dot(&(p_inv * r))).max(0.0).sqrt() * (1.0 + 1e-6)
}

/// [`LinearSystem`] in fixed-size arrays (no allocation per event), with the refractory
/// dynamics.
#[derive(Clone, Debug)]
struct Fixed<const N: usize> {
    a: SMatrix<f64, N, N>,
    /// `e^{A s}`.
    free: Flow<N>,
    /// `e^{A_ref s}`, `A_ref` = `A` with the row of V set to zero: the refractory dynamics.
    held: Flow<N>,
    /// The row of V: `V′ = row0 · y`.
    row0: SVector<f64, N>,
    rest: SVector<f64, N>,
    q: SVector<f64, N>,
    lt: SMatrix<f64, N, N>,
    sigma: [f64; 3],
    gamma: f64,
    h0: f64,
}

/// Largest condition number `‖V‖_F ‖V⁻¹‖_F / n` of the eigenvectors `V` for which a
/// propagator goes through them: the relative error of `V e^{Λs} V⁻¹ y` is about this many
/// ulps (against the Padé approximant's few).
const MAX_EIGEN_CONDITION: f64 = 8.0;

/// A propagator `y ↦ e^{M s} y`: through M's eigenvectors when they are well conditioned
/// (n exponentials and two products; real or complex eigenvalues), else nalgebra's Padé
/// approximant with scaling and squaring (any eigenstructure: repeated, defective or nearly
/// so).
#[derive(Clone, Debug)]
enum Flow<const N: usize> {
    /// Real eigenvalues: `M = V diag(λ) W`, `W = V⁻¹`.
    Real {
        v: SMatrix<f64, N, N>,
        w: SMatrix<f64, N, N>,
        lam: SVector<f64, N>,
    },
    /// Some complex eigenvalues.
    Complex {
        v: SMatrix<Complex<f64>, N, N>,
        w: SMatrix<Complex<f64>, N, N>,
        lam: SVector<Complex<f64>, N>,
    },
    /// Groups of eigenvalues whose eigenvectors are ill conditioned together, each group's
    /// invariant subspace well apart from the others' (a fast rate beside a near-defective
    /// slow pair, say).
    Blocks(Blocks<N>),
    /// The matrix, for the Padé approximant.
    Pade(SMatrix<f64, N, N>),
}

/// `M = S B S⁻¹`, `B` block diagonal: `e^{Ms} y = S e^{Bs} S⁻¹ y` with `e^{Bs}` by the Padé
/// approximant (block diagonal too: products and solves keep the zeros), and for the
/// search's bounds a Lyapunov norm per block, so that a fast block that has decayed no
/// longer sets the curvature.
#[derive(Clone, Debug)]
struct Blocks<const N: usize> {
    s: SMatrix<f64, N, N>,
    si: SMatrix<f64, N, N>,
    b: SMatrix<f64, N, N>,
    /// The blocks' `Lᵀ` on the diagonal: block k's `‖z_k‖_{P_k}` is the norm of its rows
    /// of `lt · z`.
    lt: SMatrix<f64, N, N>,
    blocks: Vec<Block>,
}

/// One block of [`Blocks`]: its rows, and the bounds of V's part per unit of its norm.
#[derive(Clone, Debug)]
struct Block {
    start: usize,
    len: usize,
    /// `‖r_k‖_{P_k⁻¹}` and `‖(B_k²)ᵀ r_k‖_{P_k⁻¹}`, `r_k` V's row of `S` on the block.
    sigma0: f64,
    sigma2: f64,
    /// The decay rate of `‖z_k‖_{P_k}` \[1/ms\].
    gamma: f64,
}

impl<const N: usize> Blocks<N> {
    /// The blocks of `m`'s decomposition, if each block has a Lyapunov norm.
    fn new(d: Decomposition) -> Option<Self> {
        let fixed = |d: &DMatrix<f64>| SMatrix::<f64, N, N>::from_fn(|i, j| d[(i, j)]);
        let mut lt = SMatrix::<f64, N, N>::zeros();
        let mut blocks = Vec::with_capacity(d.ranges.len());
        for &(start, len) in &d.ranges {
            let bk = d.b.view((start, start), (len, len)).into_owned();
            let (l, p_inv, mu, gamma) = lyapunov(&bk)?;
            if !(mu > 0.5 && gamma.is_finite() && gamma > 0.0) {
                return None;
            }
            for i in 0..len {
                for j in 0..len {
                    lt[(start + i, start + j)] = l[(i, j)];
                }
            }
            let r = DVector::from_fn(len, |i, _| d.s[(0, start + i)]);
            let bt = bk.transpose();
            let r2 = &bt * (&bt * &r);
            let (sigma0, sigma2) = (dual_norm(&p_inv, &r), dual_norm(&p_inv, &r2));
            if !(sigma0.is_finite() && sigma2.is_finite()) {
                return None;
            }
            blocks.push(Block {
                start,
                len,
                sigma0,
                sigma2,
                gamma,
            });
        }
        Some(Blocks {
            s: fixed(&d.s),
            si: fixed(&d.si),
            b: fixed(&d.b),
            lt,
            blocks,
        })
    }
}

impl<const N: usize> Flow<N> {
    fn new(m: &DMatrix<f64>) -> Self {
        let fixed = |d: &DMatrix<f64>| SMatrix::<f64, N, N>::from_fn(|i, j| d[(i, j)]);
        let cfixed =
            |d: &DMatrix<Complex<f64>>| SMatrix::<Complex<f64>, N, N>::from_fn(|i, j| d[(i, j)]);
        match eigenvectors(m) {
            Some(Modes::Real(v, w, lam)) => Flow::Real {
                v: fixed(&v),
                w: fixed(&w),
                lam: SVector::from_fn(|i, _| lam[i]),
            },
            Some(Modes::Complex(v, w, lam)) => Flow::Complex {
                v: cfixed(&v),
                w: cfixed(&w),
                lam: SVector::from_fn(|i, _| lam[i]),
            },
            None => match decomposition(m).and_then(Blocks::new) {
                Some(blocks) => Flow::Blocks(blocks),
                None => Flow::Pade(fixed(m)),
            },
        }
    }

    /// `e^{M s} y`.
    #[inline]
    fn apply(&self, y: &SVector<f64, N>, s: f64) -> SVector<f64, N>
    where
        Const<N>: DimMin<Const<N>, Output = Const<N>>,
    {
        match self {
            Flow::Real { v, w, lam } => {
                let mut z = w * y;
                for (zk, lk) in z.iter_mut().zip(lam.iter()) {
                    *zk *= (lk * s).exp();
                }
                v * z
            }
            Flow::Complex { v, w, lam } => {
                let mut z = modal(w, y);
                for (zk, lk) in z.iter_mut().zip(lam.iter()) {
                    let (sin, cos) = (lk.im * s).sin_cos();
                    *zk *= Complex::new(cos, sin) * (lk.re * s).exp();
                }
                SVector::from_fn(|i, _| {
                    let mut acc = 0.0;
                    for j in 0..N {
                        acc += v[(i, j)].re * z[j].re - v[(i, j)].im * z[j].im;
                    }
                    acc
                })
            }
            Flow::Blocks(d) => d.s * ((d.b * s).exp() * (d.si * y)),
            Flow::Pade(m) => (m * s).exp() * y,
        }
    }
}

/// A real state's complex modal coordinates `W y`.
#[inline]
fn modal<const N: usize>(
    w: &SMatrix<Complex<f64>, N, N>,
    y: &SVector<f64, N>,
) -> SVector<Complex<f64>, N> {
    SVector::from_fn(|i, _| {
        let mut acc = Complex::new(0.0, 0.0);
        for j in 0..N {
            acc += w[(i, j)] * y[j];
        }
        acc
    })
}

/// M's eigenvalues from its real Schur form, or `None` if the iteration does not converge
/// in 100·n sweeps (nalgebra's `complex_eigenvalues` iterates without a limit, and does not
/// end on some matrices with a triple eigenvalue).
pub(crate) fn eigenvalues(m: &DMatrix<f64>) -> Option<DVector<Complex<f64>>> {
    let n = m.nrows();
    nalgebra::linalg::Schur::try_new(m.clone(), f64::EPSILON, 100 * n.max(1))
        .map(|schur| schur.complex_eigenvalues())
}

/// Eigenvectors `V`, `W = V⁻¹` and eigenvalues, real or complex.
enum Modes {
    Real(DMatrix<f64>, DMatrix<f64>, Vec<f64>),
    Complex(
        DMatrix<Complex<f64>>,
        DMatrix<Complex<f64>>,
        Vec<Complex<f64>>,
    ),
}

/// M's eigendecomposition if its eigenvectors are well conditioned
/// ([`MAX_EIGEN_CONDITION`]) and reconstruct M to a few ulps; `None` otherwise (repeated,
/// defective or nearly so, or an inaccurate decomposition).
fn eigenvectors(m: &DMatrix<f64>) -> Option<Modes> {
    let n = m.nrows();
    let scale = m.norm();
    if !(scale > 0.0 && scale.is_finite()) {
        return None;
    }
    let lam = eigenvalues(m)?;
    let mc = m.map(|x| Complex::new(x, 0.0));
    let mut v = DMatrix::<Complex<f64>>::zeros(n, n);
    for (k, &l) in lam.iter().enumerate() {
        // inverse iteration from a fixed start, the shift a hair off the eigenvalue (real
        // for a real eigenvalue, so that its vector stays real)
        let real = l.im == 0.0;
        let hair = 1e-10 * scale;
        let shift = l + Complex::new(hair, if real { 0.0 } else { hair });
        let lu = (&mc - DMatrix::<Complex<f64>>::identity(n, n) * shift).lu();
        let mut x = DVector::<Complex<f64>>::from_fn(n, |i, _| {
            Complex::new(
                1.0 + 0.37 * i as f64,
                if real { 0.0 } else { 0.11 * i as f64 + 0.2 },
            )
        });
        for _ in 0..3 {
            x = lu.solve(&x)?;
            let size = x.norm();
            if !(size.is_finite() && size > 0.0) {
                return None;
            }
            x.unscale_mut(size);
        }
        v.set_column(k, &x);
    }
    let w = v.clone().try_inverse()?;
    let condition = v.norm() * w.norm() / n as f64;
    let error = (&v * DMatrix::from_diagonal(&lam) * &w - &mc).norm();
    if !(condition <= MAX_EIGEN_CONDITION && error <= 64.0 * f64::EPSILON * scale * condition) {
        return None;
    }
    if lam.iter().all(|l| l.im == 0.0) {
        let re = |d: &DMatrix<Complex<f64>>| d.map(|c| c.re);
        let vr = re(&v);
        let wr = vr.clone().try_inverse()?;
        Some(Modes::Real(vr, wr, lam.iter().map(|l| l.re).collect()))
    } else {
        Some(Modes::Complex(v, w, lam.iter().copied().collect()))
    }
}

/// Largest condition number `‖S‖_F ‖S⁻¹‖_F / n` of a block decomposition's basis (as
/// [`MAX_EIGEN_CONDITION`] for eigenvectors).
const MAX_BLOCK_CONDITION: f64 = 8.0;

/// `M = S B S⁻¹` with `B` block diagonal (`ranges`: each block's first row and size).
struct Decomposition {
    s: DMatrix<f64>,
    si: DMatrix<f64>,
    b: DMatrix<f64>,
    ranges: Vec<(usize, usize)>,
}

/// The finest grouping of M's eigenvalues (a complex pair always together) into at least
/// two groups whose invariant subspaces form a well-conditioned basis
/// ([`MAX_BLOCK_CONDITION`]) that reconstructs M to a few ulps; `None` if only one group
/// does. Groups are merged closest first (the smallest distance between their eigenvalues).
fn decomposition(m: &DMatrix<f64>) -> Option<Decomposition> {
    let n = m.nrows();
    let scale = m.norm();
    if n < 2 || !(scale > 0.0 && scale.is_finite()) {
        return None;
    }
    let lam = &eigenvalues(m)?;
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut taken = vec![false; n];
    for k in 0..n {
        if taken[k] {
            continue;
        }
        taken[k] = true;
        let mut g = vec![k];
        if lam[k].im != 0.0 {
            let partner = (0..n).filter(|&j| !taken[j]).min_by(|&a, &b| {
                let d = |j: usize| (lam[j] - lam[k].conj()).norm();
                d(a).total_cmp(&d(b))
            })?;
            taken[partner] = true;
            g.push(partner);
        }
        groups.push(g);
    }
    while groups.len() >= 2 {
        if let Some(d) = decompose(m, lam, &groups, scale) {
            return Some(d);
        }
        let gap = |a: &[usize], b: &[usize]| {
            a.iter()
                .flat_map(|&i| b.iter().map(move |&j| (lam[i] - lam[j]).norm()))
                .fold(f64::INFINITY, f64::min)
        };
        let (mut best, mut pair) = (f64::INFINITY, (0, 1));
        for i in 0..groups.len() {
            for j in i + 1..groups.len() {
                let d = gap(&groups[i], &groups[j]);
                if d < best {
                    (best, pair) = (d, (i, j));
                }
            }
        }
        let merged = groups.remove(pair.1);
        groups[pair.0].extend(merged);
    }
    None
}

/// The decomposition for these groups: each group's invariant subspace is the range of
/// `Π_{j ∉ group} (M − λ_j I)` (which annihilates the other groups' subspaces), its basis
/// the leading left singular vectors; `None` unless the basis is well conditioned and
/// reconstructs M.
fn decompose(
    m: &DMatrix<f64>,
    lam: &DVector<Complex<f64>>,
    groups: &[Vec<usize>],
    scale: f64,
) -> Option<Decomposition> {
    let n = m.nrows();
    let mc = m.map(|x| Complex::new(x, 0.0));
    let id = DMatrix::<Complex<f64>>::identity(n, n);
    let mut s = DMatrix::<f64>::zeros(n, n);
    let mut ranges = Vec::with_capacity(groups.len());
    let mut col = 0;
    for g in groups {
        let mut prod = id.clone();
        for (j, &l) in lam.iter().enumerate() {
            if !g.contains(&j) {
                let f = &mc - &id * l;
                // (each factor scaled to norm 1: no overflow for n = 8 and rates of 1e12)
                prod = (prod * &f).unscale(f.norm().max(f64::MIN_POSITIVE));
            }
        }
        // real up to rounding: the other groups' eigenvalues come in conjugate pairs; its
        // range from a QR factorisation with column pivoting (rank-revealing; nalgebra's
        // SVD returned a range 5e−7 off in a stiff case)
        let qr = prod.map(|z| z.re).col_piv_qr();
        let basis = qr.q();
        for q in 0..g.len() {
            s.set_column(col + q, &basis.column(q));
        }
        ranges.push((col, g.len()));
        col += g.len();
    }
    let si = s.clone().try_inverse()?;
    let condition = s.norm() * si.norm() / n as f64;
    // (NaN fails too)
    if condition.is_nan() || condition > MAX_BLOCK_CONDITION {
        return None;
    }
    let mut b = &si * m * &s;
    let block = |i: usize| ranges.iter().position(|&(a, l)| i >= a && i < a + l);
    for i in 0..n {
        for j in 0..n {
            if block(i) != block(j) {
                b[(i, j)] = 0.0;
            }
        }
    }
    let error = (&s * &b * &si - m).norm();
    if error.is_nan() || error > 64.0 * f64::EPSILON * scale * condition {
        return None;
    }
    Some(Decomposition { s, si, b, ranges })
}

/// The per-neuron values every size shares.
#[derive(Clone, Debug)]
struct Common {
    v_th: Vec<f64>,
    v_reset: Vec<f64>,
    t_ref: Vec<f64>,
    /// Drive per neuron \[mV\]: i_bias plus injected current.
    drive: Vec<f64>,
    /// i_bias alone (the drive without injected current).
    bias: Vec<f64>,
    t_last: Vec<f64>,
    ref_until: Vec<f64>,
    /// The variable each receptor adds its weight to.
    receptors: Vec<usize>,
    /// (variable, increment) added at each spike.
    jumps: Vec<(usize, f64)>,
    /// The variables' names.
    names: Vec<String>,
}

/// The states of a population with `N` variables, and its constants.
#[derive(Clone, Debug)]
struct States<const N: usize> {
    sys: Fixed<N>,
    x: Vec<SVector<f64, N>>,
    /// Each neuron's sinusoidal drives' periodic responses (empty unless some are expected).
    waves: Vec<Vec<Forced<N>>>,
}

/// A sinusoidal drive's periodic response `P(t) = Im(z e^{iθ(t)})`, θ(t) = ω(t − start) + φ,
/// with `z = g·amp·(iωI − A)⁻¹ e_V`: the particular solution of `dx/dt = A x + g·amp·sin θ e_V`.
#[derive(Clone, Debug)]
struct Forced<const N: usize> {
    z: SVector<Complex<f64>, N>,
    osc: Oscillation,
}

impl<const N: usize> Forced<N> {
    #[inline]
    fn angle(&self, t: f64) -> (f64, f64) {
        (self.osc.omega * (t - self.osc.start) + self.osc.phase).sin_cos()
    }
}

macro_rules! sizes {
    ($($variant:ident = $n:literal),+) => {
        /// States by number of variables: fixed-size arithmetic, one `match` per call.
        #[derive(Clone, Debug)]
        // one value per population: boxing would add an indirection to every call
        #[allow(clippy::large_enum_variant)]
        enum Sized {
            $($variant(States<$n>),)+
        }

        impl Sized {
            fn new(sys: &LinearSystem, v_init: &[f64]) -> Sized {
                match sys.n() {
                    $($n => Sized::$variant(States::new(sys.fixed::<$n>(), v_init)),)+
                    n => unreachable!("{n} variables"),
                }
            }
        }

        /// `$body` with `$s` bound to the population's [`States`], whatever its size.
        macro_rules! with_states {
            ($e:expr, $s:ident => $body:expr) => {
                match $e {
                    $(Sized::$variant($s) => $body,)+
                }
            };
        }
    };
}

sizes!(
    N1 = 1,
    N2 = 2,
    N3 = 3,
    N4 = 4,
    N5 = 5,
    N6 = 6,
    N7 = 7,
    N8 = 8
);

/// A population of `linear` neurons sharing one [`LinearSystem`].
#[derive(Clone, Debug)]
pub struct LinearPopulation {
    c: Common,
    s: Sized,
}

/// A `linear` population's dynamics as the gradient's replay sees them: `dx/dt = A (x − x*)`
/// with the equilibrium `x* = rest + drive·q`, V = x₀.
#[derive(Clone, Debug)]
pub struct AdjointSystem {
    /// The matrix \[1/ms\].
    pub a: DMatrix<f64>,
    /// The rest state.
    pub rest: DVector<f64>,
    /// The equilibrium's change per mV of drive.
    pub q: DVector<f64>,
    /// The variable each receptor adds its weight to.
    pub receptors: Vec<usize>,
    /// (variable, increment) added at each spike.
    pub jumps: Vec<(usize, f64)>,
}

/// One `linear` neuron's own values as the gradient's replay sees them.
#[derive(Clone, Debug)]
pub struct AdjointNeuron {
    /// The state.
    pub x: Vec<f64>,
    /// `i_bias` \[mV\].
    pub drive: f64,
    /// Threshold \[mV\].
    pub v_th: f64,
    /// Reset \[mV\].
    pub v_reset: f64,
    /// Refractory period \[ms\].
    pub t_ref: f64,
}

/// Per-neuron values of a `linear` population.
#[derive(Clone, Debug)]
pub struct LinearNeurons {
    /// Threshold \[mV\].
    pub v_th: Vec<f64>,
    /// Reset \[mV\] (< v_th).
    pub v_reset: Vec<f64>,
    /// Refractory period \[ms\].
    pub t_ref: Vec<f64>,
    /// Constant drive \[mV\].
    pub i_bias: Vec<f64>,
    /// Initial potential \[mV\] (the other variables start at rest).
    pub v_init: Vec<f64>,
}

impl LinearPopulation {
    /// A population of `values.v_th.len()` neurons.
    pub fn new(
        sys: LinearSystem,
        values: LinearNeurons,
        receptors: Vec<usize>,
        jumps: Vec<(usize, f64)>,
    ) -> Self {
        let size = values.v_th.len();
        LinearPopulation {
            s: Sized::new(&sys, &values.v_init),
            c: Common {
                v_th: values.v_th,
                v_reset: values.v_reset,
                t_ref: values.t_ref,
                drive: values.i_bias.clone(),
                bias: values.i_bias,
                t_last: vec![0.0; size],
                ref_until: vec![f64::NEG_INFINITY; size],
                receptors,
                jumps,
                names: (0..sys.n())
                    .map(|k| if k == 0 { "v".into() } else { format!("x{k}") })
                    .collect(),
            },
        }
    }

    /// The population's dynamics for the gradient's replay.
    pub fn adjoint_system(&self) -> AdjointSystem {
        let c = &self.c;
        with_states!(&self.s, s => {
            let n = s.sys.rest.len();
            AdjointSystem {
                a: DMatrix::from_iterator(n, n, s.sys.a.iter().copied()),
                rest: DVector::from_iterator(n, s.sys.rest.iter().copied()),
                q: DVector::from_iterator(n, s.sys.q.iter().copied()),
                receptors: c.receptors.clone(),
                jumps: c.jumps.clone(),
            }
        })
    }

    /// Neuron `i`'s values for the gradient's replay, with its state (its initial one before
    /// a run).
    pub fn adjoint_neuron(&self, i: usize) -> AdjointNeuron {
        let c = &self.c;
        AdjointNeuron {
            x: with_states!(&self.s, s => s.x[i].iter().copied().collect()),
            drive: c.bias[i],
            v_th: c.v_th[i],
            v_reset: c.v_reset[i],
            t_ref: c.t_ref[i],
        }
    }

    /// The population with these variable names (default `v`, `x1`, `x2`, …).
    pub fn named(mut self, names: Vec<String>) -> Self {
        assert_eq!(names.len(), self.c.names.len());
        self.c.names = names;
        self
    }

    /// The exact search from the neuron's free state, cut after about `budget`
    /// evaluations of V ([`Next::Check`]).
    fn search_within(&self, i: usize, end: f64, budget: u64) -> Next {
        let c = &self.c;
        with_states!(&self.s, s => {
            let (t0, x0) = s.free_state(c, i);
            if t0 >= end {
                return Next::Never;
            }
            s.first_crossing(c, i, t0, &x0, end, budget)
        })
    }
}

impl<const N: usize> Fixed<N> {
    /// The equilibrium under a drive of `u` mV.
    #[inline]
    fn equilibrium(&self, u: f64) -> SVector<f64, N> {
        self.rest + self.q * u
    }

    /// `e^{A s} y` (free) or `e^{A_ref s} y` (refractory).
    #[inline]
    fn propagate(&self, y: &SVector<f64, N>, s: f64, refractory: bool) -> SVector<f64, N>
    where
        Const<N>: DimMin<Const<N>, Output = Const<N>>,
    {
        if s == 0.0 {
            return *y;
        }
        if refractory {
            self.held.apply(y, s)
        } else {
            self.free.apply(y, s)
        }
    }

    /// `‖y‖_P`.
    #[inline]
    fn norm(&self, y: &SVector<f64, N>) -> f64 {
        (self.lt * y).norm()
    }

    /// Bounds, for all later times, on the free course of V − V* from deviation `y`: its
    /// largest size and its largest curvature, and a rate at which the first decays. Through
    /// the eigenvectors when the propagator goes through them: with `c_k` V's part of mode
    /// k, `Σ|c_k|`, `Σ|c_k||λ_k|²` and the slowest mode's rate (each mode as it stands: a
    /// fast mode that has decayed no longer sets the curvature); else from the Lyapunov
    /// norm, `σ₀‖y‖_P`, `σ₂‖y‖_P` and γ.
    #[inline]
    fn reach(&self, y: &SVector<f64, N>) -> (f64, f64, f64) {
        match &self.free {
            Flow::Real { v, w, lam } => {
                let z = w * y;
                let (mut r, mut k, mut slow) = (0.0, 0.0, f64::INFINITY);
                for j in 0..N {
                    let c = (v[(0, j)] * z[j]).abs();
                    r += c;
                    k += c * lam[j] * lam[j];
                    slow = slow.min(-lam[j]);
                }
                (r, k, slow)
            }
            Flow::Complex { v, w, lam } => {
                let z = modal(w, y);
                let (mut r, mut k, mut slow) = (0.0, 0.0, f64::INFINITY);
                for j in 0..N {
                    let c = (v[(0, j)] * z[j]).norm();
                    r += c;
                    k += c * lam[j].norm_sqr();
                    slow = slow.min(-lam[j].re);
                }
                (r, k, slow)
            }
            Flow::Blocks(d) => {
                let z = d.lt * (d.si * y);
                let (mut r, mut k, mut slow) = (0.0, 0.0, f64::INFINITY);
                for b in &d.blocks {
                    let norm = z.rows(b.start, b.len).norm();
                    r += b.sigma0 * norm;
                    k += b.sigma2 * norm;
                    slow = slow.min(b.gamma);
                }
                (r, k, slow)
            }
            Flow::Pade(_) => {
                let norm = self.norm(y);
                (self.sigma[0] * norm, self.sigma[2] * norm, self.gamma)
            }
        }
    }
}

impl<const N: usize> States<N>
where
    Const<N>: DimMin<Const<N>, Output = Const<N>>,
{
    fn new(sys: Fixed<N>, v_init: &[f64]) -> Self {
        let x = v_init
            .iter()
            .map(|&v| {
                let mut x = sys.rest;
                x[0] = v;
                x
            })
            .collect();
        States {
            sys,
            x,
            waves: Vec::new(),
        }
    }

    /// Neuron `i`'s sinusoidal responses (none unless expected).
    #[inline]
    fn waves(&self, i: usize) -> &[Forced<N>] {
        self.waves.get(i).map_or(&[], Vec::as_slice)
    }

    /// `P(t)`, the sum of neuron `i`'s periodic responses.
    fn forced(&self, i: usize, t: f64) -> SVector<f64, N> {
        let mut p = SVector::<f64, N>::zeros();
        for f in self.waves(i) {
            let (sin, cos) = f.angle(t);
            for k in 0..N {
                p[k] += f.z[k].re * sin + f.z[k].im * cos;
            }
        }
        p
    }

    /// V's part of `P` and its slope at `t`.
    fn forced_v(&self, i: usize, t: f64) -> (f64, f64) {
        let (mut p, mut dp) = (0.0, 0.0);
        for f in self.waves(i) {
            let (sin, cos) = f.angle(t);
            let z = f.z[0];
            p += z.re * sin + z.im * cos;
            dp += f.osc.omega * (z.re * cos - z.im * sin);
        }
        (p, dp)
    }

    /// Bounds of V's part of `P`, of its slope and of its curvature, and the search grid's
    /// first step (a 64th of the fastest drive's period, or A's own).
    fn forced_reach(&self, i: usize) -> ([f64; 3], f64) {
        let mut r = [0.0; 3];
        let mut h0 = self.sys.h0;
        for f in self.waves(i) {
            let (m, w) = (f.z[0].norm(), f.osc.omega);
            r[0] += m;
            r[1] += m * w;
            r[2] += m * w * w;
            h0 = h0.min(std::f64::consts::TAU / w / 64.0);
        }
        (r, h0)
    }

    /// Sets neuron `i`'s sinusoidal drives (its state is at its current time).
    fn set_sines(&mut self, i: usize, sines: &[Sine]) {
        let sys = &self.sys;
        let gain = -sys.a[(0, 0)];
        let list = sines
            .iter()
            .map(|sine| {
                let m = SMatrix::<Complex<f64>, N, N>::from_fn(|r, c| {
                    let d = if r == c { sine.osc.omega } else { 0.0 };
                    Complex::new(-sys.a[(r, c)], d)
                });
                let mut rhs = SVector::<Complex<f64>, N>::zeros();
                rhs[0] = Complex::new(gain * sine.amp, 0.0);
                // (iωI − A is invertible: A is stable, so iω is not its eigenvalue)
                let z = m.lu().solve(&rhs).unwrap_or_else(SVector::zeros);
                Forced { z, osc: sine.osc }
            })
            .collect();
        self.waves[i] = list;
    }

    /// The state at `t ≥ t_last` (refractory part, then free part).
    fn state_at(&self, c: &Common, i: usize, t: f64) -> SVector<f64, N> {
        let sys = &self.sys;
        let mut x = self.x[i];
        let t0 = c.t_last[i];
        let free = t0.max(c.ref_until[i]);
        if t0 < free {
            let upto = t.min(free);
            x = sys.rest + sys.propagate(&(x - sys.rest), upto - t0, true);
            x[0] = c.v_reset[i];
        }
        if t > free {
            let eq = sys.equilibrium(c.drive[i]);
            if self.waves(i).is_empty() {
                x = eq + sys.propagate(&(x - eq), t - free, false);
            } else {
                let (pf, pt) = (self.forced(i, free), self.forced(i, t));
                x = (eq + pt) + sys.propagate(&(x - eq - pf), t - free, false);
            }
        }
        x
    }

    /// The free state of neuron `i` and its time: now, or the end of its refractory period.
    fn free_state(&self, c: &Common, i: usize) -> (f64, SVector<f64, N>) {
        let t0 = c.t_last[i].max(c.ref_until[i]);
        (t0, self.state_at(c, i, t0))
    }

    /// The first float `T ≥ t0` with V(T) ≥ θ for the free system from `x0` at `t0`
    /// (module docs), if before `end`.
    ///
    /// After about `budget` evaluations of V it stops at the start of the interval in hand
    /// (everything before it cleared) and answers [`Next::Check`] there, so that the event
    /// loop can look at its guards and ask again from that time.
    fn first_crossing(
        &self,
        c: &Common,
        i: usize,
        t0: f64,
        x0: &SVector<f64, N>,
        end: f64,
        budget: u64,
    ) -> Next {
        let sys = &self.sys;
        let th = c.v_th[i];
        let spike = |t: f64| if t < end { Next::Spike(t) } else { Next::Never };
        if x0[0] >= th {
            return spike(t0);
        }
        let eq = sys.equilibrium(c.drive[i]);
        let driven = !self.waves(i).is_empty();
        let y0 = if driven {
            x0 - eq - self.forced(i, t0)
        } else {
            x0 - eq
        };
        if !y0.iter().all(|v| v.is_finite()) {
            return Next::Never;
        }
        // V − θ as (V* − θ) + P_V + y_V: exact where V* is close to θ (no rounding of V
        // itself), so an equilibrium at or an ulp below threshold is not a crossing
        let d = eq[0] - th;
        let ([rho, _, curv_p], h0) = self.forced_reach(i);
        let at = |t: f64| {
            let y = sys.propagate(&y0, t - t0, false);
            if driven {
                let (p, dp) = self.forced_v(i, t);
                ((d + p) + y[0], sys.row0.dot(&y) + dp, y)
            } else if y == SVector::zeros() {
                // the equilibrium itself (the deviation underflowed): reached only
                // asymptotically, so not a crossing even at d = 0
                (d.min(-f64::MIN_POSITIVE), 0.0, y)
            } else {
                (d + y[0], sys.row0.dot(&y), y)
            }
        };
        let (mut a, mut h) = (t0, h0);
        let mut left = budget;
        loop {
            if a >= end {
                return Next::Never;
            }
            let (_, _, y) = at(a);
            let (reach, _, _) = sys.reach(&y);
            let slack = 64.0 * f64::EPSILON * (d.abs() + rho + reach);
            // nothing left that can move V (y exactly 0 is V* itself: reached only
            // asymptotically) or past the norm's reach
            if (!driven && reach == 0.0) || d + rho + reach + slack < 0.0 || !reach.is_finite() {
                return Next::Never;
            }
            let b = a + h;
            match self.segment(a, b, d.abs() + rho, curv_p, &at, t0, &mut left) {
                Segment::Clear => {}
                Segment::Crossing(t) => return spike(t),
                Segment::Cut(t) => return if t < end { Next::Check(t) } else { Next::Never },
            }
            a = b;
            h *= 2.0;
        }
    }

    /// The first crossing in `(a, b]` (V(a) < θ), left-first subdivision; `at` gives V − θ,
    /// its slope and the deviation; `scale` sizes the rounding slack; `curv_p` bounds the
    /// sinusoids' curvature. Once `left` evaluations are spent, it stops at the first
    /// interval that starts after `t0` ([`Segment::Cut`]).
    #[allow(clippy::too_many_arguments)]
    fn segment(
        &self,
        a: f64,
        b: f64,
        scale: f64,
        curv_p: f64,
        at: &impl Fn(f64) -> (f64, f64, SVector<f64, N>),
        t0: f64,
        left: &mut u64,
    ) -> Segment {
        let sys = &self.sys;
        let mut stack = Vec::with_capacity(64);
        stack.push((a, b));
        while let Some((lo, hi)) = stack.pop() {
            if *left == 0 && lo > t0 {
                return Segment::Cut(lo);
            }
            *left = left.saturating_sub(1);
            let (f, fp, y) = at(lo);
            if f >= 0.0 {
                return Segment::Crossing(lo);
            }
            let w = hi - lo;
            let (reach, curv_y, _) = sys.reach(&y);
            let curv = curv_y + curv_p;
            let slack = 64.0 * f64::EPSILON * (scale + reach + fp.abs() * w);
            if f.max(f + fp * w + 0.5 * curv * w * w) + slack < 0.0 {
                continue;
            }
            let mid = lo + 0.5 * w;
            // increasing on [lo, hi]; or so narrow that V cannot rise more than the slack
            // above the chord of its ends (|V″| ≤ curv: at most curv·w²/8), nor between
            // adjacent floats: the ends decide, and the crossing, if V(hi) ≥ θ, is the first
            // float from lo at or above threshold
            let decided = mid <= lo
                || mid >= hi
                || fp - curv * w > 64.0 * f64::EPSILON * fp.abs()
                || curv * w * w <= 8.0 * slack;
            if decided {
                if at(hi).0 >= 0.0 {
                    return Segment::Crossing(bisect(lo, hi, |t| at(t).0 >= 0.0));
                }
                continue;
            }
            stack.push((mid, hi));
            stack.push((lo, mid));
        }
        Segment::Clear
    }

    /// A lower bound on the next crossing from the quadratic bound at the free state, or
    /// `Never` past the Lyapunov norm's reach (module docs); no matrix exponential unless
    /// refractoriness ends before `end`.
    fn bound(&self, c: &Common, i: usize, end: f64) -> Next {
        let sys = &self.sys;
        if c.t_last[i] < c.ref_until[i] {
            // held until then: look again when it is free
            return if c.ref_until[i] < end {
                Next::Check(c.ref_until[i])
            } else {
                Next::Never
            };
        }
        let (t0, x) = (c.t_last[i], self.x[i]);
        let th = c.v_th[i];
        if x[0] >= th {
            return Next::Spike(t0);
        }
        let eq = sys.equilibrium(c.drive[i]);
        let ([rho, _, curv_p], _) = self.forced_reach(i);
        let driven = !self.waves(i).is_empty();
        let (p, dp) = self.forced_v(i, t0);
        let y = if driven {
            x - eq - self.forced(i, t0)
        } else {
            x - eq
        };
        let (reach, k, decay) = sys.reach(&y);
        if !(reach.is_finite() && k.is_finite()) {
            return Next::Never;
        }
        let d = eq[0] - th;
        let slack = 64.0 * f64::EPSILON * (d.abs() + rho + reach);
        // the room to threshold left by the equilibrium and the sinusoids at their largest
        let room = -d - rho;
        if reach + slack < room || (!driven && reach == 0.0) {
            return Next::Never;
        }
        let fy = sys.row0.dot(&y);
        // V − θ ≤ f0 + f′0 s + (K + K_P) s²/2 (V's own course), and
        // V − θ ≤ g0 + y′0 s + K s²/2 (the sinusoids at their largest): the later root
        let first = root((d + p) + y[0] + slack, fy + dp, k + curv_p);
        let s1 = if driven {
            first.max(root(d + rho + y[0] + slack, fy, k))
        } else {
            first
        };
        // and never past the norm's reach falling below the room
        if room > slack {
            let s_tail = (reach / (room - slack)).ln() / decay;
            if s1 > s_tail {
                return Next::Never;
            }
        }
        let tc = t0 + s1;
        if tc.is_nan() || tc >= end {
            Next::Never
        } else {
            Next::Check(tc)
        }
    }
}

/// What the search found in one segment of its grid.
enum Segment {
    /// No crossing in it.
    Clear,
    /// The first crossing.
    Crossing(f64),
    /// Its budget ran out: no crossing before this time.
    Cut(f64),
}

/// The first `s ≥ 0` with `f0 + f1 s + k s²/2 ≥ 0` (0 if `f0 ≥ 0`), in the form without
/// cancellation; infinite if never.
fn root(f0: f64, f1: f64, k: f64) -> f64 {
    if f0 >= 0.0 {
        return 0.0;
    }
    let d = (f1 * f1 - 2.0 * k * f0).sqrt();
    if f1 >= 0.0 {
        -2.0 * f0 / (f1 + d)
    } else {
        (d - f1) / k
    }
}

/// The first float in `(lo, hi]` where `above` holds, given `!above(lo)` and `above(hi)`
/// with `above` monotone between.
fn bisect(mut lo: f64, mut hi: f64, above: impl Fn(f64) -> bool) -> f64 {
    loop {
        let mid = lo + 0.5 * (hi - lo);
        if mid <= lo || mid >= hi {
            return hi;
        }
        if above(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
}

impl NeuronModel for LinearPopulation {
    fn len(&self) -> usize {
        self.c.v_th.len()
    }

    fn n_receptors(&self) -> usize {
        self.c.receptors.len()
    }

    fn advance(&mut self, i: usize, t: f64) {
        if t > self.c.t_last[i] {
            let c = &self.c;
            with_states!(&mut self.s, s => s.x[i] = s.state_at(c, i, t));
            self.c.t_last[i] = t;
        }
    }

    /// Adds `w` to the receptor's variable (an input to V is discarded while refractory).
    fn receive(&mut self, i: usize, r: usize, w: f64) {
        let k = self.c.receptors[r];
        if k == 0 && self.c.t_last[i] < self.c.ref_until[i] {
            return;
        }
        with_states!(&mut self.s, s => s.x[i][k] += w);
    }

    fn above_threshold(&self, i: usize) -> bool {
        self.c.t_last[i] >= self.c.ref_until[i]
            && with_states!(&self.s, s => s.x[i][0]) >= self.c.v_th[i]
    }

    /// Reset of V, the variables' jumps, refractoriness.
    fn fire(&mut self, i: usize) {
        let c = &self.c;
        with_states!(&mut self.s, s => {
            s.x[i][0] = c.v_reset[i];
            for &(k, inc) in &c.jumps {
                s.x[i][k] += inc;
            }
        });
        self.c.ref_until[i] = if self.c.t_ref[i] > 0.0 {
            self.c.t_last[i] + self.c.t_ref[i]
        } else {
            f64::NEG_INFINITY
        };
    }

    fn next_spike(&self, i: usize, end: f64) -> Option<f64> {
        match self.search_within(i, end, u64::MAX) {
            Next::Spike(t) => Some(t),
            _ => None,
        }
    }

    /// The exact search, cut after [`SEARCH_BUDGET`] evaluations of V.
    fn search(&self, i: usize, end: f64) -> Next {
        self.search_within(i, end, SEARCH_BUDGET)
    }

    fn next_bound(&self, i: usize, end: f64) -> Next {
        with_states!(&self.s, s => s.bound(&self.c, i, end))
    }

    fn v_at(&self, i: usize, t: f64) -> f64 {
        let c = &self.c;
        with_states!(&self.s, s => s.state_at(c, i, t.max(c.t_last[i]))[0])
    }

    fn variables(&self) -> Vec<String> {
        self.c.names.clone()
    }

    fn value_at(&self, i: usize, k: usize, t: f64) -> f64 {
        let c = &self.c;
        with_states!(&self.s, s => s.state_at(c, i, t.max(c.t_last[i]))[k])
    }

    fn expect_drive(&mut self) {}

    fn set_drive(&mut self, i: usize, drive: f64) {
        self.c.drive[i] = self.c.bias[i] + drive;
    }

    fn takes_sines(&self) -> bool {
        true
    }

    fn expect_sines(&mut self) {
        let n = self.c.v_th.len();
        with_states!(&mut self.s, s => if s.waves.is_empty() {
            s.waves = vec![Vec::new(); n];
        });
    }

    fn set_sines(&mut self, i: usize, sines: &[Sine]) {
        with_states!(&mut self.s, s => s.set_sines(i, sines));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A lif neuron with one exp receptor as a linear system: V, I.
    fn lif_exp(tau_m: f64, tau_s: f64) -> LinearSystem {
        LinearSystem::new(
            &[vec![-1.0 / tau_m, 1.0 / tau_m], vec![0.0, -1.0 / tau_s]],
            &[-70.0, 0.0],
        )
        .unwrap()
    }

    fn one(sys: LinearSystem, v_init: f64, i_bias: f64) -> LinearPopulation {
        LinearPopulation::new(
            sys,
            LinearNeurons {
                v_th: vec![-50.0],
                v_reset: vec![-70.0],
                t_ref: vec![2.0],
                i_bias: vec![i_bias],
                v_init: vec![v_init],
            },
            vec![0, 1],
            vec![],
        )
    }

    #[test]
    fn unstable_and_ill_shaped_matrices_are_refused() {
        let bad = |a: &[Vec<f64>], rest: &[f64]| LinearSystem::new(a, rest).unwrap_err();
        assert_eq!(bad(&[vec![0.1]], &[0.0]), MatrixError::NoLeak);
        // a slow variable that feeds itself: an eigenvalue > 0
        assert_eq!(
            bad(&[vec![-0.1, 0.0], vec![0.0, 0.01]], &[0.0, 0.0]),
            MatrixError::Unstable
        );
        // undamped oscillation: eigenvalues ±i
        assert_eq!(
            bad(&[vec![-1e-300, -1.0], vec![1.0, 0.0]], &[0.0, 0.0]),
            MatrixError::Unstable
        );
        assert!(matches!(
            bad(&[vec![-0.1, 0.0]], &[0.0, 0.0]),
            MatrixError::Shape(_)
        ));
        assert!(matches!(bad(&[], &[]), MatrixError::Shape(_)));
    }

    /// The lif model's closed form: V(t) with an exp current, from rest.
    #[test]
    fn a_lif_with_an_exp_current_follows_its_closed_form() {
        let (tm, ts) = (10.0, 3.0);
        let mut p = one(lif_exp(tm, ts), -70.0, 4.0);
        p.receive(0, 1, 30.0);
        for &t in &[0.5, 1.0, 2.5, 7.0, 30.0] {
            let k = tm * ts / (tm - ts) / tm;
            let want = -70.0
                + 4.0 * (1.0 - (-t / tm).exp())
                + 30.0 * k * ((-t / tm).exp() - (-t / ts).exp());
            let got = p.v_at(0, t);
            assert!((got - want).abs() < 1e-12, "t {t}: {got} vs {want}");
        }
    }

    /// Against dense sampling: the search never misses a crossing, and V is below θ just
    /// before the time it returns and at or above it there.
    #[test]
    fn the_search_finds_the_first_crossing_of_a_damped_oscillation() {
        // resonator: V coupled to w, complex eigenvalues (period ≈ 2π/0.3 ≈ 21 ms)
        let sys = LinearSystem::new(&[vec![-0.1, -1.0], vec![0.1, -0.05]], &[-65.0, 0.0]).unwrap();
        let mut outcomes = Vec::new();
        for &kick in &[4.0, 6.0, 6.5, 7.0, 7.5, 8.0, 12.0] {
            let mut p = LinearPopulation::new(
                sys.clone(),
                LinearNeurons {
                    v_th: vec![-50.0],
                    v_reset: vec![-65.0],
                    t_ref: vec![0.0],
                    i_bias: vec![0.0],
                    v_init: vec![-65.0],
                },
                vec![0, 1],
                vec![],
            );
            // a negative kick to w: rebound excitation peaks after a quarter period
            p.receive(0, 1, -kick);
            let got = p.next_spike(0, 200.0);
            let mut first = None;
            let mut t = 0.0;
            while t < 200.0 {
                if p.v_at(0, t) >= -50.0 {
                    first = Some(t);
                    break;
                }
                t += 1e-3;
            }
            match (got, first) {
                (Some(g), Some(f)) => {
                    assert!(g <= f + 1e-12 && g > f - 1e-3, "kick {kick}: {g} vs {f}");
                    // (the search compares (V* − θ) + (V − V*): V's own rounding aside)
                    let tol = 64.0 * f64::EPSILON * 65.0;
                    assert!(p.v_at(0, g) >= -50.0 - tol && p.v_at(0, g.next_down()) < -50.0 + tol);
                }
                (None, None) => {}
                other => panic!("kick {kick}: {other:?}"),
            }
            outcomes.push(got);
        }
        assert!(outcomes.iter().any(Option::is_none) && outcomes.iter().any(Option::is_some));
    }

    /// A search cut by its budget answers a check after its start with no crossing before
    /// it; resumed from there (the neuron advanced to the check, as the event loop does), it
    /// ends with the uncut search's answer, to rounding.
    #[test]
    fn a_search_cut_by_its_budget_resumes_to_the_same_answer() {
        let resonator = LinearSystem::new(&[vec![-0.1, -1.0], vec![0.1, -0.05]], &[-65.0, 0.0]);
        // a lif with an alpha current: a Jordan block, the Padé propagator and Lyapunov bounds
        let alpha = LinearSystem::new(
            &[
                vec![-0.1, 0.1, 0.0],
                vec![0.0, -0.2, 1.0],
                vec![0.0, 0.0, -0.2],
            ],
            &[-70.0, 0.0, 0.0],
        );
        let cases = [
            (resonator.unwrap(), vec![0.0, -7.0]),
            (alpha.clone().unwrap(), vec![0.0, 0.0, 20.0]),
            (alpha.unwrap(), vec![0.0, 0.0, 10.0]),
        ];
        let end = 500.0;
        let th = -50.0;
        for (k, (sys, y)) in cases.into_iter().enumerate() {
            let whole = at_state(&sys, &y, th).next_spike(0, end);
            let mut p = at_state(&sys, &y, th);
            let (mut now, mut cuts) = (0.0, 0);
            let got = loop {
                match p.search_within(0, end, 2) {
                    Next::Check(t) => {
                        assert!(t > now && t < end, "case {k}: check {t} at {now}");
                        for j in 1..=16 {
                            let s = now + (t - now) * j as f64 / 16.0;
                            assert!(p.v_at(0, s) < th, "case {k}: V ≥ θ at {s} before {t}");
                        }
                        p.advance(0, t);
                        (now, cuts) = (t, cuts + 1);
                    }
                    Next::Spike(t) => break Some(t),
                    Next::Never => break None,
                }
            };
            assert!(cuts > 2, "case {k}: {cuts} cuts");
            match (whole, got) {
                (Some(a), Some(b)) => assert!((a - b).abs() < 1e-9, "case {k}: {a} vs {b}"),
                (None, None) => {}
                other => panic!("case {k}: {other:?}"),
            }
        }
    }

    /// A neuron of `sys` at state `rest + y` at t = 0 (threshold θ, every variable a receptor).
    fn at_state(sys: &LinearSystem, y: &[f64], th: f64) -> LinearPopulation {
        let n = sys.n();
        let mut p = LinearPopulation::new(
            sys.clone(),
            LinearNeurons {
                v_th: vec![th],
                v_reset: vec![th - 10.0],
                t_ref: vec![0.0],
                i_bias: vec![0.0],
                v_init: vec![sys.rest[0] + y[0]],
            },
            (0..n).collect(),
            vec![],
        );
        for (k, &yk) in y.iter().enumerate().skip(1) {
            p.receive(0, k, yk);
        }
        p
    }

    /// Which propagator each kind of matrix gets: real and complex eigenvectors when they
    /// are well conditioned, invariant subspaces when groups of eigenvalues are apart, the
    /// Padé approximant for a Jordan block.
    #[test]
    fn propagators_go_through_eigenvectors_only_when_they_are_well_conditioned() {
        let d = |rows: &[&[f64]]| DMatrix::from_fn(rows.len(), rows.len(), |i, j| rows[i][j]);
        let kind = |m: &DMatrix<f64>| match Flow::<3>::new(m) {
            Flow::Real { .. } => "real",
            Flow::Complex { .. } => "complex",
            Flow::Blocks(_) => "blocks",
            Flow::Pade(_) => "pade",
        };
        let cuba = d(&[&[-0.05, 0.05, 0.05], &[0.0, -0.2, 0.0], &[0.0, 0.0, -0.1]]);
        let res = d(&[&[-0.1, -1.0, 0.1], &[0.1, -0.05, 0.0], &[0.0, 0.0, -0.2]]);
        let jordan = d(&[&[-0.1, 0.1, 0.0], &[0.0, -0.1, 1.0], &[0.0, 0.0, -0.1]]);
        let close = d(&[
            &[-0.2, -0.2, 0.2],
            &[0.02, -0.01, 0.0],
            &[0.0, 0.0, -0.2001],
        ]);
        assert_eq!(kind(&cuba), "real");
        assert_eq!(kind(&res), "complex");
        assert_eq!(kind(&jordan), "pade");
        // two rates close together (ill-conditioned eigenvectors), well apart from the third
        assert_eq!(kind(&close), "blocks");
        let stiff = d(&[
            &[-900.0, 800.0, 700.0],
            &[0.0, -0.02, 0.1],
            &[0.0, 0.0, -0.0201],
        ]);
        assert_eq!(kind(&stiff), "blocks");
    }

    /// A random n × n matrix (`entries` row-major with `stride` per row, times `scale`)
    /// shifted so its rightmost eigenvalue has real part `−shift`.
    fn shifted(n: usize, entries: &[f64], stride: usize, scale: f64, shift: f64) -> DMatrix<f64> {
        let mut a = DMatrix::from_fn(n, n, |i, j| entries[i * stride + j] * scale);
        let top = a
            .complex_eigenvalues()
            .iter()
            .map(|l| l.re)
            .fold(f64::MIN, f64::max);
        a -= DMatrix::identity(n, n) * (top + shift);
        a
    }

    /// The system of `a` around rest 0, if the model takes it.
    fn system(a: &DMatrix<f64>) -> Option<LinearSystem> {
        let n = a.nrows();
        let rows: Vec<Vec<f64>> = (0..n).map(|i| a.row(i).iter().copied().collect()).collect();
        LinearSystem::new(&rows, &vec![0.0; n]).ok()
    }

    /// Neuron 0 of `p` (below threshold θ): its search's time before `end` is the first
    /// float at or above θ, no sample every `step` ms reaches θ before it (both to within
    /// V's rounding), and the cheap bound never passes it.
    fn never_late(
        p: &LinearPopulation,
        th: f64,
        end: f64,
        step: f64,
    ) -> Result<(), proptest::test_runner::TestCaseError> {
        let found = p.next_spike(0, end);
        // (the search compares (V* − θ) + P_V + (V − V* − P)_V, not V itself: V's rounding
        // aside)
        let tol = 64.0 * f64::EPSILON * (1.0 + th.abs() + p.v_at(0, 0.0).abs());
        if let Some(t) = found {
            proptest::prop_assert!(p.v_at(0, t) >= th - tol);
            proptest::prop_assert!(
                t == 0.0 || p.v_at(0, t.next_down()) < th + tol,
                "not the first float: {}",
                t
            );
        }
        let limit = found.unwrap_or(end);
        let mut s = 0.0;
        while s < limit {
            proptest::prop_assert!(p.v_at(0, s) < th + tol, "V ≥ θ at {} before {:?}", s, found);
            s += step;
        }
        match (p.next_bound(0, end), found) {
            (Next::Never, Some(t)) => proptest::prop_assert!(false, "bound: never; spike at {}", t),
            (Next::Check(c), Some(t)) | (Next::Spike(c), Some(t)) => {
                proptest::prop_assert!(c <= t, "bound {} after the spike at {}", c, t)
            }
            _ => {}
        }
        Ok(())
    }

    /// A neuron whose equilibrium is threshold itself, or 1 to 250 ulps below it, or a
    /// graze that peaks 8 to 250 ulps below threshold: no spike, and the search ends at once
    /// (it used to fire when the deviation underflowed, or walk every float of the graze).
    #[test]
    fn equilibria_and_grazes_within_rounding_of_threshold_end_the_search() {
        let one = LinearSystem::new(&[vec![-0.1]], &[-65.0]).unwrap();
        for ulps in [0u32, 1, 2, 250] {
            let mut bias = 15.0f64;
            for _ in 0..ulps {
                bias = bias.next_down();
            }
            let p = LinearPopulation::new(
                one.clone(),
                LinearNeurons {
                    v_th: vec![-50.0],
                    v_reset: vec![-65.0],
                    t_ref: vec![0.0],
                    i_bias: vec![bias],
                    v_init: vec![-65.0],
                },
                vec![0],
                vec![],
            );
            let start = std::time::Instant::now();
            assert_eq!(p.next_spike(0, 1e6), None, "{ulps} ulps");
            assert!(matches!(p.next_bound(0, 1e6), Next::Never | Next::Check(_)));
            // (a generous limit: it walked billions of floats before)
            assert!(
                start.elapsed().as_secs_f64() < 5.0,
                "{ulps} ulps: {:?}",
                start.elapsed()
            );
        }
        // a resonator kicked once: its peak, then thresholds just above it
        let sys = LinearSystem::new(&[vec![-0.1, -1.0], vec![0.1, -0.05]], &[-65.0, 0.0]).unwrap();
        let probe = at_state(&sys, &[0.0, -8.0], 1e9);
        let (mut lo, mut hi) = (0.0f64, 10.0f64);
        for _ in 0..200 {
            let (m1, m2) = (lo + (hi - lo) * 0.382, hi - (hi - lo) * 0.382);
            if probe.v_at(0, m1) < probe.v_at(0, m2) {
                lo = m1
            } else {
                hi = m2
            }
        }
        let peak = probe.v_at(0, lo);
        for ulps in [8u32, 64, 250, 1000] {
            let mut th = peak;
            for _ in 0..ulps {
                th = th.next_up();
            }
            let p = at_state(&sys, &[0.0, -8.0], th);
            let start = std::time::Instant::now();
            assert_eq!(p.next_spike(0, 200.0), None, "{ulps} ulps above the peak");
            assert!(
                start.elapsed().as_secs_f64() < 5.0,
                "{ulps} ulps: {:?}",
                start.elapsed()
            );
        }
        // at the peak itself the search may fire (within the slack), never later than it
        let p = at_state(&sys, &[0.0, -8.0], peak);
        if let Some(t) = p.next_spike(0, 200.0) {
            assert!((t - lo).abs() < 1e-3, "{t} vs the peak at {lo}");
        }
    }

    /// A matrix on which nalgebra's unbounded Schur iteration never ends (a review found 9
    /// of 5700 random ones): built at once, with the Padé propagator.
    #[test]
    fn a_matrix_whose_schur_iteration_does_not_converge_still_builds() {
        let rows = [
            [
                -0.28317895536090104,
                0.03280743202707567,
                0.005222283572105989,
                -0.06461421313139248,
            ],
            [
                0.0062899743096989195,
                -0.2877321587900763,
                0.001952793670742409,
                -0.024161504196545988,
            ],
            [
                0.01497687146793232,
                0.029210593230359655,
                -0.29535026084844185,
                -0.05753024177946012,
            ],
            [
                0.034816231167775435,
                0.06790488712102588,
                0.010809092774624267,
                -0.4337386250005806,
            ],
        ];
        let a: Vec<Vec<f64>> = rows.iter().map(|r| r.to_vec()).collect();
        let sys = LinearSystem::new(&a, &[0.0; 4]).unwrap();
        let m = DMatrix::from_fn(4, 4, |i, j| rows[i][j]);
        assert!(matches!(
            Flow::<4>::new(&m),
            Flow::Pade(_) | Flow::Real { .. } | Flow::Complex { .. } | Flow::Blocks(_)
        ));
        let p = at_state(&sys, &[0.0, 5.0, 0.0, 0.0], 1.0);
        let _ = p.next_spike(0, 100.0);
    }

    proptest::proptest! {
        /// Random stable systems of 2 to 4 variables (shifted random matrices: normal or
        /// strongly non-normal, real or complex eigenvalues, near-defective ones from a
        /// Jordan block plus a tiny perturbation) from random states: the search's time is
        /// the first float at or above threshold, no dense sample (every 2 µs over 60 ms)
        /// reaches threshold before it, and the cheap bound is never later than it.
        #[test]
        fn the_search_is_never_late_and_the_bound_never_passes_it(
            n in 2usize..=4,
            entries in proptest::collection::vec(-1.0f64..1.0, 16),
            scale in proptest::prop_oneof![0.05f64..0.5, 0.5f64..5.0],
            margin in 0.001f64..0.3,
            jordan in proptest::bool::ANY,
            y in proptest::collection::vec(-20.0f64..20.0, 4),
            th in 0.5f64..15.0,
        ) {
            let mut a = shifted(n, &entries, 4, scale, margin * scale);
            if jordan {
                // λ on the diagonal, 1/ms above it, 1e-6 of the random entries
                a = DMatrix::from_fn(n, n, |i, j| {
                    let base = if i == j { -0.2 } else if j == i + 1 { 1.0 } else { 0.0 };
                    base + 1e-6 * entries[i * 4 + j]
                });
            }
            let Some(sys) = system(&a) else {
                // A_00 ≥ 0 after the shift (V does not leak) or too close to instability
                return Ok(());
            };
            let p = at_state(&sys, &y[..n], th);
            if p.above_threshold(0) {
                return Ok(());
            }
            never_late(&p, th, 60.0, 0.002)?;
        }

        /// Stiff systems: one fast rate (50 to 2000 per ms) beside a slow pair 1e−4 to 1e−2
        /// apart (relative) and coupled, mixed by a random change of basis. Where they are
        /// taken, invariant subspaces give the Padé approximant's trajectory (to 64 ulps of
        /// the state's size times `1 + ‖A‖s`), and the search is never late against dense
        /// sampling (every 2 µs over 60 ms).
        #[test]
        fn stiff_systems_through_invariant_subspaces(
            fast in 50.0f64..2000.0,
            slow in 0.01f64..0.5,
            apart in 1e-4f64..1e-2,
            couple in 0.1f64..2.0,
            mix in proptest::collection::vec(-0.5f64..0.5, 9),
            y in proptest::collection::vec(-20.0f64..20.0, 3),
            th in 0.5f64..15.0,
            s in proptest::prop_oneof![1e-6f64..1e-2, 1e-2f64..100.0],
        ) {
            let t = DMatrix::from_row_slice(3, 3, &[
                -fast, 0.0, 0.0,
                0.0, -slow, couple * slow,
                0.0, 0.0, -slow * (1.0 + apart),
            ]);
            let q = DMatrix::from_fn(3, 3, |i, j| f64::from(u8::from(i == j)) + mix[i * 3 + j]);
            let Some(qi) = q.clone().try_inverse() else {
                return Ok(());
            };
            let a = &q * t * qi;
            let Some(sys) = system(&a) else {
                return Ok(());
            };
            let flow = Flow::<3>::new(&a);
            if let Flow::Blocks(_) = flow {
                let pade = Flow::<3>::Pade(SMatrix::from_fn(|i, j| a[(i, j)]));
                let yv = SVector::<f64, 3>::from_fn(|i, _| y[i]);
                let (got, want) = (flow.apply(&yv, s), pade.apply(&yv, s));
                let size = yv.norm() * (1.0 + a.norm() * s);
                for k in 0..3 {
                    proptest::prop_assert!(
                        (got[k] - want[k]).abs() <= 64.0 * f64::EPSILON * size,
                        "{} vs {} at s = {}", got[k], want[k], s);
                }
            }
            let p = at_state(&sys, &y, th);
            if p.above_threshold(0) {
                return Ok(());
            }
            never_late(&p, th, 60.0, 0.002)?;
        }

        /// Where the eigenvector propagator is taken, it agrees with the Padé approximant
        /// to 64 ulps of the state's size times `1 + ‖A‖s`, for times from 1e−6 to 100 ms:
        /// the exponential's own conditioning (a rounding of A moves `e^{As}` by about
        /// `‖A‖s` of it). At 64 ulps flat, a case with eigenvalues −0.002 ± 1.72i at
        /// s = 15 ms failed: both propagators were 3e−13 from a 50-digit `expm`, on either
        /// side.
        #[test]
        fn eigenvector_and_pade_propagators_agree(
            entries in proptest::collection::vec(-1.0f64..1.0, 16),
            scale in 0.05f64..5.0,
            margin in 0.001f64..0.3,
            y in proptest::collection::vec(-20.0f64..20.0, 4),
            s in proptest::prop_oneof![1e-6f64..1e-2, 1e-2f64..100.0],
        ) {
            let a = shifted(4, &entries, 4, scale, margin * scale);
            let flow = Flow::<4>::new(&a);
            if let Flow::Pade(_) = flow {
                return Ok(());
            }
            let pade = Flow::<4>::Pade(SMatrix::from_fn(|i, j| a[(i, j)]));
            let y = SVector::<f64, 4>::from_fn(|i, _| y[i]);
            let (got, want) = (flow.apply(&y, s), pade.apply(&y, s));
            let size = y.norm() * (1.0 + a.norm() * s);
            for k in 0..4 {
                proptest::prop_assert!((got[k] - want[k]).abs() <= 64.0 * f64::EPSILON * size,
                    "{} vs {} at s = {}", got[k], want[k], s);
            }
        }

        /// The same with one or two sinusoidal drives (0.2 to 500 rad/ms, up to 30 mV)
        /// switched on at t = 0: the search's time is the first float at or above
        /// threshold, no sample every 1 µs before it reaches it, the bound never passes it.
        #[test]
        fn with_sinusoids_the_search_is_never_late(
            n in 2usize..=3,
            entries in proptest::collection::vec(-1.0f64..1.0, 9),
            margin in 0.01f64..0.3,
            y in proptest::collection::vec(-10.0f64..10.0, 3),
            waves in proptest::collection::vec(
                (0.0f64..30.0, proptest::prop_oneof![0.2f64..5.0, 5.0f64..500.0], 0.0f64..6.3),
                1..=2,
            ),
            th in 0.2f64..8.0,
        ) {
            let Some(sys) = system(&shifted(n, &entries, 3, 1.0, margin)) else {
                return Ok(());
            };
            let mut p = at_state(&sys, &y[..n], th);
            p.expect_sines();
            let sines: Vec<Sine> = waves
                .iter()
                .map(|&(amp, omega, phase)| Sine { amp, osc: Oscillation { omega, start: 0.0, phase } })
                .collect();
            p.set_sines(0, &sines);
            if p.above_threshold(0) {
                return Ok(());
            }
            never_late(&p, th, 20.0, 0.001)?;
        }

        /// Grazes: the threshold set 1e−10 to 1e−4 mV below or above V's largest value
        /// over 60 ms (dense samples, then golden-section refinement): below, the search
        /// finds a spike at most 1 µs after the peak; above, none.
        #[test]
        fn grazes_are_resolved_on_the_right_side(
            n in 2usize..=3,
            entries in proptest::collection::vec(-1.0f64..1.0, 9),
            margin in 0.02f64..0.3,
            y in proptest::collection::vec(-10.0f64..10.0, 3),
            exp in -10.0f64..-4.0,
            below in proptest::bool::ANY,
        ) {
            let Some(sys) = system(&shifted(n, &entries, 3, 1.0, margin)) else {
                return Ok(());
            };
            let probe = at_state(&sys, &y[..n], 1e9);
            let (mut best, mut at) = (f64::MIN, 0.0);
            let mut s = 0.0;
            while s <= 60.0 {
                let v = probe.v_at(0, s);
                if v > best {
                    (best, at) = (v, s);
                }
                s += 0.002;
            }
            let (mut lo, mut hi) = ((at - 0.002f64).max(0.0), at + 0.002);
            for _ in 0..200 {
                let (m1, m2) = (lo + (hi - lo) * 0.382, hi - (hi - lo) * 0.382);
                if probe.v_at(0, m1) < probe.v_at(0, m2) { lo = m1 } else { hi = m2 }
            }
            let peak = probe.v_at(0, lo).max(best);
            if !(0.01..=59.0).contains(&lo) {
                // the largest value at an end: not a graze
                return Ok(());
            }
            let delta = 10f64.powf(exp) * (1.0 + peak.abs());
            let th = if below { peak - delta } else { peak + delta };
            let p = at_state(&sys, &y[..n], th);
            if p.above_threshold(0) {
                return Ok(());
            }
            let found = p.next_spike(0, 60.0);
            if below {
                let t = found.ok_or_else(|| proptest::test_runner::TestCaseError::fail(
                    format!("missed a graze {delta:e} mV above threshold at {lo}")))?;
                proptest::prop_assert!(t <= lo + 1e-3, "spike at {} after the peak at {}", t, lo);
            } else {
                proptest::prop_assert!(found.is_none(), "spike at {:?}, peak {:e} below", found, delta);
            }
        }
    }
}
