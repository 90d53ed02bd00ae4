//! Exports a scenario's scaling configuration for AWS: CLI commands, a boto3 script, a
//! CloudFormation template, CDK TypeScript, or JSON (the request bodies, which import back
//! unchanged).
//!
//! Step scaling alarms name their policy by name in a scenario; AWS wants the policy's ARN, so
//! each format wires it: a shell variable, a Python variable, a CloudFormation `Ref`, or the
//! CDK construct's `ref`.

use serde_json::{Map, Value, json};

use crate::autoscaling::aws::ScalingConfig;
use crate::scenario::{CapacityChange, Scenario};

/// `v[key] = value` without a panic when `v` is not an object (it is left unchanged).
fn set(v: &mut Value, key: &str, value: Value) {
    if let Some(m) = v.as_object_mut() {
        m.insert(key.to_string(), value);
    }
}

/// What stands for step policy `k`'s ARN in an alarm's actions until a format wires it.
fn placeholder(k: usize) -> String {
    format!("__POLICY_ARN_{k}__")
}

/// `v[key]`, or null.
fn field<'a>(v: &'a Value, key: &str) -> &'a Value {
    v.get(key).unwrap_or(&Value::Null)
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Format {
    Cli,
    Boto3,
    CloudFormation,
    Cdk,
    Json,
}

