//! The format's words, for front ends that offer them (the page's forms, a CLI's completion):
//! the values each choice takes, AWS's metric names and namespaces, scalable dimensions.
//! A test holds every list to the type that reads it, so a list cannot drift from the format.

pub use crate::autoscaling::{
    COMPONENT_DIMENSION, PREDEFINED_METRICS, PROVISIONED_CONCURRENCY_DIMENSION, SERVICE_NAMESPACE, VARIANT_DIMENSION,
};
pub use crate::metrics::{NAMESPACE_INSTANCES, NAMESPACE_INVOCATIONS};

/// `Statistic` of an alarm or a customized metric.
pub const STATISTICS: &[&str] = &["Average", "Sum", "Minimum", "Maximum", "SampleCount"];
/// `ComparisonOperator` of an alarm.
pub const COMPARISON_OPERATORS: &[&str] =
    &["GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold", "LessThanOrEqualToThreshold"];
/// `AdjustmentType` of a step scaling policy.
pub const ADJUSTMENT_TYPES: &[&str] = &["ChangeInCapacity", "ExactCapacity", "PercentChangeInCapacity"];
/// `MetricAggregationType` of a step scaling policy.
pub const METRIC_AGGREGATION_TYPES: &[&str] = &["Average", "Minimum", "Maximum"];
/// `TreatMissingData` of an alarm.
pub const TREAT_MISSING_DATA: &[&str] = &["missing", "notBreaching", "breaching", "ignore"];
/// `PolicyType` of a scaling policy.
pub const POLICY_TYPES: &[&str] = &["TargetTrackingScaling", "StepScaling", "PredictiveScaling"];
/// The family of a time distribution in a serving profile.
pub const DISTRIBUTIONS: &[&str] = &["deterministic", "exponential", "lognormal"];
/// How the endpoint routes requests to instances.
pub const ROUTING: &[&str] = &["LEAST_OUTSTANDING_REQUESTS", "RANDOM"];

/// The CloudWatch metrics the simulator publishes, with their namespaces: (namespace, name).
pub fn metrics() -> impl Iterator<Item = (&'static str, &'static str)> {
    crate::metrics::published()
}

#[cfg(test)]
mod tests {
    use serde::de::DeserializeOwned;

    use super::*;

    /// The values serde names when it refuses an unknown one: exactly the type's own.
    fn values_of<T: DeserializeOwned>() -> Vec<String> {
        let err = serde_json::from_value::<T>(serde_json::json!("~")).err().unwrap().to_string();
        let (_, tail) = err.split_once("expected").unwrap_or_else(|| panic!("{err}"));
        tail.split('`').skip(1).step_by(2).map(str::to_string).collect()
    }

    #[test]
    fn every_list_is_exactly_its_types_values() {
        use crate::autoscaling::aws;
        let cases: Vec<(&str, &[&str], Vec<String>)> = vec![
            ("STATISTICS", STATISTICS, values_of::<aws::Statistic>()),
            ("COMPARISON_OPERATORS", COMPARISON_OPERATORS, values_of::<aws::ComparisonOperator>()),
            ("ADJUSTMENT_TYPES", ADJUSTMENT_TYPES, values_of::<aws::AdjustmentType>()),
            ("METRIC_AGGREGATION_TYPES", METRIC_AGGREGATION_TYPES, values_of::<aws::MetricAggregationType>()),
            ("TREAT_MISSING_DATA", TREAT_MISSING_DATA, values_of::<aws::TreatMissingData>()),
            ("POLICY_TYPES", POLICY_TYPES, values_of::<aws::PolicyType>()),
            ("DISTRIBUTIONS", DISTRIBUTIONS, values_of::<crate::rng::Family>()),
            ("ROUTING", ROUTING, values_of::<crate::scenario::Routing>()),
        ];
        for (name, list, values) in cases {
            assert_eq!(list, values.as_slice(), "{name}");
        }
    }

    #[test]
    fn every_predefined_metric_is_known_and_every_metric_has_a_namespace() {
        assert!(PREDEFINED_METRICS.contains(&"SageMakerVariantInvocationsPerInstance"));
        for (ns, name) in metrics() {
            assert!(ns == NAMESPACE_INVOCATIONS || ns == NAMESPACE_INSTANCES, "{ns} {name}");
        }
    }
}
