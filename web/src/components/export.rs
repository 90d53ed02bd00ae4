//! The scaling configuration exported as AWS CLI commands, boto3, CloudFormation, CDK or JSON.

use leptos::prelude::*;
use scalelab_core::export::Format;

use crate::browser::copy_text;
use crate::state::PageState;

#[component]
pub fn ExportPanel() -> impl IntoView {
    let state = expect_context::<PageState>();
    let export_format = RwSignal::new("cli".to_string());
    let export_text = move || {
        let f = match export_format.get().as_str() {
            "boto3" => Format::Boto3,
            "cloudformation" => Format::CloudFormation,
            "cdk" => Format::Cdk,
            "json" => Format::Json,
            _ => Format::Cli,
        };
        state.with_scenario(|s| {
            s.map(|s| scalelab_core::export::export(s, f).unwrap_or_else(|e| format!("The export failed: {e}")))
                .unwrap_or_default()
        })
    };
    view! {
        <details>
            <summary>"Export scaling configuration"</summary>
            <select id="export-format" on:change=move |ev| export_format.set(event_target_value(&ev))>
                <option value="cli">"AWS CLI"</option>
                <option value="boto3">"boto3 (Python)"</option>
                <option value="cloudformation">"CloudFormation"</option>
                <option value="cdk">"CDK (TypeScript)"</option>
                <option value="json">"JSON"</option>
            </select>
            <button on:click=move |_| copy_text(&export_text())>"Copy"</button>
            <pre class="export" id="export">{export_text}</pre>
        </details>
    }
}
