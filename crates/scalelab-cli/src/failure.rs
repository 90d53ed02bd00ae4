//! Why a command failed, and the exit code each kind ends with: 1 the input has problems, 2 the
//! command line is wrong, 3 a file or device could not be used (or anything unexpected).

use std::process::ExitCode;

use scalelab_core::Problems;

#[derive(Debug)]
pub enum Failure {
    /// The scenario (from `source`) has problems, each with its path.
    Problems { source: String, problems: Problems },
    /// The input is refused for a reason that is not a problem at a path.
    Refused(String),
    /// The command line is wrong.
    Usage(String),
    /// A file could not be read or written, no GPU adapter, or anything unexpected.
    Other(anyhow::Error),
}

impl Failure {
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(match self {
            Failure::Problems { .. } | Failure::Refused(_) => 1,
            Failure::Usage(_) => 2,
            Failure::Other(_) => 3,
        })
    }

    /// What the user reads on standard error.
    pub fn message(&self) -> String {
        match self {
            Failure::Problems { source, problems } => {
                let n = problems.0.len();
                let mut out = format!("{source}: {n} problem{}:", if n == 1 { "" } else { "s" });
                for p in &problems.0 {
                    out.push_str(&format!("\n  {p}"));
                }
                out
            }
            Failure::Refused(m) | Failure::Usage(m) => format!("error: {m}"),
            Failure::Other(e) => format!("error: {e:#}"),
        }
    }
}

impl<E: Into<anyhow::Error>> From<E> for Failure {
    fn from(e: E) -> Failure {
        Failure::Other(e.into())
    }
}

pub type Outcome<T = ()> = std::result::Result<T, Failure>;

#[cfg(test)]
mod tests {
    use super::*;
    use scalelab_core::Problem;

    #[test]
    fn each_kind_has_its_exit_code_and_words() {
        let p = Failure::Problems { source: "s.json".into(), problems: Problems(vec![Problem::new("a", "bad")]) };
        assert_eq!(p.exit_code(), ExitCode::from(1));
        assert_eq!(p.message(), "s.json: 1 problem:\n  a: bad");
        assert_eq!(Failure::Usage("x".into()).exit_code(), ExitCode::from(2));
        let io: Failure = std::io::Error::other("disk").into();
        assert_eq!(io.exit_code(), ExitCode::from(3));
        assert_eq!(io.message(), "error: disk");
    }
}