impl Format {
    pub const ALL: [(&'static str, Format); 5] = [
        ("cli", Format::Cli),
        ("boto3", Format::Boto3),
        ("cloudformation", Format::CloudFormation),
        ("cdk", Format::Cdk),
        ("json", Format::Json),
    ];

    pub fn parse(name: &str) -> Result<Format, String> {
        Format::ALL.iter().find(|(n, _)| *n == name).map(|(_, f)| *f).ok_or_else(|| {
            let names: Vec<&str> = Format::ALL.iter().map(|(n, _)| *n).collect();
            match crate::problem::nearest(name, &names) {
                Some(n) => format!("unknown format \"{name}\"; did you mean \"{n}\"?"),
                None => format!("unknown format \"{name}\"; use one of {}", names.join(", ")),
            }
        })
    }
}

/// The JSON export: what `scaling` and the on-demand calls hold, ready to paste into another
/// scenario (or to feed to AWS one request at a time).
pub fn to_json(s: &Scenario) -> Result<Value, serde_json::Error> {
    let mut out = Map::new();
    if let Some(cfg) = &s.scaling {
        out.insert("scaling".into(), serde_json::to_value(cfg)?);
    }
    if !s.capacity_changes.is_empty() {
        out.insert("capacityChanges".into(), serde_json::to_value(&s.capacity_changes)?);
    }
    Ok(Value::Object(out))
}

/// Reads a JSON export back (the inverse of `to_json`).
pub fn from_json(v: &Value) -> Result<(Option<ScalingConfig>, Vec<CapacityChange>), String> {
    let scaling = match v.get("scaling") {
        Some(x) => Some(serde_json::from_value(x.clone()).map_err(|e| format!("scaling: {e}"))?),
        None => None,
    };
    let changes = match v.get("capacityChanges") {
        Some(x) => serde_json::from_value(x.clone()).map_err(|e| format!("capacityChanges: {e}"))?,
        None => Vec::new(),
    };
    Ok((scaling, changes))
}

/// Everything a format needs: each request body, in the order AWS needs them.
struct Requests {
    targets: Vec<Value>,
    /// (request, is step policy)
    policies: Vec<(Value, bool)>,
    /// (request, indices into `policies` of the step policies in AlarmActions)
    alarms: Vec<(Value, Vec<usize>)>,
    scheduled: Vec<Value>,
    /// (when, request) for on-demand calls.
    on_demand: Vec<(String, Value)>,
}

fn requests(s: &Scenario) -> Result<Requests, serde_json::Error> {
    let cfg = s.scaling.clone().unwrap_or_default();
    let policies = cfg
        .put_scaling_policy
        .iter()
        .map(|p| Ok((serde_json::to_value(p)?, p.step_scaling_policy_configuration.is_some())))
        .collect::<Result<Vec<(Value, bool)>, serde_json::Error>>()?;
    // Policy references in AlarmActions become placeholders each format wires to the policy's
    // ARN; other actions (notification topics) stay as they are.
    let alarms = cfg
        .put_metric_alarm
        .iter()
        .map(|a| {
            let mut refs = Vec::new();
            let actions: Vec<Value> = a
                .alarm_actions
                .iter()
                .map(|act| {
                    let policy = crate::autoscaling::policy_name_of(act)
                        .and_then(|name| cfg.put_scaling_policy.iter().position(|p| p.policy_name == name));
                    match policy {
                        Some(k) => {
                            refs.push(k);
                            Value::String(placeholder(k))
                        }
                        None => Value::String(act.clone()),
                    }
                })
                .collect();
            let mut body = serde_json::to_value(a)?;
            set(&mut body, "AlarmActions", Value::Array(actions));
            Ok((body, refs))
        })
        .collect::<Result<_, serde_json::Error>>()?;
    let on_demand = s
        .capacity_changes
        .iter()
        .map(|c| {
            let body = match &c.update_endpoint_weights_and_capacities {
                Some(call) => serde_json::to_value(call)?,
                None => {
                    let mut item = json!({"VariantName": c.variant.clone().unwrap_or_default()});
                    if let Some(n) = c.desired_instance_count {
                        set(&mut item, "DesiredInstanceCount", Value::from(n));
                    }
                    if let Some(w) = c.desired_weight {
                        set(&mut item, "DesiredWeight", Value::from(w));
                    }
                    json!({"EndpointName": s.endpoint.name, "DesiredWeightsAndCapacities": [item]})
                }
            };
            Ok((c.at.to_string(), body))
        })
        .collect::<Result<_, serde_json::Error>>()?;
    Ok(Requests {
        targets: cfg.register_scalable_target.iter().map(serde_json::to_value).collect::<Result<_, _>>()?,
        policies,
        alarms,
        scheduled: cfg.put_scheduled_action.iter().map(serde_json::to_value).collect::<Result<_, _>>()?,
        on_demand,
    })
}

/// The scenario's scaling configuration and on-demand calls in `format`.
pub fn export(s: &Scenario, format: Format) -> Result<String, serde_json::Error> {
    Ok(match format {
        Format::Json => pretty(&to_json(s)?) + "\n",
        Format::Cli => cli(s)?,
        Format::Boto3 => boto3(s)?,
        Format::CloudFormation => pretty(&cloudformation(s)?) + "\n",
        Format::Cdk => cdk(s)?,
    })
}

/// Pretty JSON (two-space indent); a `Value` always serializes.
fn pretty(v: &Value) -> String {
    format!("{v:#}")
}

/// Single-quoted for a POSIX shell.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

fn header(s: &Scenario, comment: &str) -> String {
    let name = if s.name.is_empty() { "scenario" } else { s.name.as_str() };
    format!("{comment} Scaling configuration exported by Scalelab from \"{name}\".\n")
}

fn cli(s: &Scenario) -> Result<String, serde_json::Error> {
    let r = requests(s)?;
    let mut o = String::from("#!/usr/bin/env bash\n");
    o += &header(s, "#");
    o += "set -euo pipefail\n\n";
    for t in &r.targets {
        o += &format!(
            "aws application-autoscaling register-scalable-target --cli-input-json {}\n\n",
            shell_quote(&pretty(t))
        );
    }
    for (k, (p, step)) in r.policies.iter().enumerate() {
        let cmd =
            format!("aws application-autoscaling put-scaling-policy --cli-input-json {}", shell_quote(&pretty(p)));
        if *step {
            o += &format!("POLICY_ARN_{k}=$({cmd} --query PolicyARN --output text)\n\n");
        } else {
            o += &format!("{cmd}\n\n");
        }
    }
    for (a, refs) in &r.alarms {
        let mut text = shell_quote(&pretty(a));
        for k in refs {
            text = text.replace(&format!("\"{}\"", placeholder(*k)), &format!("\"'\"$POLICY_ARN_{k}\"'\""));
        }
        o += &format!("aws cloudwatch put-metric-alarm --cli-input-json {text}\n\n");
    }
    for a in &r.scheduled {
        o += &format!(
            "aws application-autoscaling put-scheduled-action --cli-input-json {}\n\n",
            shell_quote(&pretty(a))
        );
    }
    for (at, body) in &r.on_demand {
        o += &format!(
            "# On demand, {at} into the run:\n# aws sagemaker update-endpoint-weights-and-capacities --cli-input-json {}\n\n",
            shell_quote(&body.to_string())
        );
    }
    Ok(o)
}

/// A JSON value as a Python literal.
fn python(v: &Value, indent: usize) -> String {
    let pad = "    ".repeat(indent + 1);
    let end = "    ".repeat(indent);
    match v {
        Value::Null => "None".into(),
        Value::Bool(b) => if *b { "True" } else { "False" }.into(),
        Value::Number(n) => n.to_string(),
        Value::String(t) => serde_json::to_string(t).unwrap_or_default(),
        Value::Array(items) if items.is_empty() => "[]".into(),
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(|x| format!("{pad}{}", python(x, indent + 1))).collect();
            format!("[\n{},\n{end}]", inner.join(",\n"))
        }
        Value::Object(m) if m.is_empty() => "{}".into(),
        Value::Object(m) => {
            let inner: Vec<String> = m
                .iter()
                .map(|(k, x)| {
                    format!("{pad}{}: {}", serde_json::to_string(k).unwrap_or_default(), python(x, indent + 1))
                })
                .collect();
            format!("{{\n{},\n{end}}}", inner.join(",\n"))
        }
    }
}

