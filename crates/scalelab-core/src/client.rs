//! What clients do when an invocation fails: nothing (the default), retry with exponential
//! backoff, or send every request through an SQS-like queue whose consumer re-receives a failed
//! message after the visibility timeout. Seed 003 recommends either while an endpoint scales
//! out from zero.
//!
//! Every attempt reaches the endpoint and is counted by CloudWatch (`Invocations`,
//! `NoCapacityInvocationFailures`, 5XX); the run summary counts each request once, by its final
//! outcome, and its latency runs from the first attempt (or from the enqueue) to the answer.

use serde::{Deserialize, Serialize};

use crate::problem::{Path, Problem};
use crate::rng::Stream;
use crate::time::{Duration, SimTime};

#[derive(Clone, PartialEq, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Client {
    /// Retry a failed invocation after an exponential backoff (like the AWS SDKs' standard mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<RetryPolicy>,
    /// Put every request in a queue; a consumer invokes the endpoint and a failed message is
    /// received again after the visibility timeout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<QueueBuffer>,
}

/// Failures a client may retry. Invocation timeouts (`ModelError`) are not retried: the request
/// already held a worker for the whole timeout.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub enum RetryOn {
    /// `ValidationError` because the endpoint has no instance (or copy) in service.
    NoCapacity,
    /// 503 because the container's queue was full.
    ServiceUnavailable,
    /// `ThrottlingException`: a serverless endpoint already runs `MaxConcurrency` requests.
    Throttling,
}

impl RetryOn {
    pub const ALL: [&'static str; 3] = ["NoCapacity", "ServiceUnavailable", "Throttling"];
}

fn default_retry_on() -> Vec<RetryOn> {
    vec![RetryOn::NoCapacity, RetryOn::ServiceUnavailable]
}

#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Jitter {
    /// A uniform draw in [0, backoff] (the AWS SDKs' standard retry mode).
    #[default]
    Full,
    /// Half the backoff plus a uniform draw in [0, backoff / 2].
    Equal,
    /// Exactly the backoff.
    None,
}

#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RetryPolicy {
    /// Attempts per request, the first included (AWS SDK standard mode: 3).
    #[serde(default = "three")]
    pub max_attempts: u32,
    /// The backoff before the first retry; each later one is `multiplier` times longer.
    #[serde(default = "one_second")]
    pub initial_backoff: Duration,
    #[serde(default = "two")]
    pub multiplier: f64,
    /// The longest backoff (AWS SDK standard mode: 20 s).
    #[serde(default = "twenty_seconds")]
    pub max_backoff: Duration,
    #[serde(default)]
    pub jitter: Jitter,
    #[serde(default = "default_retry_on")]
    pub retry_on: Vec<RetryOn>,
}

#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QueueBuffer {
    /// How long a received message stays invisible; a failed one is received again after it
    /// (SQS `VisibilityTimeout`, default 30 s).
    #[serde(default = "thirty_seconds")]
    pub visibility_timeout: Duration,
    /// Receives before the message moves to the dead-letter queue (`RedrivePolicy`
    /// `maxReceiveCount`); without it a message is retried until the retention period ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_receive_count: Option<u32>,
    /// How long a message is kept (SQS `MessageRetentionPeriod`, default 4 days).
    #[serde(default = "four_days")]
    pub retention_period: Duration,
    /// Delay before a new message can be received (SQS `DelaySeconds`, default 0).
    #[serde(default)]
    pub delivery_delay: Duration,
    /// Invocations the consumer runs at once (a worker pool, a Lambda function's reserved
    /// concurrency); messages wait in the queue for a free consumer. Without it every visible
    /// message is invoked at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consumers: Option<u32>,
    #[serde(default = "default_retry_on")]
    pub retry_on: Vec<RetryOn>,
}

fn three() -> u32 {
    3
}
fn two() -> f64 {
    2.0
}
fn one_second() -> Duration {
    Duration::from_secs(1)
}
fn twenty_seconds() -> Duration {
    Duration::from_secs(20)
}
fn thirty_seconds() -> Duration {
    Duration::from_secs(30)
}
fn four_days() -> Duration {
    Duration::from_secs(4 * 86_400)
}

/// Upper bounds that keep a run's work finite.
pub(crate) const MAX_ATTEMPTS: u32 = 100;
/// SQS limits: visibility timeout ≤ 12 h, retention 60 s ..= 14 days, delay ≤ 15 min.
const MAX_VISIBILITY_SECS: u64 = 12 * 3600;
const MIN_RETENTION_SECS: u64 = 60;
const MAX_RETENTION_SECS: u64 = 14 * 86_400;
const MAX_DELAY_SECS: u64 = 900;
const MAX_CONSUMERS: u32 = 100_000;

