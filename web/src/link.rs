//! Shareable links: the scenario lives in the URL fragment as
//! `#s=<version>.<base64url(deflate(json))>`.
//!
//! Decoding is bounded at every step (fragment length, inflated size; the simulated work is
//! bounded by the core's limits when the scenario is planned), and every failure is a
//! `LinkError` with a sentence for the page: a link never takes the page down.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The link format this build writes.
pub const LINK_VERSION: u32 = 1;
/// The longest fragment accepted (browsers keep far longer URLs, but a scenario never needs it).
pub const MAX_FRAGMENT_CHARS: usize = 64 * 1024;
/// The largest scenario JSON a link may inflate to.
pub const MAX_INFLATED_BYTES: usize = 1024 * 1024;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkError {
    /// The fragment holds no `s=` parameter: not an error, the page opens its default.
    Absent,
    TooLong {
        chars: usize,
    },
    Malformed,
    NewerVersion {
        found: u32,
    },
    UnknownVersion {
        found: String,
    },
    BadBase64,
    BadDeflate,
    TooLarge,
    NotUtf8,
    NotJson {
        message: String,
    },
    /// A short link names a preset this build does not have.
    UnknownPreset {
        name: String,
    },
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinkError::Absent => write!(f, "the link holds no scenario"),
            LinkError::TooLong { chars } => write!(
                f,
                "the link's scenario is {chars} characters long, more than the {MAX_FRAGMENT_CHARS} allowed: \
                 it was probably not made by Scalelab"
            ),
            LinkError::Malformed => write!(f, "the link is cut or altered: it should end in #s=1.<data>"),
            LinkError::NewerVersion { found } => write!(
                f,
                "the link was made by a newer Scalelab (link format {found}; this page reads up to \
                 {LINK_VERSION}): open it on the page that made it, or update this one"
            ),
            LinkError::UnknownVersion { found } => {
                write!(f, "the link's format \"{found}\" is unknown: it should start with #s={LINK_VERSION}.")
            }
            LinkError::BadBase64 => write!(f, "the link is cut or altered (its data is not base64url)"),
            LinkError::BadDeflate => write!(f, "the link is cut or altered (its data does not decompress)"),
            LinkError::TooLarge => {
                write!(f, "the link's scenario would be larger than {} KiB: refused", MAX_INFLATED_BYTES / 1024)
            }
            LinkError::NotUtf8 => write!(f, "the link's scenario is not text (invalid UTF-8)"),
            LinkError::NotJson { message } => write!(f, "the link's scenario is not valid JSON: {message}"),
            LinkError::UnknownPreset { name } => {
                write!(f, "the link starts from a built-in scenario named \"{name}\", which this version does not have")
            }
        }
    }
}

/// Encodes scenario JSON (compacted first) into the fragment's value, `1.<data>`.
pub fn encode(json: &str) -> String {
    let compact = serde_json::from_str::<serde_json::Value>(json)
        .ok()
        .and_then(|v| serde_json::to_string(&v).ok())
        .unwrap_or_else(|| json.to_string());
    let packed = miniz_oxide::deflate::compress_to_vec(compact.as_bytes(), 9);
    format!("{LINK_VERSION}.{}", URL_SAFE_NO_PAD.encode(packed))
}

/// The fragment for a scenario, with its `#s=`.
pub fn fragment(json: &str) -> String {
    format!("#s={}", encode(json))
}

/// The lesson a fragment names (`#lesson=<id>&step=<n>&s=…`) and its step (0 when absent or
/// not a number). The id is returned as written (at most 64 characters), for the page to look
/// up and, if unknown, to name in its message.
pub fn lesson_param(fragment: &str) -> Option<(String, usize)> {
    let f = fragment.strip_prefix('#').unwrap_or(fragment);
    let id = f.split('&').find_map(|kv| kv.strip_prefix("lesson="))?;
    let step = f.split('&').find_map(|kv| kv.strip_prefix("step=")).and_then(|s| s.parse().ok()).unwrap_or(0);
    Some((id.chars().take(64).collect(), step))
}

