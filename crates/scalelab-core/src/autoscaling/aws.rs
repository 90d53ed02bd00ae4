//! The request bodies of the AWS APIs, exactly as boto3 and `aws ... --cli-input-json` take them
//! (PascalCase). Users paste what they run in AWS; fields that do not change the simulation are
//! accepted (and reported when they would matter), unknown ones are errors.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `application-autoscaling register-scalable-target`.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct RegisterScalableTarget {
    pub service_namespace: String,
    pub resource_id: String,
    pub scalable_dimension: String,
    pub min_capacity: u32,
    pub max_capacity: u32,
    #[serde(default, rename = "RoleARN", skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspended_state: Option<SuspendedState>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<BTreeMap<String, String>>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct SuspendedState {
    #[serde(default)]
    pub dynamic_scaling_in_suspended: bool,
    #[serde(default)]
    pub dynamic_scaling_out_suspended: bool,
    #[serde(default)]
    pub scheduled_scaling_suspended: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub enum PolicyType {
    TargetTrackingScaling,
    StepScaling,
    PredictiveScaling,
}

/// `application-autoscaling put-scaling-policy`.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct PutScalingPolicy {
    pub policy_name: String,
    pub service_namespace: String,
    pub resource_id: String,
    pub scalable_dimension: String,
    pub policy_type: PolicyType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_tracking_scaling_policy_configuration: Option<TargetTrackingConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_scaling_policy_configuration: Option<StepScalingConfig>,
}

#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct TargetTrackingConfig {
    pub target_value: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predefined_metric_specification: Option<PredefinedMetric>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customized_metric_specification: Option<CustomizedMetric>,
    /// Seconds; SageMaker's default is 300.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_out_cooldown: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_in_cooldown: Option<u32>,
    #[serde(default)]
    pub disable_scale_in: bool,
}

#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct PredefinedMetric {
    pub predefined_metric_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_label: Option<String>,
}

/// A target tracking policy's own metric: one metric with a basic statistic, or a metric math
/// list (`Metrics`) whose one returned series is tracked.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct CustomizedMetric {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dimensions: Vec<Dimension>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statistic: Option<Statistic>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<Vec<TargetTrackingMetricDataQuery>>,
}

/// One query of a target tracking policy's metric math (`TargetTrackingMetricDataQuery`).
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct TargetTrackingMetricDataQuery {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric_stat: Option<TargetTrackingMetricStat>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_data: Option<bool>,
}

/// `TargetTrackingMetricStat`: a metric and any statistic (percentiles included); no period,
/// Application Auto Scaling uses one minute.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct TargetTrackingMetricStat {
    pub metric: MetricIdentity,
    pub stat: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

/// CloudWatch's `Metric`: namespace, name and dimensions.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct MetricIdentity {
    pub metric_name: String,
    pub namespace: String,
    #[serde(default)]
    pub dimensions: Vec<Dimension>,
}

/// One query of an alarm's metric math (`MetricDataQuery`).
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct MetricDataQuery {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric_stat: Option<MetricStat>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_data: Option<bool>,
    /// Seconds, for an expression's result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
}

