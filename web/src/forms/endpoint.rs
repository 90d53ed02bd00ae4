//! The endpoint's forms: each variant's instance type, count, weight, and its built-in model
//! or inline serving profile.

use scalelab_core::{Plan, Scenario, vocab};

use super::{Builder, Entry, Form, Kind, check, choices, to_value, variant_path};
use crate::edit::FieldError;

/// How the page names an instance type: "ml.g5.2xlarge · 8 vCPU · 1× A10G · $1.515/h".
pub fn instance_label(t: &scalelab_core::catalog::InstanceType) -> String {
    if t.accelerators > 0 {
        format!(
            "{} · {} vCPU · {}× {} · ${:.3}/h",
            t.name, t.vcpus, t.accelerators, t.accelerator, t.price_usd_per_hour
        )
    } else {
        format!("{} · {} vCPU · {} GiB · ${:.3}/h", t.name, t.vcpus, t.memory_gib, t.price_usd_per_hour)
    }
}

/// The forms for each variant: instance type (the types its built-in model has a profile for,
/// or the whole catalog), count, weight, and the model or the inline serving profile. `plan`
/// (the plan of `s`) gives each variant's capacity for its note.
pub fn endpoint_forms(s: &Scenario, plan: &Plan) -> Vec<Form> {
    let Ok(root) = serde_json::to_value(s) else { return Vec::new() };
    let many = s.endpoint.variants.len() > 1;
    let mut out = Vec::new();
    for (v, var) in s.endpoint.variants.iter().enumerate() {
        let mut b = Builder::new(&root, variant_path(v));
        let types = crate::edit::instance_choices_for(s, v)
            .into_iter()
            .map(|t| (t.name.to_string(), instance_label(t)))
            .collect::<Vec<_>>();
        let ic = var.inference_component.is_some();
        let serverless = var.serverless_config.is_some();
        if serverless {
            b.add("serverlessConfig.MemorySizeInMB", "Memory (MB: 1024–6144)", Kind::Count, false)
                .add("serverlessConfig.MaxConcurrency", "MaxConcurrency", Kind::Count, false)
                .add("serverlessConfig.ProvisionedConcurrency", "ProvisionedConcurrency", Kind::Count, true);
            // The simulator's own defaults, where the scenario sets them (in the JSON).
            if var.serverless_defaults.is_some() {
                b.add("serverlessDefaults.coldStart.mean", "Cold start (mean)", Kind::Text, false).add(
                    "serverlessDefaults.idleTimeout",
                    "Idle environment reclaimed after",
                    Kind::Text,
                    false,
                );
            }
        } else {
            b.add("instanceType", "Instance type", Kind::Labelled(types), false).add(
                "initialInstanceCount",
                if ic { "Instances at the start" } else { "Initial instances" },
                Kind::Count,
                false,
            );
        }
        if many {
            b.add("initialVariantWeight", "Traffic weight", Kind::Number, false);
        }
        let capacity = plan.variants.get(v).map(|p| p.profile.capacity_rps());
        let cap_text = capacity
            .map(|c| format!("one instance serves about {} requests/s at full load", crate::chartdata::fmt_num(c)))
            .unwrap_or_default();
        let serverless_note = plan.variants.get(v).and_then(|p| p.serverless.as_ref().map(|sp| (p, sp))).map(|(p, sp)| {
            let slower = if sp.slowdown > 1.0 {
                format!(", {}× slower below one vCPU", crate::chartdata::fmt_num((sp.slowdown * 100.0).round() / 100.0))
            } else {
                String::new()
            };
            format!(
                "Serverless: each environment serves one request at a time, with the model's profile on {}{slower}; ",
                p.instance_type.name
            )
        });
        let note = if let (Some(text), true) = (&serverless_note, var.model.is_some()) {
            let models = scalelab_core::profile::builtin_models()
                .iter()
                .map(|m| (m.name.to_string(), format!("{}: {}", m.name, m.description)))
                .collect();
            b.add("model", "Built-in model", Kind::Labelled(models), false);
            format!("{text}requests beyond MaxConcurrency are throttled.")
        } else if var.model.is_some() {
            let models = scalelab_core::profile::builtin_models()
                .iter()
                .map(|m| (m.name.to_string(), format!("{}: {}", m.name, m.description)))
                .collect();
            b.add("model", "Built-in model", Kind::Labelled(models), false);
            format!("The model's measured profile on this type: {cap_text}. Edit the serving profile to tune it.")
        } else {
            b.add("profile.workers", "Workers (requests or batches at once)", Kind::Count, false).add(
                "profile.queueCapacity",
                "Queue in the container",
                Kind::Count,
                false,
            );
            if var.profile.as_ref().is_some_and(|p| p.batching.is_some()) {
                b.add("profile.batching.maxBatchSize", "Max batch size", Kind::Count, false)
                    .add("profile.batching.maxWait", "Max wait for a batch", Kind::Text, false)
                    .add("profile.batching.fixed", "Batch time: fixed", Kind::Text, false)
                    .add("profile.batching.perItem", "Batch time: per request", Kind::Text, false)
                    .add("profile.batching.cv", "Variability (cv)", Kind::Number, true);
            } else {
                b.add("profile.serviceTime.mean", "Service time (mean)", Kind::Text, false)
                    .add("profile.serviceTime.distribution", "Distribution", choices(vocab::DISTRIBUTIONS), false)
                    .add("profile.serviceTime.cv", "Variability (cv, lognormal)", Kind::Number, true);
            }
            b.add("profile.coldStart.provisioning.mean", "Cold start: provisioning", Kind::Text, true).add(
                "profile.coldStart.modelLoad.mean",
                "Cold start: model load",
                Kind::Text,
                true,
            );
            format!("Inline serving profile: {cap_text}.")
        };
        out.push(b.form(Entry::Variant(v), "Variant", var.name.clone(), note, many));
    }
    out
}

