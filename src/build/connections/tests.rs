//! Unit tests of the connection rules.
use super::*;

/// The counting sort against a plain sort of the pairs drawn target by target.
#[test]
fn random_rules_are_stored_source_major() {
    let streams = Streams::new(7, 0, "rule");
    for rule in [Rule::FixedIndegree(5), Rule::FixedProbability(0.3)] {
        let (ns, nt) = (13, 11);
        let got = generate_pairs(&rule, "r", ns, nt, true, false, &streams).unwrap();
        let mut want = Vec::new();
        for j in 0..nt {
            let mut rng = streams.rng(j);
            match rule {
                Rule::FixedIndegree(k) => choose(&mut rng, ns, k, true, j)
                    .into_iter()
                    .for_each(|i| want.push((i as u32, j as u32))),
                _ => bernoulli_sources(&mut rng, ns, 0.3, Some(j), |i| {
                    want.push((i as u32, j as u32))
                }),
            }
        }
        want.sort_unstable();
        assert!(want.len() > nt);
        assert_eq!(got, want);
    }
}