fn boto3(s: &Scenario) -> Result<String, serde_json::Error> {
    let r = requests(s)?;
    let mut o = header(s, "#");
    o += "import boto3\n\naas = boto3.client(\"application-autoscaling\")\ncloudwatch = boto3.client(\"cloudwatch\")\nsagemaker = boto3.client(\"sagemaker\")\n\n";
    for t in &r.targets {
        o += &format!("aas.register_scalable_target(**{})\n\n", python(t, 0));
    }
    for (k, (p, step)) in r.policies.iter().enumerate() {
        if *step {
            o += &format!("policy_arn_{k} = aas.put_scaling_policy(**{})[\"PolicyARN\"]\n\n", python(p, 0));
        } else {
            o += &format!("aas.put_scaling_policy(**{})\n\n", python(p, 0));
        }
    }
    for (a, refs) in &r.alarms {
        let mut text = python(a, 0);
        for k in refs {
            text = text.replace(&format!("\"{}\"", placeholder(*k)), &format!("policy_arn_{k}"));
        }
        o += &format!("cloudwatch.put_metric_alarm(**{text})\n\n");
    }
    for a in &r.scheduled {
        o += &format!("aas.put_scheduled_action(**{})\n\n", python(a, 0));
    }
    for (at, body) in &r.on_demand {
        o += &format!(
            "# On demand, {at} into the run:\n# sagemaker.update_endpoint_weights_and_capacities(**{})\n\n",
            serde_json::to_string(body).unwrap_or_default()
        );
    }
    Ok(o)
}

/// A logical id for CloudFormation and CDK: letters and digits only.
fn logical_id(prefix: &str, name: &str) -> String {
    let mut id = String::from(prefix);
    let mut upper = true;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            id.push(if upper { c.to_ascii_uppercase() } else { c });
            upper = false;
        } else {
            upper = true;
        }
    }
    id
}

fn without(v: &Value, keys: &[&str]) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter().filter(|(k, _)| !keys.contains(&k.as_str())).map(|(k, x)| (k.clone(), x.clone())).collect(),
        ),
        other => other.clone(),
    }
}

