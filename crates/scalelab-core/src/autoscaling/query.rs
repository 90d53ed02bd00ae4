//! Checks and compiles what an alarm or a target tracking policy watches: one metric with a
//! statistic, or a metric math list (`Metrics`), as CloudWatch and Application Auto Scaling
//! validate them. Every problem is named at its path.

use super::alarm::{MathMetric, MetricRef, Source};
use super::aws::{Dimension, MetricDataQuery, MetricIdentity, TargetTrackingMetricDataQuery};
use super::math::{self, Expr, Kind};
use super::stat::Stat;
use crate::metrics::Metric;
use crate::problem::Path;

/// Most queries in one `Metrics` list, and most metrics and expressions among them
/// (PutMetricAlarm's limits).
pub(super) const MAX_QUERIES: usize = 20;
pub(super) const MAX_METRIC_QUERIES: usize = 10;
pub(super) const MAX_EXPRESSIONS: usize = 10;

/// One query, whichever API it comes from.
#[derive(Debug)]
pub(super) struct Query<'a> {
    pub id: &'a str,
    pub expression: Option<&'a str>,
    pub metric: Option<(&'a MetricIdentity, &'a str, Option<u32>)>,
    pub return_data: Option<bool>,
    pub label: Option<&'a str>,
    pub extra: Vec<&'static str>,
}

impl<'a> From<&'a MetricDataQuery> for Query<'a> {
    fn from(q: &'a MetricDataQuery) -> Self {
        let mut extra = Vec::new();
        if q.account_id.is_some() {
            extra.push("AccountId");
        }
        Query {
            id: &q.id,
            expression: q.expression.as_deref(),
            metric: q.metric_stat.as_ref().map(|m| (&m.metric, m.stat.as_str(), Some(m.period))),
            return_data: q.return_data,
            label: q.label.as_deref(),
            extra,
        }
    }
}

impl<'a> From<&'a TargetTrackingMetricDataQuery> for Query<'a> {
    fn from(q: &'a TargetTrackingMetricDataQuery) -> Self {
        Query {
            id: &q.id,
            expression: q.expression.as_deref(),
            metric: q.metric_stat.as_ref().map(|m| (&m.metric, m.stat.as_str(), None)),
            return_data: q.return_data,
            label: q.label.as_deref(),
            extra: Vec::new(),
        }
    }
}

/// Finds a variant from a metric's dimensions, and whether it is serverless.
pub(super) type Resolve<'r> = dyn Fn(&[Dimension]) -> Result<(usize, bool), String> + 'r;

/// Whether a serverless variant (or one on instances) publishes `metric`.
fn published_for(metric: Metric, serverless: bool) -> Result<(), String> {
    let instance_only = matches!(
        metric,
        Metric::InvocationsPerInstance
            | Metric::ConcurrentRequestsPerModel
            | Metric::CpuUtilization
            | Metric::GpuUtilization
    );
    let serverless_only = matches!(
        metric,
        Metric::ModelSetupTime
            | Metric::ServerlessConcurrentExecutionsUtilization
            | Metric::ServerlessProvisionedConcurrencyExecutions
            | Metric::ServerlessProvisionedConcurrencyUtilization
            | Metric::ServerlessProvisionedConcurrencyInvocations
            | Metric::ServerlessProvisionedConcurrencySpilloverInvocations
    );
    match (serverless, instance_only, serverless_only) {
        (true, true, _) => Err(format!(
            "{} is not published for serverless endpoints; scale on ServerlessProvisionedConcurrencyUtilization or ServerlessConcurrentExecutionsUtilization",
            metric.name()
        )),
        (false, _, true) => Err(format!("{} is published for serverless endpoints only", metric.name())),
        _ => Ok(()),
    }
}

/// One metric: its name in its namespace, the variant its dimensions name, and the statistic
/// (which must exist for that metric).
pub(super) fn metric_ref(
    namespace: &str,
    name: &str,
    dims: &[Dimension],
    stat: Stat,
    path: &Path,
    resolve: &Resolve<'_>,
    err: &mut dyn FnMut(Path, String),
) -> Option<MetricRef> {
    let metric = Metric::lookup(namespace, name).map_err(|m| err(path.join("MetricName"), m)).ok();
    let variant = resolve(dims).map_err(|m| err(path.join("Dimensions"), m)).ok();
    let metric = metric?;
    if let Err(m) = stat.check_for(metric) {
        err(path.clone(), m);
        return None;
    }
    let (variant, serverless) = variant?;
    if let Err(m) = published_for(metric, serverless) {
        err(path.join("MetricName"), m);
        return None;
    }
    Some(MetricRef { metric, variant, statistic: stat })
}

