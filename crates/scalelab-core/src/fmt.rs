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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_numbers() {
        assert_eq!(fmt_count(3_024_000_000.0), "3,024,000,000");
        assert_eq!(fmt_count(999.0), "999");
        assert_eq!(fmt_count(-5.0), "0");
        assert_eq!(num(25000.0), "25000");
        assert_eq!(num(0.126), "0.13");
    }
}