/// `MetricStat` of an alarm's query: a metric, its period and any statistic.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct MetricStat {
    pub metric: MetricIdentity,
    pub period: u32,
    pub stat: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Dimension {
    pub name: String,
    pub value: String,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub enum Statistic {
    Average,
    Sum,
    Minimum,
    Maximum,
    SampleCount,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub enum AdjustmentType {
    ChangeInCapacity,
    ExactCapacity,
    PercentChangeInCapacity,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
pub enum MetricAggregationType {
    #[default]
    Average,
    Minimum,
    Maximum,
}

#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct StepScalingConfig {
    pub adjustment_type: AdjustmentType,
    pub step_adjustments: Vec<StepAdjustment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_adjustment_magnitude: Option<u32>,
    /// Seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cooldown: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric_aggregation_type: Option<MetricAggregationType>,
}

#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct StepAdjustment {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric_interval_lower_bound: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric_interval_upper_bound: Option<f64>,
    pub scaling_adjustment: i64,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub enum ComparisonOperator {
    GreaterThanOrEqualToThreshold,
    GreaterThanThreshold,
    LessThanThreshold,
    LessThanOrEqualToThreshold,
}

impl ComparisonOperator {
    pub fn breaches(self, value: f64, threshold: f64) -> bool {
        match self {
            ComparisonOperator::GreaterThanOrEqualToThreshold => value >= threshold,
            ComparisonOperator::GreaterThanThreshold => value > threshold,
            ComparisonOperator::LessThanThreshold => value < threshold,
            ComparisonOperator::LessThanOrEqualToThreshold => value <= threshold,
        }
    }
    pub fn symbol(self) -> &'static str {
        match self {
            ComparisonOperator::GreaterThanOrEqualToThreshold => "≥",
            ComparisonOperator::GreaterThanThreshold => ">",
            ComparisonOperator::LessThanThreshold => "<",
            ComparisonOperator::LessThanOrEqualToThreshold => "≤",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TreatMissingData {
    #[default]
    Missing,
    NotBreaching,
    Breaching,
    Ignore,
}

/// `cloudwatch put-metric-alarm`, for the alarms that drive step scaling policies.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct PutMetricAlarm {
    pub alarm_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alarm_description: Option<String>,
    #[serde(default = "yes")]
    pub actions_enabled: bool,
    #[serde(default, rename = "OKActions", skip_serializing_if = "Vec::is_empty")]
    pub ok_actions: Vec<String>,
    #[serde(default)]
    pub alarm_actions: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub insufficient_data_actions: Vec<String>,
    /// One metric (`MetricName`, `Namespace`, `Dimensions`, `Period` and `Statistic` or
    /// `ExtendedStatistic`), or `Metrics`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statistic: Option<Statistic>,
    /// A percentile (`p99`) or trimmed mean (`tm90`, `TM(10%:90%)`, `IQM`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extended_statistic: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dimensions: Vec<Dimension>,
    /// Seconds: 10, 20, 30 or a multiple of 60.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// Metric math: queries, one of which returns the series the alarm watches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<Vec<MetricDataQuery>>,
    pub evaluation_periods: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datapoints_to_alarm: Option<u32>,
    pub threshold: f64,
    pub comparison_operator: ComparisonOperator,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub treat_missing_data: Option<TreatMissingData>,
    /// `evaluate` (the default) or `ignore`: a percentile alarm keeps its state in periods with
    /// too few values to be significant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evaluate_low_sample_count_percentile: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<Dimension>>,
}

fn yes() -> bool {
    true
}

/// `application-autoscaling put-scheduled-action`.
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct PutScheduledAction {
    pub service_namespace: String,
    pub scheduled_action_name: String,
    pub resource_id: String,
    pub scalable_dimension: String,
    /// `at(yyyy-mm-ddThh:mm:ss)`, `rate(N unit)` or `cron(6 fields)`.
    pub schedule: String,
    /// IANA time zone of the schedule; UTC when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// ISO-8601 timestamps bounding a recurring schedule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<String>,
    pub scalable_target_action: ScalableTargetAction,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct ScalableTargetAction {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_capacity: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_capacity: Option<u32>,
}

/// Defaults of target tracking that AWS does not promise; a scenario may override each (the
/// others keep their defaults).
#[derive(Clone, PartialEq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct TargetTrackingDefaults {
    /// The scale-in alarm fires below this fraction of the target.
    pub scale_in_factor: f64,
    /// Datapoints of the scale-out alarm (M of M), for 60 s and 10 s metrics.
    pub scale_out_datapoints: u32,
    pub scale_out_datapoints_high_resolution: u32,
    /// Datapoints of the scale-in alarm (M of M), for 60 s and 10 s metrics.
    pub scale_in_datapoints: u32,
    pub scale_in_datapoints_high_resolution: u32,
    /// Cooldowns when a policy gives none, seconds (SageMaker variants: 300).
    pub cooldown_secs: u32,
}

impl Default for TargetTrackingDefaults {
    fn default() -> Self {
        TargetTrackingDefaults {
            scale_in_factor: 0.9,
            scale_out_datapoints: 3,
            scale_out_datapoints_high_resolution: 3,
            scale_in_datapoints: 15,
            scale_in_datapoints_high_resolution: 90,
            cooldown_secs: 300,
        }
    }
}

/// The scenario's `scaling` section: lists of API request bodies, named after the calls.
#[derive(Clone, PartialEq, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScalingConfig {
    #[serde(default, rename = "RegisterScalableTarget", skip_serializing_if = "Vec::is_empty")]
    pub register_scalable_target: Vec<RegisterScalableTarget>,
    #[serde(default, rename = "PutScalingPolicy", skip_serializing_if = "Vec::is_empty")]
    pub put_scaling_policy: Vec<PutScalingPolicy>,
    #[serde(default, rename = "PutMetricAlarm", skip_serializing_if = "Vec::is_empty")]
    pub put_metric_alarm: Vec<PutMetricAlarm>,
    #[serde(default, rename = "PutScheduledAction", skip_serializing_if = "Vec::is_empty")]
    pub put_scheduled_action: Vec<PutScheduledAction>,
    #[serde(default, rename = "targetTrackingDefaults")]
    pub target_tracking_defaults: TargetTrackingDefaults,
}
