//! "A problem at a path": the one shape of every complaint about input (a scenario, a pasted AWS
//! request, a measured profile), and the near-miss suggestions that go with it.

use std::fmt;

use serde::Serialize;

/// One problem with a scenario: where it is and what to do about it.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct Problem {
    /// A path like `endpoint.variants[0].instanceType`; empty for the whole document.
    pub path: String,
    pub message: String,
}

impl Problem {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem { path: path.into(), message: message.into() }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() { f.write_str(&self.message) } else { write!(f, "{}: {}", self.path, self.message) }
    }
}

/// Everything wrong with a scenario.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
#[error("{}", display_problems(.0))]
pub struct Problems(pub Vec<Problem>);

fn display_problems(p: &[Problem]) -> String {
    p.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("\n")
}

/// Names people bring from elsewhere (the AWS APIs, load-test tools) and what they are called here.
const ALIASES: &[(&str, &str)] = &[
    ("VariantName", "name"),
    ("EndpointName", "name"),
    ("ModelName", "model"),
    ("InstanceCount", "initialInstanceCount"),
    ("DesiredInstanceCount", "desiredInstanceCount"),
    ("DesiredWeight", "desiredWeight"),
    ("ramp", "phases"),
    ("rate", "rps"),
];

/// The candidate closest to `name`, if it is close enough to be a likely typo (or a known alias,
/// or a prefix of it).
pub fn nearest<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    if let Some((_, to)) = ALIASES.iter().find(|(from, _)| *from == name)
        && let Some(c) = candidates.iter().find(|c| *c == to)
    {
        return Some(c);
    }
    let lower = name.to_ascii_lowercase();
    if let Some(c) = candidates.iter().find(|c| c.to_ascii_lowercase() == lower) {
        return Some(c);
    }
    let close = candidates
        .iter()
        .map(|c| (strsim::damerau_levenshtein(&lower, &c.to_ascii_lowercase()), *c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c);
    close.or_else(|| {
        (lower.len() >= 4).then(|| candidates.iter().find(|c| c.to_ascii_lowercase().starts_with(&lower)).copied())?
    })
}

/// What checking a document found: problems (the document is refused) and warnings (it runs,
/// with a note).
#[derive(Debug, Default)]
pub struct Diagnostics {
    pub problems: Vec<Problem>,
    pub warnings: Vec<String>,
}

/// "unknown WHAT "NAME"; did you mean "X"?" or, with no near miss, the list of candidates
/// (`list_label`: what the list is called, e.g. "known types").
pub fn unknown(what: &str, name: &str, candidates: &[&str], list_label: &str) -> String {
    match nearest(name, candidates) {
        Some(n) => format!("unknown {what} \"{name}\"; did you mean \"{n}\"?"),
        None => format!("unknown {what} \"{name}\"; {list_label}: {}", candidates.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_misses_aliases_and_prefixes() {
        assert_eq!(nearest("instanceTyp", &["instanceType", "model"]), Some("instanceType"));
        assert_eq!(nearest("VariantName", &["name", "model"]), Some("name"));
        assert_eq!(nearest("INSTANCETYPE", &["instanceType"]), Some("instanceType"));
        assert_eq!(nearest("resn", &["resnet50", "decision-tree"]), Some("resnet50"));
        assert_eq!(nearest("zzzzzz", &["resnet50", "decision-tree"]), None);
    }

    #[test]
    fn unknown_names_a_near_miss_or_lists_the_candidates() {
        assert_eq!(
            unknown("model", "resnet5", &["resnet50", "decision-tree"], "built-in models"),
            "unknown model \"resnet5\"; did you mean \"resnet50\"?"
        );
        assert_eq!(
            unknown("model", "qqqqqq", &["a1", "b2"], "built-in models"),
            "unknown model \"qqqqqq\"; built-in models: a1, b2"
        );
    }

    #[test]
    fn problems_display_one_per_line() {
        let p = Problems(vec![Problem::new("a.b", "bad"), Problem::new("", "whole")]);
        assert_eq!(p.to_string(), "a.b: bad\nwhole");
    }
}
