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

/// Where something is in a document, as typed segments: object keys and list indices. Keys
/// that are not plain names (an instance type like `ml.m4.xlarge` as a key of `pricing`) are
/// written quoted, so a path always reads one way: `pricing["ml.m4.xlarge"]`,
/// `endpoint.variants[0].instanceType`.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct Path(Vec<Seg>);

#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Seg {
    Key(String),
    Index(usize),
}

impl Path {
    /// The whole document.
    pub fn root() -> Path {
        Path(Vec::new())
    }

    /// A path the code writes in the format's notation: plain names joined by dots, and list
    /// indices (`endpoint.variants`, `coldStart.imagePull`, `phases[0]`). Keys from input go
    /// through `key`.
    pub fn of(notation: &str) -> Path {
        Path::root().join(notation)
    }

    /// This path followed by `notation` (as in `of`).
    pub fn join(&self, notation: &str) -> Path {
        let mut out = self.clone();
        for part in notation.split('.').filter(|p| !p.is_empty()) {
            let (name, rest) = part.split_once('[').map_or((part, ""), |(n, r)| (n, r));
            if !name.is_empty() {
                out.0.push(Seg::Key(name.to_string()));
            }
            for index in rest.split('[') {
                if let Ok(i) = index.trim_end_matches(']').parse() {
                    out.0.push(Seg::Index(i));
                }
            }
        }
        out
    }

    /// This path followed by the key `k`, whatever it contains.
    pub fn key(&self, k: impl Into<String>) -> Path {
        let mut out = self.clone();
        out.0.push(Seg::Key(k.into()));
        out
    }

    /// This path followed by the list index `i`.
    pub fn index(&self, i: usize) -> Path {
        let mut out = self.clone();
        out.0.push(Seg::Index(i));
        out
    }

    pub fn segments(&self) -> &[Seg] {
        &self.0
    }

    /// The value this path names in a JSON document, if there is one.
    pub fn get<'a>(&self, root: &'a serde_json::Value) -> Option<&'a serde_json::Value> {
        self.0.iter().try_fold(root, |v, s| match s {
            Seg::Key(k) => v.get(k),
            Seg::Index(i) => v.get(i),
        })
    }

    /// The text here, or "" when it is absent or not text.
    pub fn str<'a>(&self, root: &'a serde_json::Value) -> &'a str {
        self.get(root).and_then(serde_json::Value::as_str).unwrap_or("")
    }

    /// The length of the list here (0 when there is none).
    pub fn list_len(&self, root: &serde_json::Value) -> usize {
        self.get(root).and_then(serde_json::Value::as_array).map_or(0, Vec::len)
    }

    /// Sets (or with `None` removes) the value this path names in a JSON document, creating
    /// the objects on the way; the error says where the document does not fit the path.
    pub fn set(&self, root: &mut serde_json::Value, value: Option<serde_json::Value>) -> Result<(), String> {
        use serde_json::{Map, Value};
        let Some((last, parents)) = self.0.split_last() else { return Err("empty path".into()) };
        let mut v = root;
        for s in parents {
            v = match s {
                Seg::Key(k) => {
                    let obj = v.as_object_mut().ok_or_else(|| format!("{k} is not inside an object"))?;
                    obj.entry(k.clone()).or_insert_with(|| Value::Object(Map::new()))
                }
                Seg::Index(i) => v.get_mut(*i).ok_or_else(|| format!("there is no entry [{i}]"))?,
            };
        }
        match (last, value) {
            (Seg::Key(k), Some(x)) => {
                v.as_object_mut().ok_or("not an object")?.insert(k.clone(), x);
            }
            (Seg::Key(k), None) => {
                if let Some(o) = v.as_object_mut() {
                    o.remove(k);
                }
            }
            (Seg::Index(i), Some(x)) => *v.get_mut(*i).ok_or_else(|| format!("there is no entry [{i}]"))? = x,
            (Seg::Index(i), None) => {
                if let Some(a) = v.as_array_mut()
                    && *i < a.len()
                {
                    a.remove(*i);
                }
            }
        }
        Ok(())
    }

    /// The last key (`phases` of `traffic.phases`), if the path ends in one.
    pub fn last_key(&self) -> Option<&str> {
        match self.0.last()? {
            Seg::Key(k) => Some(k),
            Seg::Index(_) => None,
        }
    }
}

/// A key written without quotes: letters, digits, `_` and `-`, not starting with a digit.
fn plain(k: &str) -> bool {
    !k.is_empty()
        && !k.starts_with(|c: char| c.is_ascii_digit())
        && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (k, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Key(name) if plain(name) => {
                    if k > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(name)?;
                }
                Seg::Key(name) => write!(f, "[{}]", serde_json::Value::from(name.as_str()))?,
                Seg::Index(i) => write!(f, "[{i}]")?,
            }
        }
        Ok(())
    }
}

impl From<Path> for String {
    fn from(p: Path) -> String {
        p.to_string()
    }
}

impl From<&Path> for String {
    fn from(p: &Path) -> String {
        p.to_string()
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
    fn paths_read_one_way() {
        let v = Path::of("endpoint.variants").index(0);
        assert_eq!(v.join("instanceType").to_string(), "endpoint.variants[0].instanceType");
        assert_eq!(v.join("coldStart.imagePull").segments().len(), 5);
        assert_eq!(Path::of("traffic.phases[2].duration").to_string(), "traffic.phases[2].duration");
        assert_eq!(Path::of("a[1][2]").segments(), &[Seg::Key("a".into()), Seg::Index(1), Seg::Index(2)]);
        // A key from input with dots is quoted, so it cannot read as three keys.
        let price = Path::of("pricing").key("ml.m4.xlarge");
        assert_eq!(price.to_string(), r#"pricing["ml.m4.xlarge"]"#);
        assert_ne!(price, Path::of("pricing.ml.m4.xlarge"));
        assert_eq!(Path::root().to_string(), "");
        assert_eq!(String::from(Path::of("duration")), "duration");
    }

    #[test]
    fn problems_display_one_per_line() {
        let p = Problems(vec![Problem::new("a.b", "bad"), Problem::new("", "whole")]);
        assert_eq!(p.to_string(), "a.b: bad\nwhole");
    }
}
