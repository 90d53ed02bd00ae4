//! Where a request goes: to a variant by weight, then to one of its instances in service
//! (at random, or the least outstanding requests from a random start). Each decision draws from
//! its own stream, so a variant's instance count never changes which variant later requests go to.

use la_arena::Arena;

use super::fleet::{Instance, InstanceId};
use crate::rng::Stream;
use crate::scenario::Routing;

#[derive(Debug)]
pub(crate) struct Router {
    routing: Routing,
    variant_rng: Stream,
    instance_rng: Stream,
}

impl Router {
    pub(crate) fn new(routing: Routing, seed: u64) -> Router {
        Router {
            routing,
            variant_rng: Stream::new(seed, "routing/variant"),
            instance_rng: Stream::new(seed, "routing"),
        }
    }

    /// The variant a request goes to, by weight, among `(id, weight)` pairs (`None` only when
    /// there are none).
    pub(crate) fn pick_variant<I: Copy>(&mut self, weights: impl Iterator<Item = (I, f64)> + Clone) -> Option<I> {
        let mut all = weights.clone();
        let (first, _) = all.next()?;
        if all.next().is_none() {
            return Some(first);
        }
        let total: f64 = weights.clone().map(|(_, w)| w).sum();
        if total <= 0.0 {
            return Some(first);
        }
        let mut x = self.variant_rng.uniform() * total;
        let mut last_positive = first;
        for (id, w) in weights {
            if x < w {
                return Some(id);
            }
            x -= w;
            if w > 0.0 {
                last_positive = id;
            }
        }
        Some(last_positive)
    }

    /// The instance among `in_service` (not empty) that takes a request.
    pub(crate) fn pick_instance(
        &mut self,
        in_service: &[InstanceId],
        instances: &Arena<Instance>,
    ) -> Option<InstanceId> {
        let n = in_service.len();
        let offset = if n > 1 { self.instance_rng.below(n) } else { 0 };
        match self.routing {
            Routing::Random => in_service.get(offset).copied(),
            Routing::LeastOutstandingRequests => {
                // Scan from a random offset so that ties spread evenly.
                let mut best = None;
                let mut best_load = u64::MAX;
                for k in 0..n {
                    let Some(&inst) = in_service.get((offset + k) % n) else { continue };
                    let load = instances[inst].outstanding();
                    if load < best_load {
                        best_load = load;
                        best = Some(inst);
                        if load == 0 {
                            break;
                        }
                    }
                }
                best
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Req;
    use crate::engine::server::test_id;

    #[test]
    fn weights_split_requests_and_zero_weights_get_none() {
        let mut r = Router::new(Routing::Random, 1);
        let weights = [(0, 1.0), (1, 0.0), (2, 3.0)];
        let mut counts = [0u32; 3];
        for _ in 0..40_000 {
            let k: usize = r.pick_variant(weights.iter().copied()).unwrap();
            counts[k] += 1;
        }
        assert_eq!(counts[1], 0);
        // 1 : 3, within 0.01 of the share (4.5 standard deviations).
        let share = f64::from(counts[0]) / 40_000.0;
        assert!((share - 0.25).abs() < 0.01, "{counts:?}");
        assert_eq!(r.pick_variant([(7, 0.0), (8, 0.0)].into_iter()), Some(7));
        assert_eq!(r.pick_variant(std::iter::empty::<(u8, f64)>()), None);
    }

    #[test]
    fn least_outstanding_picks_the_idle_instance() {
        let mut r = Router::new(Routing::LeastOutstandingRequests, 1);
        let mut instances = Arena::new();
        let ids: Vec<InstanceId> = [3, 0, 2]
            .into_iter()
            .map(|queued| {
                let mut i = Instance::new(test_id(0), 0, 0, None);
                i.queue = std::iter::repeat_n(Req::new(0), queued).collect();
                instances.alloc(i)
            })
            .collect();
        for _ in 0..20 {
            assert_eq!(r.pick_instance(&ids, &instances), ids.get(1).copied());
        }
        assert_eq!(r.pick_instance(&[], &instances), None);
    }
}