/// The fragment for a scenario within a lesson: `#lesson=<id>&step=<n>&s=…`, or `#s=…`.
pub fn fragment_with(json: &str, lesson: Option<(&str, usize)>) -> String {
    match lesson {
        Some((id, step)) => {
            let id: String = id.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
            format!("#lesson={id}&step={step}&s={}", encode(json))
        }
        None => fragment(json),
    }
}

/// Finds the scenario in a fragment and decodes it to JSON text: the full form `s=` (`#s=...`,
/// `#x=1&s=...`), or the short form `p=<preset>` with `d=<differences>` (a JSON merge patch,
/// RFC 7386, encoded like a scenario), when there is no `s=`.
pub fn decode_fragment(fragment: &str) -> Result<String, LinkError> {
    let f = fragment.strip_prefix('#').unwrap_or(fragment);
    if f.len() > MAX_FRAGMENT_CHARS + 2 {
        return Err(LinkError::TooLong { chars: f.len() });
    }
    let param = |key: &str| f.split('&').find_map(|kv| kv.strip_prefix(key));
    if let Some(value) = param("s=") {
        return decode(value);
    }
    let preset = param("p=").ok_or(LinkError::Absent)?;
    let mut value =
        preset_value(preset).ok_or_else(|| LinkError::UnknownPreset { name: preset.chars().take(64).collect() })?;
    if let Some(d) = param("d=") {
        let patch: serde_json::Value =
            serde_json::from_str(&decode(d)?).map_err(|e| LinkError::NotJson { message: e.to_string() })?;
        apply_merge_patch(&mut value, &patch);
    }
    serde_json::to_string(&value).map_err(|e| LinkError::NotJson { message: e.to_string() })
}

/// A built-in scenario as the page writes it (every field the format fills in by default), the
/// base of short links.
fn preset_value(name: &str) -> Option<serde_json::Value> {
    let e = scalelab_core::examples::EXAMPLES.iter().find(|e| e.name == name)?;
    let s = scalelab_core::Scenario::from_json(e.json).ok()?;
    serde_json::to_value(&s).ok()
}

