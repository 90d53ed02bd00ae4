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

/// Finds the `s=` parameter in a fragment (`#s=...`, `#x=1&s=...`) and decodes it to JSON text.
pub fn decode_fragment(fragment: &str) -> Result<String, LinkError> {
    let f = fragment.strip_prefix('#').unwrap_or(fragment);
    if f.len() > MAX_FRAGMENT_CHARS + 2 {
        return Err(LinkError::TooLong { chars: f.len() });
    }
    let value = f.split('&').find_map(|kv| kv.strip_prefix("s=")).ok_or(LinkError::Absent)?;
    decode(value)
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