/// Replaces variant `v`'s built-in model with a copy of its profile for the variant's
/// instance type, so that its workers, service time and cold start can be edited.
pub fn inline_profile(s: &mut Scenario, v: usize) -> Result<String, FieldError> {
    let path = variant_path(v).join("model").to_string();
    let err = |m: String| FieldError { path: path.clone(), message: m };
    let var = s.endpoint.variants.get(v).ok_or_else(|| err("no such variant".into()))?;
    let name = var.model.clone().ok_or_else(|| err("the variant has an inline profile already".into()))?;
    let model = scalelab_core::profile::builtin_model(&name).ok_or_else(|| err(format!("no built-in model {name}")))?;
    // A serverless variant has no instance type: its environments use the model's CPU profile.
    let on = match (&var.serverless_config, scalelab_core::plan::serverless_reference_type(&model)) {
        (Some(_), Some(t)) => t.name.to_string(),
        _ => var.instance_type.clone(),
    };
    let profile = model.profile_for(&on).cloned().ok_or_else(|| err(format!("{name} has no profile for {on}")))?;
    let mut next = s.clone();
    if let Some(var) = next.endpoint.variants.get_mut(v) {
        var.model = None;
        var.profile = Some(profile);
    }
    let root = to_value(&next)?;
    *s = check(&root, &path)?;
    Ok(format!("copied {name}'s profile on {on} into the variant"))
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    use scalelab_core::examples;

    use super::super::set_field;
    use super::super::test_support::{assert_fields_read_back, example, find, planned};
    use super::*;

    #[test]
    fn every_variant_field_of_every_example_reads_back_what_it_shows() {
        for e in examples::EXAMPLES {
            let s = example(e.name);
            let forms = endpoint_forms(&s, &planned(&s));
            assert_eq!(forms.len(), s.endpoint.variants.len(), "{}", e.name);
            assert!(forms.iter().all(|f| f.steps.is_empty()), "{}", e.name);
            assert_fields_read_back(e.name, &s, &forms);
        }
    }

    #[test]
    fn instance_type_model_and_profile_edits_are_checked() {
        let mut s = example("seed-001-after");
        let forms = endpoint_forms(&s, &planned(&s));
        let ty = find(&forms, "variants[0].instanceType").clone();
        let Kind::Labelled(options) = &ty.kind else { panic!("labelled") };
        assert!(options.iter().any(|(v, l)| v == "ml.m4.xlarge" && l.contains("4 vCPU") && l.contains("$0.280/h")));
        set_field(&mut s, &ty, "ml.m5.xlarge").unwrap();
        let before = s.clone();
        // Only the types the model was measured on are offered, and others are refused.
        assert!(set_field(&mut s, &ty, "ml.g5.2xlarge").unwrap_err().message.contains("not one of"));
        // A model without a profile for the current type: the core's message, at the variant.
        let model = find(&forms, "variants[0].model");
        let e = set_field(&mut s, model, "llama3.1-8b").unwrap_err();
        assert!(e.path.starts_with("endpoint.variants[0]"), "{e}");
        assert_eq!(s, before);

        // Copy the model's profile inline, then make service twice as slow: capacity halves.
        let cap = |s: &Scenario| planned(s).variants[0].profile.capacity_rps();
        let c0 = cap(&s);
        let said = inline_profile(&mut s, 0).unwrap();
        assert!(said.contains("decision-tree") && said.contains("ml.m5.xlarge"), "{said}");
        assert!((cap(&s) - c0).abs() < 1e-9, "the copy is the same profile");
        let forms = endpoint_forms(&s, &planned(&s));
        assert!(forms[0].note.starts_with("Inline serving profile: one instance serves about"), "{}", forms[0].note);
        let workers = find(&forms, "profile.workers").clone();
        let n: u32 = workers.value.parse().unwrap();
        set_field(&mut s, &workers, &(n * 2).to_string()).unwrap();
        assert!((cap(&s) / c0 - 2.0).abs() < 0.01, "twice the workers, twice the capacity");
        assert!(inline_profile(&mut s, 0).unwrap_err().message.contains("inline profile already"));
        let e = set_field(&mut s, &workers, "0").unwrap_err();
        assert!(e.path.contains("workers"), "{e}");
    }
}