/// RFC 7386: objects merge key by key, `null` removes a key, anything else replaces.
pub fn apply_merge_patch(target: &mut serde_json::Value, patch: &serde_json::Value) {
    use serde_json::Value;
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(serde_json::Map::new());
    }
    if let Value::Object(t) = target {
        for (k, v) in p {
            if v.is_null() {
                t.remove(k);
            } else {
                apply_merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
    }
}

/// The merge patch that turns `base` into `target` (`None` when they are equal).
pub fn merge_patch(base: &serde_json::Value, target: &serde_json::Value) -> Option<serde_json::Value> {
    use serde_json::Value;
    if base == target {
        return None;
    }
    match (base, target) {
        (Value::Object(b), Value::Object(t)) => {
            let mut out = serde_json::Map::new();
            for (k, tv) in t {
                match b.get(k) {
                    Some(bv) => {
                        if let Some(d) = merge_patch(bv, tv) {
                            out.insert(k.clone(), d);
                        }
                    }
                    None => {
                        out.insert(k.clone(), tv.clone());
                    }
                }
            }
            for k in b.keys().filter(|k| !t.contains_key(*k)) {
                out.insert(k.clone(), Value::Null);
            }
            Some(Value::Object(out))
        }
        _ => Some(target.clone()),
    }
}

/// The short form of a fragment whose scenario starts from a preset (same name): `p=<preset>`
/// and, if it differs, `d=<merge patch>`, the other parameters (lesson, lab) kept in front.
/// `None` when there is no such preset, the patch cannot say it exactly (a `null` in the
/// scenario), or the short form is not shorter.
pub fn shorten(fragment: &str) -> Option<String> {
    let f = fragment.strip_prefix('#').unwrap_or(fragment);
    let full = f.split('&').find_map(|kv| kv.strip_prefix("s="))?;
    let json = decode(full).ok()?;
    let scenario = scalelab_core::Scenario::from_json(&json).ok()?;
    let target = serde_json::to_value(&scenario).ok()?;
    let base = preset_value(&scenario.name)?;
    let mut payload = format!("p={}", scenario.name);
    if let Some(patch) = merge_patch(&base, &target) {
        let mut check = base.clone();
        apply_merge_patch(&mut check, &patch);
        if check != target {
            return None;
        }
        payload.push_str(&format!("&d={}", encode(&serde_json::to_string(&patch).ok()?)));
    }
    let others: Vec<&str> = f.split('&').filter(|kv| !kv.starts_with("s=")).collect();
    let short = if others.is_empty() { format!("#{payload}") } else { format!("#{}&{payload}", others.join("&")) };
    (short.len() < fragment.len()).then_some(short)
}

/// Decodes `<version>.<data>` to scenario JSON, migrating older link versions.
pub fn decode(value: &str) -> Result<String, LinkError> {
    if value.len() > MAX_FRAGMENT_CHARS {
        return Err(LinkError::TooLong { chars: value.len() });
    }
    let (version, data) = value.split_once('.').ok_or(LinkError::Malformed)?;
    let version: u32 = match version.parse() {
        Ok(v) => v,
        Err(_) => return Err(LinkError::UnknownVersion { found: version.chars().take(16).collect() }),
    };
    if version > LINK_VERSION {
        return Err(LinkError::NewerVersion { found: version });
    }
    if version == 0 {
        return Err(LinkError::UnknownVersion { found: "0".into() });
    }
    let packed = URL_SAFE_NO_PAD.decode(data.trim_end_matches('=')).map_err(|_| LinkError::BadBase64)?;
    let bytes = miniz_oxide::inflate::decompress_to_vec_with_limit(&packed, MAX_INFLATED_BYTES).map_err(|e| {
        if matches!(e.status, miniz_oxide::inflate::TINFLStatus::HasMoreOutput) {
            LinkError::TooLarge
        } else {
            LinkError::BadDeflate
        }
    })?;
    let text = String::from_utf8(bytes).map_err(|_| LinkError::NotUtf8)?;
    if let Err(e) = serde_json::from_str::<serde_json::Value>(&text) {
        return Err(LinkError::NotJson { message: e.to_string() });
    }
    Ok(migrate(version, text))
}

/// Brings a scenario from an older link version to the current one. Version 1 is the first;
/// the scenario's own `version` field is migrated by the core.
fn migrate(_link_version: u32, json: String) -> String {
    json
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;
    use proptest::prelude::*;

    fn raw(version: &str, bytes: &[u8]) -> String {
        format!("{version}.{}", URL_SAFE_NO_PAD.encode(miniz_oxide::deflate::compress_to_vec(bytes, 6)))
    }

    #[test]
    fn a_short_link_names_the_preset_and_only_the_differences() {
        use scalelab_core::Scenario;
        let e = scalelab_core::examples::get("seed-003-sqs-buffer").unwrap();
        let mut s = e.clone();
        s.seed = Some(42);
        let full = fragment_with(&s.to_json_pretty().unwrap(), Some(("first-scale-out", 2)));
        let short = shorten(&full).unwrap();
        assert!(short.starts_with("#lesson=first-scale-out&step=2&p=seed-003-sqs-buffer&d=1."), "{short}");
        assert!(short.len() * 4 < full.len(), "{} against {}", short.len(), full.len());
        let back = Scenario::from_json(&decode_fragment(&short).unwrap()).unwrap();
        assert_eq!(back, s);
        // The preset unchanged is its name alone; an unknown preset is named.
        let plain = shorten(&fragment(&e.to_json_pretty().unwrap())).unwrap();
        assert_eq!(plain, "#p=seed-003-sqs-buffer");
        assert_eq!(Scenario::from_json(&decode_fragment(&plain).unwrap()).unwrap(), e);
        assert!(matches!(decode_fragment("#p=no-such"), Err(LinkError::UnknownPreset { .. })));
        // A scenario that is no preset keeps the full form.
        let mut other = e;
        other.name = "mine".into();
        assert_eq!(shorten(&fragment(&other.to_json_pretty().unwrap())), None);
    }

    #[test]
    fn every_built_in_scenario_round_trips_and_fits_a_url() {
        for e in scalelab_core::examples::EXAMPLES {
            let enc = encode(e.json);
            assert!(enc.len() < 8 * 1024, "{}: {} characters", e.name, enc.len());
            let back = decode_fragment(&format!("#s={enc}")).unwrap();
            let a: serde_json::Value = serde_json::from_str(e.json).unwrap();
            let b: serde_json::Value = serde_json::from_str(&back).unwrap();
            assert_eq!(a, b, "{}", e.name);
        }
    }

    #[test]
    fn hostile_links_are_refused_with_a_reason() {
        let good = encode(r#"{"version":1}"#);
        let cases: Vec<(String, LinkError)> = vec![
            ("".into(), LinkError::Absent),
            ("#x=1".into(), LinkError::Absent),
            ("#s=".into(), LinkError::Malformed),
            ("#s=1".into(), LinkError::Malformed),
            (format!("#s=1.{}", &good[2..2 + (((good.len() - 2) / 2) & !3)]), LinkError::BadDeflate),
            ("#s=1.!!!!".into(), LinkError::BadBase64),
            ("#s=2.abcd".into(), LinkError::NewerVersion { found: 2 }),
            ("#s=99999999999999999999.abcd".into(), LinkError::UnknownVersion { found: "9999999999999999".into() }),
            ("#s=v1.abcd".into(), LinkError::UnknownVersion { found: "v1".into() }),
            ("#s=0.abcd".into(), LinkError::UnknownVersion { found: "0".into() }),
            (format!("#s={}", raw("1", &[0xff, 0xfe, 0x00])), LinkError::NotUtf8),
            (
                format!("#s={}", raw("1", b"{\"version\": 1,")),
                LinkError::NotJson { message: "EOF while parsing a value at line 1 column 14".into() },
            ),
            (
                format!("#s=1.{}", "A".repeat(MAX_FRAGMENT_CHARS + 10)),
                LinkError::TooLong { chars: MAX_FRAGMENT_CHARS + 14 },
            ),
        ];
        for (link, want) in cases {
            let got = decode_fragment(&link);
            assert_eq!(got, Err(want.clone()), "{}", &link[..link.len().min(60)]);
            // Every refusal reads as a sentence for the page.
            assert!(want.to_string().len() > 20);
        }
    }

    #[test]
    fn an_inflate_bomb_is_stopped_at_the_limit() {
        // 64 MiB of spaces compress to ~64 KiB; the fragment is under the length limit only
        // for smaller bombs, so build one that is: 16 MiB of zeros → about 16 KiB.
        let bomb = vec![b' '; 16 * 1024 * 1024];
        let link = raw("1", &bomb);
        assert!(link.len() < MAX_FRAGMENT_CHARS, "{}", link.len());
        assert_eq!(decode(&link), Err(LinkError::TooLarge));
    }

    #[test]
    fn huge_numbers_decode_and_are_left_to_the_scenario_checks() {
        let json = r#"{"version":1,"duration":"99999999999h","traffic":{"constant":{"rps":1e308}}}"#;
        let back = decode(&encode(json)).unwrap();
        let err = scalelab_core::Scenario::from_json(&back).and_then(|s| scalelab_core::plan(&s, None).map(|_| ()));
        assert!(err.is_err());
    }

    proptest! {
        #[test]
        fn any_text_round_trips(s in "\\PC{0,400}") {
            let json = serde_json::to_string(&serde_json::json!({"version": 1, "name": s})).unwrap();
            let back = decode(&encode(&json)).unwrap();
            prop_assert_eq!(serde_json::from_str::<serde_json::Value>(&back).unwrap(),
                            serde_json::from_str::<serde_json::Value>(&json).unwrap());
        }

        #[test]
        fn random_fragments_never_panic(s in "[-A-Za-z0-9_.=&#%]{0,300}") {
            let _ = decode_fragment(&s);
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod every_lesson {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Every lesson's link names it and carries its scenario, which the core accepts.
    #[test]
    fn every_lesson_has_a_link_that_opens_it() {
        for l in scalelab_core::lesson::all().unwrap() {
            let s = l.scenario.scenario().unwrap();
            let f = fragment_with(&s.to_json_pretty().unwrap(), Some((&l.id, 1)));
            assert_eq!(lesson_param(&f), Some((l.id.clone(), 1)), "{}", l.id);
            let back = scalelab_core::Scenario::from_json(&decode_fragment(&f).unwrap()).unwrap();
            assert_eq!(back, s, "{}", l.id);
        }
    }
}
