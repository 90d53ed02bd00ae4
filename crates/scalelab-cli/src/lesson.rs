//! `scalelab lesson`: the workshop lessons in a terminal, with their run's numbers filled in,
//! so they can be reviewed and diffed.

use scalelab_core::lesson::{self, Lesson};

use crate::failure::{Failure, Outcome};

/// `--list`: one line per lesson (or a JSON list with `--json`).
pub fn list(json: bool) -> Outcome {
    let all = lesson::all().map_err(|problems| Failure::Problems { source: "lessons".into(), problems })?;
    if json {
        let items: Vec<serde_json::Value> = all
            .iter()
            .enumerate()
            .map(|(k, l)| {
                serde_json::json!({
                    "id": l.id, "number": k + 1, "part": l.part, "minutes": l.minutes,
                    "title": l.title, "question": l.question,
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&items)?);
        return Ok(());
    }
    let mut part = "";
    for (k, l) in all.iter().enumerate() {
        if l.part != part {
            part = &l.part;
            println!("{part}:");
        }
        println!("  {:>2}. {:<22} {} ({} min)", k + 1, l.id, l.question, l.minutes);
    }
    Ok(())
}

/// One lesson: runs its scenarios and prints its text with the numbers filled in; with
/// `facts`, every fact of the runs too.
pub fn show(id: &str, facts: bool) -> Outcome {
    let l: Lesson = lesson::get(id).map_err(|problems| Failure::Problems { source: "lesson".into(), problems })?;
    let (_, f) = l.run().map_err(|problems| Failure::Problems { source: l.id.clone(), problems })?;
    let r = l.render(&f).map_err(|m| Failure::Refused(format!("{}: {m}", l.id)))?;
    println!("# {}\n\n{}\n", r.title, r.question);
    for (k, s) in r.steps.iter().enumerate() {
        let mut where_ = Vec::new();
        if let Some(t) = s.at_secs {
            where_.push(format!("at {}", scalelab_core::fmt::fmt_clock(t)));
        }
        if let Some(c) = &s.chart {
            where_.push(format!("{c} chart"));
        }
        let tag = if where_.is_empty() { String::new() } else { format!(" [{}]", where_.join(", ")) };
        println!("{}. {}{tag}", k + 1, s.text);
    }
    println!("\nCheck: {}\nAnswer: {}\n\nTakeaway: {}", r.check_question, r.answer, r.takeaway);
    for d in &l.docs {
        println!("  - {}: {}", d.title, d.url);
    }
    let failed = l.check(&f);
    if facts {
        println!("\nFacts:");
        for name in f.names() {
            if let Some(x) = f.get(name) {
                println!("  {name:<32} {:<14} {}", x.text, scalelab_core::fmt::num(x.value));
            }
        }
    }
    if failed.is_empty() { Ok(()) } else { Err(Failure::Refused(failed.join("\n"))) }
}
