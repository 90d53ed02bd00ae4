//! Numbers as people read them, shared by the core's sentences and every front end.

/// 3024000000 → "3,024,000,000".
pub fn fmt_count(n: f64) -> String {
    let digits = format!("{:.0}", n.max(0.0));
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Numbers in sentences: integers without decimals, others with two.
pub fn num(v: f64) -> String {
    if (v - libm::round(v)).abs() < 1e-9 && v.abs() < 1e15 {
        format!("{}", libm::round(v) as i64)
    } else {
        format!("{v:.2}")
    }
}

/// A number for a label: no trailing zeros, thousands separated.
pub fn fmt_num(x: f64) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    let a = x.abs();
    if a >= 1e6 {
        format!("{:.2} M", x / 1e6)
    } else if a >= 1000.0 {
        // Rounded half away from zero first, so the count's own formatting sees a whole number.
        let grouped = fmt_count(libm::round(a));
        if x < 0.0 { format!("-{grouped}") } else { grouped }
    } else if a >= 100.0 {
        format!("{x:.0}")
    } else if a >= 10.0 {
        trim(format!("{x:.1}"))
    } else {
        trim(format!("{x:.2}"))
    }
}

fn trim(s: String) -> String {
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s }
}

/// Milliseconds as a readable duration: "840 ms", "3.2 s", "4.5 min".
pub fn fmt_ms(ms: f64) -> String {
    if ms < 1000.0 {
        format!("{} ms", fmt_num(ms))
    } else if ms < 120_000.0 {
        format!("{} s", fmt_num(ms / 1000.0))
    } else {
        format!("{} min", fmt_num(ms / 60_000.0))
    }
}

/// Seconds since the start as `1h05m`, `12m30s`.
pub fn fmt_clock(secs: f64) -> String {
    let s = secs.max(0.0) as u64;
    let (h, m, sec) = (s / 3600, (s % 3600) / 60, s % 60);
    if h > 0 {
        format!("{h}h{m:02}m")
    } else if sec == 0 {
        format!("{m}m")
    } else {
        format!("{m}m{sec:02}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(fmt_num(1234567.0), "1.23 M");
        assert_eq!(fmt_num(12345.4), "12,345");
        assert_eq!(fmt_num(-2500.5), "-2,501");
        assert_eq!(fmt_num(2.50), "2.5");
        assert_eq!(fmt_ms(840.0), "840 ms");
        assert_eq!(fmt_ms(3200.0), "3.2 s");
        assert_eq!(fmt_clock(3900.0), "1h05m");
        assert_eq!(fmt_clock(750.0), "12m30s");
    }

    #[test]
    fn counts_and_numbers() {
        assert_eq!(fmt_count(3_024_000_000.0), "3,024,000,000");
        assert_eq!(fmt_count(999.0), "999");
        assert_eq!(fmt_count(-5.0), "0");
        assert_eq!(num(25000.0), "25000");
        assert_eq!(num(0.126), "0.13");
    }
}
