//! Every lesson's text is a claim about its run: each lesson is loaded, linted, run (with the
//! runs it compares with), rendered with every placeholder filled from the facts of its runs,
//! and checked against its claims. A lesson whose text no longer matches its run fails here.

use scalelab_core::lesson;

#[test]
fn there_are_at_least_fourteen_lessons_with_unique_ids() {
    let all = lesson::all().unwrap();
    assert!(all.len() >= 14, "{} lessons", all.len());
    let mut ids: Vec<&str> = all.iter().map(|l| l.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), all.len(), "lesson ids must be unique");
    assert!(lesson::get("no-such-lesson").unwrap_err().to_string().contains("unknown lesson"));
}

#[test]
fn every_lesson_renders_and_its_claims_hold() {
    let mut failures = Vec::new();
    for l in lesson::all().unwrap() {
        failures.extend(l.lint());
        let (report, facts) = match l.run() {
            Ok(x) => x,
            Err(p) => {
                failures.push(format!("{}: its scenario does not run: {p}", l.id));
                continue;
            }
        };
        match l.render(&facts) {
            Ok(r) => {
                for s in &r.steps {
                    if let Some(t) = s.at_secs {
                        assert!(t <= report.duration_secs, "{}: a step points past the end of the run", l.id);
                    }
                }
            }
            Err(m) => failures.push(format!("{}: {m}", l.id)),
        }
        failures.extend(l.check(&facts));
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// The claims can fail: a lesson checked against another lesson's run does not hold.
#[test]
fn a_claim_fails_on_a_run_it_does_not_describe() {
    let all = lesson::all().unwrap();
    let flapping = all.iter().find(|l| l.id == "flapping").unwrap();
    let one = all.iter().find(|l| l.id == "one-instance").unwrap();
    let (_, facts) = one.run().unwrap();
    assert!(!flapping.check(&facts).is_empty());
    assert!(flapping.render(&facts).is_err(), "the compared run's facts are missing");
}

/// The list groups lessons by part in the suggested order, and the workshop fits 90 minutes.
#[test]
fn the_parts_come_in_order_and_the_workshop_fits_ninety_minutes() {
    let all = lesson::all().unwrap();
    let mut parts: Vec<&str> = all.iter().map(|l| l.part.as_str()).collect();
    parts.dedup();
    let mut sorted = parts.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(parts, sorted, "each part's lessons are together, parts in order");
    assert_eq!(all.iter().map(|l| l.minutes).sum::<u32>(), 90);
}