/// The compiled client behaviour.
#[derive(Clone, Debug, PartialEq)]
pub enum ClientPlan {
    Retry {
        max_attempts: u32,
        initial_us: f64,
        multiplier: f64,
        max_us: f64,
        jitter: Jitter,
        retry_on: Vec<RetryOn>,
    },
    Queue {
        visibility_us: SimTime,
        max_receives: Option<u32>,
        retention_us: SimTime,
        delay_us: SimTime,
        consumers: Option<u32>,
        retry_on: Vec<RetryOn>,
    },
}

/// What happens to a request whose attempt failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterFailure {
    /// Try again at this time.
    RetryAt(SimTime),
    /// The client gives up (attempts used up, dead-letter queue, retention over, or the failure
    /// is not retried).
    GiveUp,
}

impl ClientPlan {
    pub fn compile(c: &Client, async_endpoint: bool, p: &mut Vec<Problem>, warnings: &mut Vec<String>) -> Option<Self> {
        let plan = match (&c.retry, &c.queue) {
            (Some(_), Some(_)) => {
                p.push(Problem::new(
                    "client",
                    "has both \"retry\" and \"queue\": choose one (a queue consumer already re-receives failed messages)",
                ));
                return None;
            }
            (None, None) => return None,
            (Some(r), None) => {
                if r.max_attempts == 0 || r.max_attempts > MAX_ATTEMPTS {
                    p.push(Problem::new(
                        "client.retry.maxAttempts",
                        format!("must be 1..={MAX_ATTEMPTS} (the first attempt included; AWS SDKs use 3)"),
                    ));
                }
                if !(r.multiplier.is_finite() && (1.0..=10.0).contains(&r.multiplier)) {
                    p.push(Problem::new("client.retry.multiplier", "must be between 1 and 10 (usually 2)"));
                }
                if r.max_backoff < r.initial_backoff {
                    p.push(Problem::new(
                        "client.retry.maxBackoff",
                        format!("{} is shorter than initialBackoff {}", r.max_backoff, r.initial_backoff),
                    ));
                }
                if r.max_backoff > Duration::from_secs(3600) {
                    p.push(Problem::new("client.retry.maxBackoff", "must be at most 1h"));
                }
                check_retry_on(&r.retry_on, &Path::of("client.retry.retryOn"), p);
                ClientPlan::Retry {
                    max_attempts: r.max_attempts,
                    initial_us: r.initial_backoff.as_micros() as f64,
                    multiplier: r.multiplier,
                    max_us: r.max_backoff.as_micros() as f64,
                    jitter: r.jitter,
                    retry_on: r.retry_on.clone(),
                }
            }
            (None, Some(q)) => {
                if q.visibility_timeout > Duration::from_secs(MAX_VISIBILITY_SECS) {
                    p.push(Problem::new("client.queue.visibilityTimeout", "must be at most 12h (an SQS limit)"));
                }
                if q.visibility_timeout == Duration::ZERO {
                    p.push(Problem::new(
                        "client.queue.visibilityTimeout",
                        "must be longer than 0s, or a failed message is received again at once, forever",
                    ));
                }
                if q.retention_period < Duration::from_secs(MIN_RETENTION_SECS)
                    || q.retention_period > Duration::from_secs(MAX_RETENTION_SECS)
                {
                    p.push(Problem::new("client.queue.retentionPeriod", "must be 1m..=14d (SQS limits)"));
                }
                if q.delivery_delay > Duration::from_secs(MAX_DELAY_SECS) {
                    p.push(Problem::new("client.queue.deliveryDelay", "must be at most 15m (an SQS limit)"));
                }
                if let Some(n) = q.max_receive_count
                    && !(1..=1000).contains(&n)
                {
                    p.push(Problem::new("client.queue.maxReceiveCount", "must be 1..=1000 (SQS limits)"));
                }
                if let Some(n) = q.consumers
                    && !(1..=MAX_CONSUMERS).contains(&n)
                {
                    p.push(Problem::new(
                        "client.queue.consumers",
                        format!("must be 1..={MAX_CONSUMERS} (invocations the consumer runs at once)"),
                    ));
                }
                check_retry_on(&q.retry_on, &Path::of("client.queue.retryOn"), p);
                ClientPlan::Queue {
                    visibility_us: q.visibility_timeout.as_micros(),
                    max_receives: q.max_receive_count,
                    retention_us: q.retention_period.as_micros(),
                    delay_us: q.delivery_delay.as_micros(),
                    consumers: q.consumers,
                    retry_on: q.retry_on.clone(),
                }
            }
        };
        if async_endpoint {
            warnings.push(
                "client: an asynchronous endpoint queues requests itself and never fails them for lack of \
                 capacity; the client's retries only see 503s from a full queue"
                    .to_string(),
            );
        }
        Some(plan)
    }

    /// Delay before the first attempt (a queue's delivery delay).
    pub fn first_delay_us(&self) -> SimTime {
        match self {
            ClientPlan::Retry { .. } => 0,
            ClientPlan::Queue { delay_us, .. } => *delay_us,
        }
    }