fn cloudformation(s: &Scenario) -> Result<Value, serde_json::Error> {
    let r = requests(s)?;
    let mut resources = Map::new();
    let mut target_ids: Vec<(String, String)> = Vec::new(); // (resource id string, logical id)
    for t in &r.targets {
        let rid = field(t, "ResourceId").as_str().unwrap_or_default().to_string();
        let id = logical_id("ScalableTarget", rid.rsplit('/').next().unwrap_or("Variant"));
        let mut props = without(t, &["RoleARN", "Tags"]);
        let scheduled: Vec<Value> = r
            .scheduled
            .iter()
            .filter(|a| field(a, "ResourceId") == field(t, "ResourceId"))
            .map(|a| without(a, &["ServiceNamespace", "ResourceId", "ScalableDimension"]))
            .collect();
        if !scheduled.is_empty() {
            set(&mut props, "ScheduledActions", Value::Array(scheduled));
        }
        resources
            .insert(id.clone(), json!({"Type": "AWS::ApplicationAutoScaling::ScalableTarget", "Properties": props}));
        target_ids.push((rid, id));
    }
    let mut policy_ids = Vec::new();
    for (p, _) in &r.policies {
        let id = logical_id("ScalingPolicy", field(p, "PolicyName").as_str().unwrap_or("Policy"));
        let mut props = without(p, &["ServiceNamespace", "ResourceId", "ScalableDimension"]);
        if let Some((_, tid)) = target_ids.iter().find(|(rid, _)| field(p, "ResourceId") == rid.as_str()) {
            set(&mut props, "ScalingTargetId", json!({"Ref": tid}));
        }
        resources
            .insert(id.clone(), json!({"Type": "AWS::ApplicationAutoScaling::ScalingPolicy", "Properties": props}));
        policy_ids.push(id);
    }
    for (a, refs) in &r.alarms {
        let id = logical_id("Alarm", field(a, "AlarmName").as_str().unwrap_or("Alarm"));
        let mut props = without(a, &["Tags"]);
        let actions: Vec<Value> = field(a, "AlarmActions")
            .as_array()
            .map(|list| {
                list.iter()
                    .map(|act| {
                        let policy = refs.iter().find(|k| act.as_str() == Some(placeholder(**k).as_str()));
                        match policy.and_then(|k| policy_ids.get(*k)) {
                            Some(pid) => json!({"Ref": pid}),
                            None => act.clone(),
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        set(&mut props, "AlarmActions", Value::Array(actions));
        resources.insert(id, json!({"Type": "AWS::CloudWatch::Alarm", "Properties": props}));
    }
    Ok(json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": format!("Scaling configuration exported by Scalelab from \"{}\"", s.name),
        "Resources": resources,
    }))
}

/// PascalCase keys to camelCase, recursively (CDK's L1 property names); `{"Ref": "X"}` becomes
/// the sentinel string `__REF_X__`, replaced by `x.ref` once printed.
fn cdk_props(v: &Value) -> Value {
    match v {
        Value::Object(m) if m.len() == 1 && m.get("Ref").is_some_and(Value::is_string) => {
            Value::String(format!("__REF_{}__", m.get("Ref").and_then(Value::as_str).unwrap_or_default()))
        }
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| {
                    let mut c = k.chars();
                    let key = c.next().map(|f| f.to_ascii_lowercase().to_string() + c.as_str()).unwrap_or_default();
                    // CloudFormation's "OKActions" becomes "okActions".
                    let key = if key == "oKActions" { "okActions".to_string() } else { key };
                    (key, cdk_props(x))
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(cdk_props).collect()),
        other => other.clone(),
    }
}

fn lower_first(id: &str) -> String {
    let mut c = id.chars();
    c.next().map(|f| f.to_ascii_lowercase().to_string() + c.as_str()).unwrap_or_default()
}

fn cdk(s: &Scenario) -> Result<String, serde_json::Error> {
    let template = cloudformation(s)?;
    let mut o = header(s, "//");
    o += "import { Stack, StackProps } from 'aws-cdk-lib';\n";
    o += "import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';\n";
    o += "import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';\n";
    o += "import { Construct } from 'constructs';\n\n";
    o += "export class EndpointScalingStack extends Stack {\n";
    o += "  constructor(scope: Construct, id: string, props?: StackProps) {\n    super(scope, id, props);\n\n";
    let resources = field(&template, "Resources").as_object().cloned().unwrap_or_default();
    // Targets first, then policies, then alarms: each refers only to what comes before.
    let kinds = [
        ("AWS::ApplicationAutoScaling::ScalableTarget", "appscaling.CfnScalableTarget", true),
        ("AWS::ApplicationAutoScaling::ScalingPolicy", "appscaling.CfnScalingPolicy", true),
        ("AWS::CloudWatch::Alarm", "cloudwatch.CfnAlarm", false),
    ];
    for (kind, class, named) in kinds {
        for (id, res) in resources.iter().filter(|(_, r)| field(r, "Type") == kind) {
            let mut text = pretty(&cdk_props(field(res, "Properties")));
            for other in resources.keys() {
                text = text.replace(&format!("\"__REF_{other}__\""), &format!("{}.ref", lower_first(other)));
            }
            let text = text.replace('\n', "\n    ");
            let binding = if named { format!("const {} = ", lower_first(id)) } else { String::new() };
            o += &format!("    {binding}new {class}(this, '{id}', {text});\n\n");
        }
    }
    o += "  }\n}\n";
    Ok(o)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::examples;

    fn scaled_examples() -> Vec<Scenario> {
        examples::names()
            .filter_map(examples::get)
            .filter(|s| s.scaling.is_some() || !s.capacity_changes.is_empty())
            .collect()
    }

    #[test]
    fn json_export_round_trips() {
        let all = scaled_examples();
        assert!(all.len() >= 5);
        for s in all {
            let text = export(&s, Format::Json).unwrap();
            let (scaling, changes) = from_json(&serde_json::from_str(&text).unwrap()).unwrap();
            let mut back = s.clone();
            back.scaling = scaling;
            back.capacity_changes = changes;
            assert_eq!(back, s, "{}", s.name);
        }
    }

    #[test]
    fn step_alarms_point_at_their_policy_in_every_format() {
        let s = examples::get("seed-000-step-scaling-latency").unwrap();
        let cli = export(&s, Format::Cli).unwrap();
        assert!(cli.contains("POLICY_ARN_0=$(aws application-autoscaling put-scaling-policy"));
        assert!(
            cli.contains(
                r#""AlarmActions": [
    "'"$POLICY_ARN_0"'"
  ]"#
            ),
            "{cli}"
        );
        let py = export(&s, Format::Boto3).unwrap();
        assert!(py.contains("policy_arn_0 = aas.put_scaling_policy(**{"));
        assert!(py.contains("\"AlarmActions\": [\n        policy_arn_0,\n    ]"), "{py}");
        let cfn: Value = serde_json::from_str(&export(&s, Format::CloudFormation).unwrap()).unwrap();
        let alarm = &cfn["Resources"]["AlarmResnet50LatencyHigh"]["Properties"];
        assert_eq!(alarm["AlarmActions"], json!([{"Ref": "ScalingPolicyLatencyStepScaling"}]));
        let policy = &cfn["Resources"]["ScalingPolicyLatencyStepScaling"]["Properties"];
        assert_eq!(policy["ScalingTargetId"], json!({"Ref": "ScalableTargetAllTraffic"}));
        let cdk = export(&s, Format::Cdk).unwrap();
        assert!(cdk.contains("\"scalingTargetId\": scalableTargetAllTraffic.ref,"), "{cdk}");
        assert!(cdk.contains("\"alarmActions\": [\n        scalingPolicyLatencyStepScaling.ref\n      ]"), "{cdk}");
        assert!(!cdk.contains("__REF_"), "{cdk}");
    }

    #[test]
    fn notification_actions_are_kept_beside_the_policy() {
        let mut s = examples::get("seed-000-step-scaling-latency").unwrap();
        let topic = "arn:aws:sns:us-east-1:123456789012:latency-alerts";
        s.scaling.as_mut().unwrap().put_metric_alarm[0].alarm_actions.push(topic.into());
        assert!(export(&s, Format::Cli).unwrap().contains(topic));
        assert!(export(&s, Format::Boto3).unwrap().contains(&format!("policy_arn_0,\n        \"{topic}\",")));
        let cfn: Value = serde_json::from_str(&export(&s, Format::CloudFormation).unwrap()).unwrap();
        assert_eq!(
            cfn["Resources"]["AlarmResnet50LatencyHigh"]["Properties"]["AlarmActions"],
            json!([{"Ref": "ScalingPolicyLatencyStepScaling"}, topic])
        );
        let json: Value = serde_json::from_str(&export(&s, Format::Json).unwrap()).unwrap();
        assert_eq!(json["scaling"]["PutMetricAlarm"][0]["AlarmActions"], json!(["Latency-StepScaling", topic]));
    }

    #[test]
    fn scheduled_actions_go_inline_in_cloudformation() {
        let s = examples::get("seed-000-scheduled").unwrap();
        let cfn: Value = serde_json::from_str(&export(&s, Format::CloudFormation).unwrap()).unwrap();
        let target = &cfn["Resources"]["ScalableTargetAllTraffic"]["Properties"];
        assert_eq!(target["ScheduledActions"][0]["Schedule"], "cron(0 8 ? * MON-FRI *)");
        assert_eq!(target["ScheduledActions"][0]["Timezone"], "Europe/Paris");
        assert!(target["ScheduledActions"][0].get("ResourceId").is_none());
    }

    #[test]
    fn python_literals() {
        assert_eq!(
            python(&json!({"A": [true, null, 1.5, "x\"y"]}), 0),
            "{\n    \"A\": [\n        True,\n        None,\n        1.5,\n        \"x\\\"y\",\n    ],\n}"
        );
    }
}