fn valid_id(id: &str) -> bool {
    let mut c = id.chars();
    c.next().is_some_and(|f| f.is_ascii_lowercase())
        && c.all(|x| x.is_ascii_alphanumeric() || x == '_')
        && id.len() <= 255
}

/// Whether a period (seconds) is one CloudWatch alarms take.
pub(super) fn valid_period(secs: u32) -> bool {
    matches!(secs, 10 | 20 | 30) || (secs >= 60 && secs.is_multiple_of(60))
}

/// Compiles a `Metrics` list at `path` into what the alarm watches and its period (the metrics'
/// common `Period`, or `fixed_period` for target tracking, which has none). A list of one metric
/// is that metric.
pub(super) fn compile(
    queries: &[Query<'_>],
    path: &Path,
    fixed_period: Option<u32>,
    resolve: &Resolve<'_>,
    err: &mut dyn FnMut(Path, String),
) -> Option<(Source, u32)> {
    if !count_problems(queries, path, err) {
        return None;
    }
    let mut ok = true;
    let mut metrics: Vec<(String, MetricRef)> = Vec::new();
    // Metric queries with a problem: named already; expressions may still use them.
    let mut broken: Vec<String> = Vec::new();
    let mut parsed: Vec<(String, Expr)> = Vec::new();
    let mut period: Option<u32> = fixed_period;
    let ids: Vec<&str> = queries.iter().map(|q| q.id).collect();
    for (k, q) in queries.iter().enumerate() {
        let qp = path.index(k);
        let mut bad = |p: Path, m: String| {
            ok = false;
            err(p, m);
        };
        if !valid_id(q.id) {
            bad(
                qp.join("Id"),
                format!(
                    "\"{}\" is not an Id: start with a lowercase letter, then letters, digits or underscores (m1, errors)",
                    q.id
                ),
            );
        } else if ids.iter().take(k).any(|i| *i == q.id) {
            bad(qp.join("Id"), format!("\"{}\" is used twice; each query needs its own Id", q.id));
        }
        for field in &q.extra {
            bad(qp.join(field), "queries across accounts are not simulated; remove it".into());
        }
        match (q.expression, q.metric) {
            (Some(_), Some(_)) | (None, None) => {
                bad(qp.clone(), "give exactly one of Expression and MetricStat".into());
            }
            (Some(text), None) => match math::parse(text) {
                Ok(e) => parsed.push((q.id.to_string(), e)),
                Err(m) => bad(qp.join("Expression"), m),
            },
            (None, Some((metric, stat, p))) => {
                let sp = qp.join("MetricStat");
                let stat = Stat::parse(stat).map_err(|m| bad(sp.join("Stat"), m)).ok();
                if let Some(p) = p {
                    if !valid_period(p) {
                        bad(sp.join("Period"), format!("{p} s: use 10, 20, 30 or a multiple of 60"));
                    } else if period.is_some_and(|q| q != p) {
                        bad(
                            sp.join("Period"),
                            format!(
                                "{p} s, but another metric of the alarm has {} s: all of an alarm's metrics have one period",
                                period.unwrap_or_default()
                            ),
                        );
                    } else {
                        period = Some(p);
                    }
                }
                let Some(stat) = stat else {
                    broken.push(q.id.to_string());
                    continue;
                };
                let mp = sp.join("Metric");
                let mut e = |p: Path, m: String| bad(p, m);
                if let Some(r) =
                    metric_ref(&metric.namespace, &metric.metric_name, &metric.dimensions, stat, &mp, resolve, &mut e)
                {
                    if period.is_some_and(|p| p < 60) && !r.metric.high_resolution() {
                        bad(
                            sp.join("Period"),
                            format!(
                                "{} is published every 60 s; a shorter period needs a high-resolution metric",
                                r.metric.name()
                            ),
                        );
                    }
                    metrics.push((q.id.to_string(), r));
                } else {
                    broken.push(q.id.to_string());
                }
            }
        }
    }
    if period.is_none() && ok {
        err(path.clone(), "no MetricStat: an expression needs at least one metric".into());
        ok = false;
    }
    // Kinds and evaluation order: an expression after the ids it uses.
    let mut kinds: Vec<(String, Kind)> =
        metrics.iter().map(|(id, _)| id.clone()).chain(broken).map(|id| (id, Kind::Series)).collect();
    let mut ordered: Vec<(String, Expr)> = Vec::new();
    let mut pending = parsed;
    while !pending.is_empty() {
        let ready = pending.iter().position(|(_, e)| {
            let mut used = Vec::new();
            e.ids(&mut used);
            used.iter().all(|u| kinds.iter().any(|(id, _)| id == u) || !ids.contains(&u.as_str()))
        });
        let Some(k) = ready else {
            let names: Vec<&str> = pending.iter().map(|(id, _)| id.as_str()).collect();
            err(path.clone(), format!("the expressions {} use each other in a circle", names.join(", ")));
            return None;
        };
        let (id, e) = pending.remove(k);
        let at = queries.iter().position(|q| q.id == id).unwrap_or(0);
        let kind_of = |x: &str| kinds.iter().find(|(i, _)| i == x).map(|(_, k)| *k);
        match e.check(&kind_of) {
            Ok(kind) => {
                kinds.push((id.clone(), kind));
                ordered.push((id, e));
            }
            Err(m) => {
                err(path.index(at).join("Expression"), m);
                // Named once; what uses it is checked as if it were a series.
                kinds.push((id, Kind::Series));
                ok = false;
            }
        }
    }
    let returned: Vec<(usize, &Query<'_>)> =
        queries.iter().enumerate().filter(|(_, q)| q.return_data.unwrap_or(true)).collect();
    let [(at, out)] = returned.as_slice() else {
        let which: Vec<&str> = returned.iter().map(|(_, q)| q.id).collect();
        err(
            path.clone(),
            if which.is_empty() {
                "no query has ReturnData true: set it on the one whose series is the metric".into()
            } else {
                format!(
                    "{} queries return data ({}); set \"ReturnData\": false on all but the one whose series is the metric",
                    which.len(),
                    which.join(", ")
                )
            },
        );
        return None;
    };
    match kinds.iter().find(|(id, _)| id == out.id).map(|(_, k)| *k) {
        Some(Kind::Series) | None => {}
        Some(Kind::Scalar) => {
            err(
                path.index(*at).join("Expression"),
                "returns one number, not a time series: wrap it as TIME_SERIES(…) or combine it with a metric".into(),
            );
            return None;
        }
        _ => {
            err(
                path.index(*at).join("Expression"),
                "returns several time series; the metric must be one: reduce them, e.g. SUM(METRICS())".into(),
            );
            return None;
        }
    }
    let (true, Some(period)) = (ok, period) else { return None };
    if ordered.is_empty()
        && let [(_, m)] = metrics.as_slice()
    {
        return Some((Source::Metric(*m), period));
    }
    let label = out.label.map(str::to_string).or_else(|| out.expression.map(str::to_string)).unwrap_or_default();
    let math = MathMetric { metrics, expressions: ordered, output: out.id.to_string(), label };
    Some((Source::Math(Box::new(math)), period))
}

/// The list's size limits; `true` when within them.
fn count_problems(queries: &[Query<'_>], path: &Path, err: &mut dyn FnMut(Path, String)) -> bool {
    let metrics = queries.iter().filter(|q| q.metric.is_some()).count();
    let expressions = queries.iter().filter(|q| q.expression.is_some()).count();
    let problem = if queries.is_empty() {
        Some("is empty: list the metrics and expressions".to_string())
    } else if queries.len() > MAX_QUERIES {
        Some(format!("{} queries; at most {MAX_QUERIES}", queries.len()))
    } else if metrics > MAX_METRIC_QUERIES {
        Some(format!("{metrics} MetricStat queries; at most {MAX_METRIC_QUERIES}"))
    } else if expressions > MAX_EXPRESSIONS {
        Some(format!("{expressions} expressions; at most {MAX_EXPRESSIONS}"))
    } else {
        None
    };
    if let Some(m) = problem {
        err(path.clone(), m);
        return false;
    }
    true
}