    /// The queue consumer's concurrency, when bounded.
    pub fn consumers(&self) -> Option<u32> {
        match self {
            ClientPlan::Retry { .. } => None,
            ClientPlan::Queue { consumers, .. } => *consumers,
        }
    }

    /// Decides what follows failed attempt number `attempt` (1 = the first) of a request first
    /// sent at `first`, failing now with `why`.
    pub fn after_failure(
        &self,
        why: RetryOn,
        attempt: u32,
        first: SimTime,
        now: SimTime,
        rng: &mut Stream,
    ) -> AfterFailure {
        match self {
            ClientPlan::Retry { max_attempts, initial_us, multiplier, max_us, jitter, retry_on } => {
                if !retry_on.contains(&why) || attempt >= *max_attempts {
                    return AfterFailure::GiveUp;
                }
                let exp = (attempt - 1).min(1000) as f64;
                let backoff = (initial_us * libm::pow(*multiplier, exp)).min(*max_us);
                let wait = match jitter {
                    Jitter::Full => rng.uniform() * backoff,
                    Jitter::Equal => backoff / 2.0 + rng.uniform() * backoff / 2.0,
                    Jitter::None => backoff,
                };
                AfterFailure::RetryAt(now + wait as SimTime)
            }
            ClientPlan::Queue { visibility_us, max_receives, retention_us, retry_on, .. } => {
                if !retry_on.contains(&why) || max_receives.is_some_and(|m| attempt >= m) {
                    return AfterFailure::GiveUp;
                }
                let next = now + visibility_us;
                if next >= first + retention_us { AfterFailure::GiveUp } else { AfterFailure::RetryAt(next) }
            }
        }
    }
}

fn check_retry_on(v: &[RetryOn], path: &Path, p: &mut Vec<Problem>) {
    if v.is_empty() {
        p.push(Problem::new(path, format!("is empty: list the failures to retry, from {}", RetryOn::ALL.join(", "))));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn retry(jitter: Jitter) -> ClientPlan {
        ClientPlan::Retry {
            max_attempts: 5,
            initial_us: 1e6,
            multiplier: 2.0,
            max_us: 5e6,
            jitter,
            retry_on: vec![RetryOn::NoCapacity],
        }
    }

    #[test]
    fn exponential_backoff_is_capped_and_attempts_bounded() {
        let p = retry(Jitter::None);
        let mut rng = Stream::new(1, "t");
        let waits: Vec<_> = (1..=4)
            .map(|a| match p.after_failure(RetryOn::NoCapacity, a, 0, 10_000_000, &mut rng) {
                AfterFailure::RetryAt(t) => t - 10_000_000,
                AfterFailure::GiveUp => 0,
            })
            .collect();
        assert_eq!(waits, vec![1_000_000, 2_000_000, 4_000_000, 5_000_000]);
        assert_eq!(p.after_failure(RetryOn::NoCapacity, 5, 0, 0, &mut rng), AfterFailure::GiveUp);
        assert_eq!(p.after_failure(RetryOn::ServiceUnavailable, 1, 0, 0, &mut rng), AfterFailure::GiveUp);
    }

    #[test]
    fn jitter_stays_in_its_interval() {
        let mut rng = Stream::new(7, "t");
        for (jitter, lo, hi) in [(Jitter::Full, 0, 2_000_000), (Jitter::Equal, 1_000_000, 2_000_000)] {
            let p = retry(jitter);
            let mut sum = 0.0;
            for _ in 0..10_000 {
                let AfterFailure::RetryAt(t) = p.after_failure(RetryOn::NoCapacity, 2, 0, 0, &mut rng) else {
                    panic!("gave up")
                };
                assert!((lo..=hi).contains(&t), "{t}");
                sum += t as f64;
            }
            // Mean of a uniform draw: midpoint within 2 %.
            let mid = (lo + hi) as f64 / 2.0;
            assert!((sum / 10_000.0 - mid).abs() / mid < 0.02, "{jitter:?}: {}", sum / 10_000.0);
        }
    }

    #[test]
    fn queue_redelivers_after_visibility_until_dead_letter_or_retention() {
        let q = ClientPlan::Queue {
            visibility_us: 30_000_000,
            max_receives: Some(3),
            retention_us: 80_000_000,
            delay_us: 0,
            consumers: None,
            retry_on: vec![RetryOn::NoCapacity],
        };
        let mut rng = Stream::new(1, "t");
        assert_eq!(q.after_failure(RetryOn::NoCapacity, 1, 0, 0, &mut rng), AfterFailure::RetryAt(30_000_000));
        // Retention: the redelivery at 90 s would be past the 80 s retention.
        assert_eq!(q.after_failure(RetryOn::NoCapacity, 2, 0, 60_000_000, &mut rng), AfterFailure::GiveUp);
        // maxReceiveCount: the third receive failed, off to the dead-letter queue.
        assert_eq!(q.after_failure(RetryOn::NoCapacity, 3, 0, 1, &mut rng), AfterFailure::GiveUp);
    }
}
