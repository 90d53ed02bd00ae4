//! CloudWatch metric math: the expressions of `Metrics` lists in `PutMetricAlarm` and in a
//! target tracking policy's `CustomizedMetricSpecification`. `parse` reads an expression with a
//! PEG grammar (pest) and a Pratt parser for operator precedence; `check` names every problem
//! (unknown function, wrong arguments, unknown id); `Expr::eval` evaluates it over a window of
//! periods with CloudWatch's rules for missing datapoints: in an operation on two series a
//! missing value counts as 0 (a period where neither has one stays missing), a number applies
//! to the points a series has, and a division by zero drops the point.

use std::collections::BTreeMap;

use pest::Parser;
use pest::iterators::Pairs;
use pest::pratt_parser::{Assoc, Op as POp, PrattParser};

#[derive(pest_derive::Parser)]
#[grammar_inline = r#"
WHITESPACE = _{ " " | "\t" | "\n" | "\r" }
math    = { SOI ~ expr ~ EOI }
expr    = { prefix* ~ primary ~ (infix ~ prefix* ~ primary)* }
infix   = _{ add | sub | mul | div | pow | eq | ne | le | ge | lt | gt | and | or }
add     = { "+" }
sub     = { "-" }
mul     = { "*" }
div     = { "/" }
pow     = { "^" }
eq      = { "==" }
ne      = { "!=" }
le      = { "<=" }
ge      = { ">=" }
lt      = { "<" }
gt      = { ">" }
and     = { "AND" | "&&" }
or      = { "OR" | "||" }
prefix  = _{ neg }
neg     = { "-" }
primary = _{ number | call | keyword | id | array | string | "(" ~ expr ~ ")" }
call    = { name ~ "(" ~ (expr ~ ("," ~ expr)*)? ~ ")" }
keyword = { name }
name    = @{ ASCII_ALPHA_UPPER ~ (ASCII_ALPHA_UPPER | ASCII_DIGIT | "_")* }
id      = @{ ASCII_ALPHA_LOWER ~ (ASCII_ALPHANUMERIC | "_")* }
number  = @{ (ASCII_DIGIT+ ~ ("." ~ ASCII_DIGIT*)? | "." ~ ASCII_DIGIT+) ~ (^"e" ~ ("+" | "-")? ~ ASCII_DIGIT+)? }
array   = { "[" ~ expr ~ ("," ~ expr)* ~ "]" }
string  = @{ "\"" ~ (!"\"" ~ ANY)* ~ "\"" }
"#]
struct MathParser;

/// The longest expression CloudWatch takes (`Expression`: 1–2048 characters).
pub const MAX_EXPRESSION_LEN: usize = 2048;
/// Deepest nesting of parentheses, brackets and calls, and most operators, accepted: together
/// they bound the parser's and the evaluator's recursion (unary minus and `^` nest without
/// parentheses).
const MAX_DEPTH: usize = 32;
const MAX_OPERATORS: usize = 256;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Func {
    Abs,
    Avg,
    Ceil,
    Diff,
    DiffTime,
    Fill,
    Floor,
    If,
    Log,
    Log10,
    Max,
    Metrics,
    Min,
    Period,
    Rate,
    RunningSum,
    Stddev,
    Sum,
    TimeSeries,
    DatapointCount,
}

/// The functions evaluated, with their CloudWatch names.
const FUNCS: &[(&str, Func)] = &[
    ("ABS", Func::Abs),
    ("AVG", Func::Avg),
    ("CEIL", Func::Ceil),
    ("DATAPOINT_COUNT", Func::DatapointCount),
    ("DIFF", Func::Diff),
    ("DIFF_TIME", Func::DiffTime),
    ("FILL", Func::Fill),
    ("FLOOR", Func::Floor),
    ("IF", Func::If),
    ("LOG", Func::Log),
    ("LOG10", Func::Log10),
    ("MAX", Func::Max),
    ("METRICS", Func::Metrics),
    ("MIN", Func::Min),
    ("PERIOD", Func::Period),
    ("RATE", Func::Rate),
    ("RUNNING_SUM", Func::RunningSum),
    ("STDDEV", Func::Stddev),
    ("SUM", Func::Sum),
    ("TIME_SERIES", Func::TimeSeries),
];

/// CloudWatch functions that have no meaning over one endpoint's simulated metrics.
const NOT_SIMULATED: &[&str] = &[
    "ANOMALY_DETECTION_BAND",
    "CONCAT",
    "DATE",
    "DAY",
    "DB_PERF_INSIGHTS",
    "EPOCH",
    "FIRST",
    "HOUR",
    "INSIGHT_RULE_METRIC",
    "LAMBDA",
    "LAST",
    "METRIC_COUNT",
    "MINUTE",
    "MONTH",
    "REMOVE_EMPTY",
    "SEARCH",
    "SERVICE_QUOTA",
    "SLICE",
    "SORT",
    "YEAR",
];

/// The names `FUNCS` evaluates, for messages.
pub fn supported_functions() -> String {
    FUNCS.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
}

#[derive(Clone, PartialEq, Debug)]
pub enum Expr {
    Num(f64),
    Id(String),
    /// `REPEAT` or `LINEAR` (FILL's modes).
    Keyword(String),
    /// A string literal (METRICS' label filter).
    Str(String),
    Neg(Box<Expr>),
    Bin(BinOp, Box<Expr>, Box<Expr>),
    Call(Func, Vec<Expr>),
    Array(Vec<Expr>),
}

fn pratt() -> PrattParser<Rule> {
    PrattParser::new()
        .op(POp::infix(Rule::or, Assoc::Left))
        .op(POp::infix(Rule::and, Assoc::Left))
        .op(POp::infix(Rule::eq, Assoc::Left)
            | POp::infix(Rule::ne, Assoc::Left)
            | POp::infix(Rule::lt, Assoc::Left)
            | POp::infix(Rule::le, Assoc::Left)
            | POp::infix(Rule::gt, Assoc::Left)
            | POp::infix(Rule::ge, Assoc::Left))
        .op(POp::infix(Rule::add, Assoc::Left) | POp::infix(Rule::sub, Assoc::Left))
        .op(POp::infix(Rule::mul, Assoc::Left) | POp::infix(Rule::div, Assoc::Left))
        .op(POp::prefix(Rule::neg))
        .op(POp::infix(Rule::pow, Assoc::Right))
}

/// Parses an expression. Errors say where and what was expected.
pub fn parse(text: &str) -> Result<Expr, String> {
    if text.trim().is_empty() {
        return Err("the expression is empty".into());
    }
    if text.len() > MAX_EXPRESSION_LEN {
        return Err(format!("{} characters; CloudWatch takes at most {MAX_EXPRESSION_LEN}", text.len()));
    }
    // Outside string literals: nesting, and operators (each may add a level).
    let (mut depth, mut operators, mut in_string) = (0usize, 0usize, false);
    for c in text.chars() {
        match c {
            '"' => in_string = !in_string,
            _ if in_string => {}
            '(' | '[' => depth += 1,
            ')' | ']' => depth = depth.saturating_sub(1),
            '+' | '-' | '*' | '/' | '^' | '<' | '>' | '=' | '!' | '&' | '|' | ',' => operators += 1,
            _ => {}
        }
        if depth > MAX_DEPTH {
            return Err(format!("nested more than {MAX_DEPTH} levels deep"));
        }
    }
    if operators > MAX_OPERATORS {
        return Err(format!("{operators} operators; at most {MAX_OPERATORS}"));
    }
    // A function the grammar would stumble on later (SEARCH's quoted arguments) is named first.
    let mut word: Option<usize> = None;
    for (i, c) in text.char_indices().chain(std::iter::once((text.len(), ' '))) {
        let in_word = c.is_ascii_alphanumeric() || c == '_';
        match (in_word, word) {
            (true, None) => word = Some(i),
            (false, Some(start)) => {
                let w = text.get(start..i).unwrap_or("");
                let upper = w.starts_with(|f: char| f.is_ascii_uppercase())
                    && w.chars().all(|x| x.is_ascii_uppercase() || x.is_ascii_digit() || x == '_');
                if upper && text.get(i..).unwrap_or("").trim_start().starts_with('(') {
                    function(w)?;
                }
                word = None;
            }
            _ => {}
        }
    }
    let mut pairs = MathParser::parse(Rule::math, text).map_err(|e| {
        let col = match e.line_col {
            pest::error::LineColLocation::Pos((_, c)) | pest::error::LineColLocation::Span((_, c), _) => c,
        };
        format!("cannot read \"{text}\" at character {col}: write ids (m1), numbers, + - * / ^, comparisons, AND, OR, parentheses and functions such as SUM(m1)")
    })?;
    let expr = pairs.next().and_then(|m| m.into_inner().next()).ok_or("the expression is empty")?;
    build(expr.into_inner(), &pratt())
}

fn build(pairs: Pairs<'_, Rule>, p: &PrattParser<Rule>) -> Result<Expr, String> {
    p.map_primary(|primary| -> Result<Expr, String> {
        Ok(match primary.as_rule() {
            Rule::number => {
                let x: f64 =
                    primary.as_str().parse().map_err(|_| format!("\"{}\" is not a number", primary.as_str()))?;
                if !x.is_finite() {
                    return Err(format!("{} is too large a number", primary.as_str()));
                }
                Expr::Num(x)
            }
            Rule::id => Expr::Id(primary.as_str().to_string()),
            Rule::keyword => Expr::Keyword(primary.as_str().to_string()),
            Rule::string => Expr::Str(primary.as_str().trim_matches('"').to_string()),
            Rule::expr => build(primary.into_inner(), p)?,
            Rule::array => {
                Expr::Array(primary.into_inner().map(|e| build(e.into_inner(), p)).collect::<Result<Vec<_>, _>>()?)
            }
            Rule::call => {
                let mut inner = primary.into_inner();
                let name = inner.next().map(|n| n.as_str().to_string()).unwrap_or_default();
                let args = inner.map(|e| build(e.into_inner(), p)).collect::<Result<Vec<_>, _>>()?;
                Expr::Call(function(&name)?, args)
            }
            other => return Err(format!("unexpected {other:?}")),
        })
    })
    .map_prefix(|op, rhs| {
        let _ = op;
        Ok(Expr::Neg(Box::new(rhs?)))
    })
    .map_infix(|lhs, op, rhs| {
        let op = match op.as_rule() {
            Rule::add => BinOp::Add,
            Rule::sub => BinOp::Sub,
            Rule::mul => BinOp::Mul,
            Rule::div => BinOp::Div,
            Rule::pow => BinOp::Pow,
            Rule::eq => BinOp::Eq,
            Rule::ne => BinOp::Ne,
            Rule::lt => BinOp::Lt,
            Rule::le => BinOp::Le,
            Rule::gt => BinOp::Gt,
            Rule::ge => BinOp::Ge,
            Rule::and => BinOp::And,
            _ => BinOp::Or,
        };
        Ok(Expr::Bin(op, Box::new(lhs?), Box::new(rhs?)))
    })
    .parse(pairs)
}

fn function(name: &str) -> Result<Func, String> {
    if let Some((_, f)) = FUNCS.iter().find(|(n, _)| *n == name) {
        return Ok(*f);
    }
    let supported = supported_functions();
    if NOT_SIMULATED.contains(&name) {
        return Err(format!("{name} is not simulated; the functions are {supported}"));
    }
    let names: Vec<&str> = FUNCS.iter().map(|(n, _)| *n).collect();
    Err(match crate::problem::nearest(name, &names) {
        Some(n) => format!("unknown function {name}; did you mean {n}? The functions are {supported}"),
        None => format!("unknown function {name}; the functions are {supported}"),
    })
}

/// What an expression evaluates to.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    Scalar,
    Series,
    Array,
}

impl Expr {
    /// The ids it refers to.
    pub fn ids(&self, out: &mut Vec<String>) {
        match self {
            Expr::Id(id) => out.push(id.clone()),
            Expr::Neg(e) => e.ids(out),
            Expr::Bin(_, a, b) => {
                a.ids(out);
                b.ids(out);
            }
            Expr::Call(_, args) | Expr::Array(args) => args.iter().for_each(|a| a.ids(out)),
            Expr::Num(_) | Expr::Keyword(_) | Expr::Str(_) => {}
        }
    }

    /// Checks arguments and infers the kind, given the kind of each id.
    pub fn check(&self, kind_of: &dyn Fn(&str) -> Option<Kind>) -> Result<Kind, String> {
        match self {
            Expr::Num(_) => Ok(Kind::Scalar),
            Expr::Id(id) => kind_of(id).ok_or_else(|| format!("no query has the Id \"{id}\"")),
            Expr::Keyword(k) => Err(format!("{k} is not a value (REPEAT and LINEAR are FILL's modes)")),
            Expr::Str(_) => Err("a string is only METRICS' label filter".into()),
            Expr::Neg(e) => e.check(kind_of),
            Expr::Bin(_, a, b) => {
                let (ka, kb) = (a.check(kind_of)?, b.check(kind_of)?);
                Ok(match (ka, kb) {
                    (Kind::Array, _) | (_, Kind::Array) => Kind::Array,
                    (Kind::Series, _) | (_, Kind::Series) => Kind::Series,
                    _ => Kind::Scalar,
                })
            }
            Expr::Array(items) => {
                for i in items {
                    if i.check(kind_of)? != Kind::Series {
                        return Err("an array [ ] holds time series only".into());
                    }
                }
                Ok(Kind::Array)
            }
            Expr::Call(f, args) => check_call(*f, args, kind_of),
        }
    }
}

fn name_of(f: Func) -> &'static str {
    FUNCS.iter().find(|(_, g)| *g == f).map_or("?", |(n, _)| *n)
}

fn check_call(f: Func, args: &[Expr], kind_of: &dyn Fn(&str) -> Option<Kind>) -> Result<Kind, String> {
    let name = name_of(f);
    let count = |lo: usize, hi: usize| {
        if args.len() < lo || args.len() > hi {
            let want = if lo == hi { format!("{lo}") } else { format!("{lo} to {hi}") };
            Err(format!("{name} takes {want} argument(s), got {}", args.len()))
        } else {
            Ok(())
        }
    };
    let first = |args: &[Expr]| -> Result<Kind, String> {
        args.first().ok_or_else(|| format!("{name} needs an argument"))?.check(kind_of)
    };
    match f {
        Func::Metrics => {
            count(0, 1)?;
            if let Some(a) = args.first()
                && !matches!(a, Expr::Str(_))
            {
                return Err("METRICS takes no argument or a label filter in quotes, like METRICS(\"errors\")".into());
            }
            Ok(Kind::Array)
        }
        Func::TimeSeries => {
            count(1, 1)?;
            match first(args)? {
                Kind::Scalar => Ok(Kind::Series),
                _ => Err("TIME_SERIES takes a number, like TIME_SERIES(AVG(m1))".into()),
            }
        }
        Func::Abs | Func::Ceil | Func::Floor | Func::Log | Func::Log10 => {
            count(1, 1)?;
            first(args)
        }
        Func::Diff | Func::DiffTime | Func::Rate | Func::RunningSum => {
            count(1, 1)?;
            match first(args)? {
                Kind::Scalar => Err(format!("{name} takes a time series or an array of them")),
                k => Ok(k),
            }
        }
        Func::Period => {
            count(1, 1)?;
            if !matches!(args.first(), Some(Expr::Id(_))) {
                return Err("PERIOD takes a query's Id, like PERIOD(m1)".into());
            }
            first(args)?;
            Ok(Kind::Scalar)
        }
        Func::Min | Func::Max | Func::Sum | Func::Avg | Func::Stddev | Func::DatapointCount => {
            count(1, 1)?;
            // Over one series: one number over the time range; over an array: a series.
            match first(args)? {
                Kind::Array => Ok(Kind::Series),
                Kind::Series => Ok(Kind::Scalar),
                Kind::Scalar => Err(format!("{name} takes a time series or an array of them, like {name}([m1, m2])")),
            }
        }
        Func::Fill => {
            count(2, 2)?;
            let k = first(args)?;
            if k == Kind::Scalar {
                return Err("FILL takes a time series or an array of them first".into());
            }
            match args.get(1) {
                Some(Expr::Keyword(w)) if w == "REPEAT" || w == "LINEAR" => {}
                Some(Expr::Keyword(w)) => {
                    return Err(format!("FILL's second argument is a value, REPEAT or LINEAR, not {w}"));
                }
                Some(e) if e.check(kind_of)? == Kind::Array => {
                    return Err("FILL's value must be a number or a time series".into());
                }
                _ => {}
            }
            Ok(k)
        }
        Func::If => {
            count(2, 3)?;
            let mut kind = Kind::Scalar;
            for a in args {
                match a.check(kind_of)? {
                    Kind::Array => return Err("IF takes numbers and time series, not arrays".into()),
                    Kind::Series => kind = Kind::Series,
                    Kind::Scalar => {}
                }
            }
            Ok(kind)
        }
    }
}

/// A time series on the window's periods (`None`: no datapoint).
pub type Series = Vec<Option<f64>>;

/// A value during evaluation.
#[derive(Clone, Debug, PartialEq)]
pub enum Val {
    /// `None`: a reduction of a series with no datapoint.
    Scalar(Option<f64>),
    Series(Series),
    Array(Vec<Series>),
}

/// What evaluation knows: the window's length and period, and each query's value.
#[derive(Debug)]
pub struct Env<'a> {
    pub len: usize,
    pub period_secs: f64,
    pub values: &'a BTreeMap<String, Val>,
    /// The metric queries' series with their labels, in order (METRICS()).
    pub metrics: &'a [(String, Series)],
}

fn map(v: Val, f: &dyn Fn(f64) -> Option<f64>) -> Val {
    let s = |xs: Series| xs.into_iter().map(|x| x.and_then(f)).collect();
    match v {
        Val::Scalar(x) => Val::Scalar(x.and_then(f)),
        Val::Series(xs) => Val::Series(s(xs)),
        Val::Array(a) => Val::Array(a.into_iter().map(s).collect()),
    }
}

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

fn apply(op: BinOp, a: f64, b: f64) -> Option<f64> {
    let t = |c: bool| Some(if c { 1.0 } else { 0.0 });
    match op {
        BinOp::Add => finite(a + b),
        BinOp::Sub => finite(a - b),
        BinOp::Mul => finite(a * b),
        // CloudWatch: a division by zero has no datapoint.
        BinOp::Div if b == 0.0 => None,
        BinOp::Div => finite(a / b),
        BinOp::Pow => finite(libm::pow(a, b)),
        BinOp::Eq => t(a == b),
        BinOp::Ne => t(a != b),
        BinOp::Lt => t(a < b),
        BinOp::Le => t(a <= b),
        BinOp::Gt => t(a > b),
        BinOp::Ge => t(a >= b),
        BinOp::And => t(a != 0.0 && b != 0.0),
        BinOp::Or => t(a != 0.0 || b != 0.0),
    }
}

/// Pointwise on two series: where one has no value it counts as 0; where neither has one the
/// result has none.
fn zip(op: BinOp, a: &[Option<f64>], b: &[Option<f64>]) -> Series {
    a.iter()
        .zip(b)
        .map(|(x, y)| match (x, y) {
            (None, None) => None,
            _ => apply(op, x.unwrap_or(0.0), y.unwrap_or(0.0)),
        })
        .collect()
}

fn binary(op: BinOp, a: Val, b: Val, len: usize) -> Val {
    // A number applies to the points a series has.
    let with = |xs: Series, y: Option<f64>, swap: bool| -> Series {
        xs.into_iter()
            .map(|x| {
                let (x, y) = (x?, y?);
                if swap { apply(op, y, x) } else { apply(op, x, y) }
            })
            .collect()
    };
    match (a, b) {
        (Val::Scalar(x), Val::Scalar(y)) => Val::Scalar(x.zip(y).and_then(|(x, y)| apply(op, x, y))),
        (Val::Scalar(x), Val::Series(ys)) => Val::Series(with(ys, x, true)),
        (Val::Series(xs), Val::Scalar(y)) => Val::Series(with(xs, y, false)),
        (Val::Series(xs), Val::Series(ys)) => Val::Series(zip(op, &xs, &ys)),
        (Val::Array(xs), other) => {
            Val::Array(xs.into_iter().map(|x| as_series(binary(op, Val::Series(x), other.clone(), len), len)).collect())
        }
        (other, Val::Array(ys)) => {
            Val::Array(ys.into_iter().map(|y| as_series(binary(op, other.clone(), Val::Series(y), len), len)).collect())
        }
    }
}

fn as_series(v: Val, len: usize) -> Series {
    match v {
        Val::Scalar(x) => vec![x; len],
        Val::Series(s) => s,
        Val::Array(mut a) => a.drain(..).next().unwrap_or_else(|| vec![None; len]),
    }
}

/// Reduces the present values: min, max, sum, mean, count or population standard deviation.
/// `slots` is how many values AVG divides by (an array's length: there a missing value counts
/// as 0), or `None` for the present ones.
fn reduce(f: Func, xs: impl Iterator<Item = f64>, slots: Option<usize>) -> Option<f64> {
    let v: Vec<f64> = xs.collect();
    if v.is_empty() {
        return None;
    }
    let n = v.len() as f64;
    let sum: f64 = v.iter().sum();
    Some(match f {
        Func::Min => v.iter().copied().fold(f64::INFINITY, f64::min),
        Func::Max => v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        Func::Sum => sum,
        Func::DatapointCount => n,
        Func::Avg => sum / slots.map_or(n, |s| s.max(1) as f64),
        _ => {
            let mean = sum / n;
            libm::sqrt(v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n)
        }
    })
}

/// Each value minus the previous present one (DIFF), divided by the seconds between them
/// (RATE), or those seconds (DIFF_TIME); the first present value has none.
fn differences(f: Func, s: &[Option<f64>], period_secs: f64) -> Series {
    let mut prev: Option<(usize, f64)> = None;
    s.iter()
        .enumerate()
        .map(|(k, x)| {
            let x = (*x)?;
            let out = prev.and_then(|(j, p)| {
                let secs = (k - j) as f64 * period_secs;
                match f {
                    Func::Diff => finite(x - p),
                    Func::Rate => finite((x - p) / secs),
                    _ => Some(secs),
                }
            });
            prev = Some((k, x));
            out
        })
        .collect()
}

fn fill(s: Series, with: &Val, mode: Option<&str>) -> Series {
    match mode {
        Some("REPEAT") => {
            let mut last = None;
            s.into_iter()
                .map(|x| {
                    if x.is_some() {
                        last = x;
                    }
                    x.or(last)
                })
                .collect()
        }
        Some(_) => {
            // LINEAR: between the present values around a gap; none before the first or after
            // the last.
            let present: Vec<(usize, f64)> = s.iter().enumerate().filter_map(|(k, x)| x.map(|x| (k, x))).collect();
            s.iter()
                .enumerate()
                .map(|(k, x)| {
                    x.or_else(|| {
                        let after = present.iter().position(|(j, _)| *j > k)?;
                        let (j1, y1) = *present.get(after)?;
                        let (j0, y0) = *present.get(after.checked_sub(1)?)?;
                        Some(y0 + (y1 - y0) * (k - j0) as f64 / (j1 - j0) as f64)
                    })
                })
                .collect()
        }
        None => match with {
            Val::Scalar(v) => s.into_iter().map(|x| x.or(*v)).collect(),
            Val::Series(w) => s.into_iter().zip(w).map(|(x, y)| x.or(*y)).collect(),
            Val::Array(_) => s,
        },
    }
}

impl Expr {
    /// Evaluates over the window. `check` has accepted the expression, so kinds match.
    pub fn eval(&self, env: &Env<'_>) -> Val {
        let len = env.len;
        match self {
            Expr::Num(x) => Val::Scalar(Some(*x)),
            Expr::Id(id) => env.values.get(id).cloned().unwrap_or(Val::Series(vec![None; len])),
            Expr::Keyword(_) | Expr::Str(_) => Val::Scalar(None),
            Expr::Neg(e) => map(e.eval(env), &|x| Some(-x)),
            Expr::Bin(op, a, b) => binary(*op, a.eval(env), b.eval(env), len),
            Expr::Array(items) => Val::Array(items.iter().map(|e| as_series(e.eval(env), len)).collect()),
            Expr::Call(f, args) => call(*f, args, env),
        }
    }
}

fn call(f: Func, args: &[Expr], env: &Env<'_>) -> Val {
    let len = env.len;
    let arg = |k: usize| args.get(k).map_or(Val::Scalar(None), |a| a.eval(env));
    let per_series = |v: Val, g: &dyn Fn(Series) -> Series| match v {
        Val::Array(a) => Val::Array(a.into_iter().map(g).collect()),
        other => Val::Series(g(as_series(other, len))),
    };
    match f {
        Func::Abs => map(arg(0), &|x| Some(x.abs())),
        Func::Ceil => map(arg(0), &|x| Some(x.ceil())),
        Func::Floor => map(arg(0), &|x| Some(x.floor())),
        Func::Log => map(arg(0), &|x| (x > 0.0).then(|| libm::log(x))),
        Func::Log10 => map(arg(0), &|x| (x > 0.0).then(|| libm::log10(x))),
        Func::Period => Val::Scalar(Some(env.period_secs)),
        Func::TimeSeries => match arg(0) {
            Val::Scalar(x) => Val::Series(vec![x; len]),
            other => other,
        },
        Func::Diff | Func::Rate | Func::DiffTime => per_series(arg(0), &|s| differences(f, &s, env.period_secs)),
        Func::RunningSum => per_series(arg(0), &|s| {
            let mut total = 0.0;
            s.into_iter()
                .map(|x| {
                    x.map(|x| {
                        total += x;
                        total
                    })
                })
                .collect()
        }),
        Func::Metrics => {
            let filter = match args.first() {
                Some(Expr::Str(f)) => Some(f.as_str()),
                _ => None,
            };
            Val::Array(
                env.metrics
                    .iter()
                    .filter(|(id, _)| filter.is_none_or(|f| id.contains(f)))
                    .map(|(_, s)| s.clone())
                    .collect(),
            )
        }
        Func::Min | Func::Max | Func::Sum | Func::Avg | Func::Stddev | Func::DatapointCount => match arg(0) {
            Val::Array(a) => Val::Series(
                (0..len)
                    .map(|k| reduce(f, a.iter().filter_map(|s| s.get(k).copied().flatten()), Some(a.len())))
                    .collect(),
            ),
            Val::Series(s) => Val::Scalar(reduce(f, s.into_iter().flatten(), None)),
            Val::Scalar(x) => Val::Scalar(x),
        },
        Func::Fill => {
            let mode = match args.get(1) {
                Some(Expr::Keyword(k)) => Some(k.as_str()),
                _ => None,
            };
            let with = if mode.is_some() { Val::Scalar(None) } else { arg(1) };
            per_series(arg(0), &|s| fill(s, &with, mode))
        }
        Func::If => {
            // Per period: no condition, no point; true takes the second argument (0 where it
            // has no value); false the third (no point where it has none or is left out).
            // Each argument once (nested IFs must not multiply the work).
            let vals: Vec<Val> = args.iter().map(|a| a.eval(env)).collect();
            let scalar = vals.iter().all(|v| matches!(v, Val::Scalar(_)));
            let mut series = vals.into_iter().map(|v| as_series(v, len));
            let c = series.next().unwrap_or_else(|| vec![None; len]);
            let a = series.next().unwrap_or_else(|| vec![None; len]);
            let b = series.next().unwrap_or_else(|| vec![None; len]);
            let out: Series = (0..len)
                .map(|k| {
                    let c = c.get(k).copied().flatten()?;
                    if c != 0.0 {
                        Some(a.get(k).copied().flatten().unwrap_or(0.0))
                    } else {
                        b.get(k).copied().flatten()
                    }
                })
                .collect();
            if scalar { Val::Scalar(out.first().copied().flatten()) } else { Val::Series(out) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(id: &str) -> Option<Kind> {
        id.starts_with('m').then_some(Kind::Series)
    }

    fn eval(text: &str, m1: Series, m2: Series) -> Val {
        let e = parse(text).unwrap();
        e.check(&kinds).unwrap();
        let len = m1.len();
        let values =
            BTreeMap::from([("m1".to_string(), Val::Series(m1.clone())), ("m2".to_string(), Val::Series(m2.clone()))]);
        let metrics = vec![("m1".to_string(), m1), ("m2".to_string(), m2)];
        e.eval(&Env { len, period_secs: 60.0, values: &values, metrics: &metrics })
    }

    #[test]
    fn precedence_and_associativity() {
        let s = |xs: &[f64]| xs.iter().map(|x| Some(*x)).collect::<Series>();
        let one = s(&[1.0]);
        assert_eq!(eval("2 + 3 * 4", one.clone(), one.clone()), Val::Scalar(Some(14.0)));
        assert_eq!(eval("(2 + 3) * 4", one.clone(), one.clone()), Val::Scalar(Some(20.0)));
        assert_eq!(eval("2 ^ 3 ^ 2", one.clone(), one.clone()), Val::Scalar(Some(512.0)));
        assert_eq!(eval("-2 ^ 2", one.clone(), one.clone()), Val::Scalar(Some(-4.0)));
        assert_eq!(eval("10 - 4 - 3", one.clone(), one.clone()), Val::Scalar(Some(3.0)));
        assert_eq!(eval("1 + 1 > 1 AND 2 < 1 OR 1", one.clone(), one.clone()), Val::Scalar(Some(1.0)));
        assert_eq!(eval("m1 / 60", s(&[120.0, 60.0]), s(&[0.0, 0.0])), Val::Series(s(&[2.0, 1.0])));
        assert_eq!(eval("1.5e2 + .5", one.clone(), one), Val::Scalar(Some(150.5)));
    }

    #[test]
    fn missing_data_and_division_by_zero() {
        let m1 = vec![Some(10.0), None, Some(30.0), Some(40.0)];
        let m2 = vec![Some(2.0), Some(5.0), Some(0.0), None];
        // A missing value counts as 0 beside a present one; dividing by zero drops the point.
        assert_eq!(eval("m1 / m2", m1.clone(), m2.clone()), Val::Series(vec![Some(5.0), Some(0.0), None, None]));
        assert_eq!(
            eval("m1 - m2", m1.clone(), m2.clone()),
            Val::Series(vec![Some(8.0), Some(-5.0), Some(30.0), Some(40.0)])
        );
        assert_eq!(eval("m1 * 2", m1.clone(), m2.clone()), Val::Series(vec![Some(20.0), None, Some(60.0), Some(80.0)]));
        assert_eq!(eval("m1 >= 30", m1.clone(), m2.clone()), Val::Series(vec![Some(0.0), None, Some(1.0), Some(1.0)]));
        assert_eq!(
            eval("FILL(m1, 0) + FILL(m2, 0)", m1.clone(), m2.clone()),
            Val::Series(vec![Some(12.0), Some(5.0), Some(30.0), Some(40.0)])
        );
        assert_eq!(
            eval("FILL(m1, REPEAT)", m1.clone(), m2.clone()),
            Val::Series(vec![Some(10.0), Some(10.0), Some(30.0), Some(40.0)])
        );
        assert_eq!(
            eval("FILL(m1, LINEAR)", m1.clone(), m2.clone()),
            Val::Series(vec![Some(10.0), Some(20.0), Some(30.0), Some(40.0)])
        );
        assert_eq!(eval("DIFF(m1)", m1.clone(), m2.clone()), Val::Series(vec![None, None, Some(20.0), Some(10.0)]));
        // RATE: per second between present datapoints (two periods apart across the gap).
        assert_eq!(
            eval("RATE(m1)", m1.clone(), m2.clone()),
            Val::Series(vec![None, None, Some(20.0 / 120.0), Some(10.0 / 60.0)])
        );
        assert_eq!(eval("SUM(m1)", m1.clone(), m2.clone()), Val::Scalar(Some(80.0)));
        assert_eq!(
            eval("SUM([m1, m2])", m1.clone(), m2.clone()),
            Val::Series(vec![Some(12.0), Some(5.0), Some(30.0), Some(40.0)])
        );
        assert_eq!(eval("MAX(METRICS())", m1.clone(), m2.clone()), eval("MAX([m1, m2])", m1.clone(), m2.clone()));
        assert_eq!(eval("SUM(METRICS(\"1\"))", m1.clone(), m2.clone()), eval("SUM([m1])", m1.clone(), m2.clone()));
        // AWS's IF table: m1 = [1,1,0,0,-], m2 = [30,-,0,0,30], m3 = [0,0,20,-,20] → [30,0,20,-,-].
        let cond = vec![Some(1.0), Some(1.0), Some(0.0), Some(0.0), None];
        let then = vec![Some(30.0), None, Some(0.0), Some(0.0), Some(30.0)];
        let values = BTreeMap::from([
            ("m1".to_string(), Val::Series(cond)),
            ("m2".to_string(), Val::Series(then)),
            ("m3".to_string(), Val::Series(vec![Some(0.0), Some(0.0), Some(20.0), None, Some(20.0)])),
        ]);
        let env = Env { len: 5, period_secs: 60.0, values: &values, metrics: &[] };
        let got = |t: &str| parse(t).unwrap().eval(&env);
        assert_eq!(got("IF(m1, m2, m3)"), Val::Series(vec![Some(30.0), Some(0.0), Some(20.0), None, None]));
        assert_eq!(got("IF(m1, 5, m3)"), Val::Series(vec![Some(5.0), Some(5.0), Some(20.0), None, None]));
        assert_eq!(got("IF(m1, m2, 5)"), Val::Series(vec![Some(30.0), Some(0.0), Some(5.0), Some(5.0), None]));
        // AVG over an array counts a missing value as 0.
        assert_eq!(eval("AVG([m1, m2])", vec![Some(4.0)], vec![None]), Val::Series(vec![Some(2.0)]));
        assert_eq!(
            eval("TIME_SERIES(SUM(m1))", vec![Some(4.0), None], vec![None, None]),
            Val::Series(vec![Some(4.0), Some(4.0)])
        );
        assert_eq!(eval("PERIOD(m1)", m1.clone(), m2.clone()), Val::Scalar(Some(60.0)));
        assert_eq!(
            eval("m1 - AVG(m1)", vec![Some(1.0), Some(3.0)], vec![None, None]),
            Val::Series(vec![Some(-1.0), Some(1.0)])
        );
    }

    #[test]
    fn problems_are_named() {
        let err = |t: &str| match parse(t) {
            Err(e) => e,
            Ok(e) => e.check(&kinds).unwrap_err(),
        };
        assert!(
            err("SEARCH('{AWS/SageMaker}', 'Sum', 60)").contains("cannot read")
                || err("SEARCH(m1)").contains("not simulated")
        );
        assert!(err("SEARCH(m1)").contains("not simulated"));
        assert!(err("SUMM(m1)").contains("did you mean SUM"));
        assert!(err("m1 +").contains("cannot read"));
        assert!(err("x1 / 2").contains("no query has the Id \"x1\""));
        assert!(err("FILL(m1)").contains("FILL takes 2"));
        assert!(err("FILL(m1, ZERO)").contains("REPEAT or LINEAR"));
        assert!(err("SUM(3)").contains("time series"));
        assert!(err("PERIOD(3)").contains("Id"));
        assert!(err("").contains("empty"));
        assert!(err(&"(".repeat(40)).contains("nested"));
        assert!(err(&"m1+".repeat(700)).contains("2048"));
        // Nesting hidden in strings, unary minus and powers is bounded too.
        let hidden = format!("{}\"{}\"{}m1{}", "(".repeat(30), ")".repeat(40), "+(".repeat(10), ")".repeat(40));
        assert!(err(&hidden).contains("nested"), "{}", err(&hidden));
        assert!(err(&format!("{}m1", "-".repeat(300))).contains("operators"));
        assert!(err("1e999 + m1").contains("too large"));
        // Nested IFs cost linear work.
        let nested = format!("{}m1{}", "IF(".repeat(30), ", 1)".repeat(30));
        assert_eq!(parse(&nested).unwrap().check(&kinds), Ok(Kind::Series));
        assert!(err("NOT m1").contains("cannot read"));
        assert!(err("SQRT(m1)").contains("unknown function"));
        assert_eq!(parse("METRICS()").unwrap().check(&kinds), Ok(Kind::Array));
        assert_eq!(parse("SUM(m1)").unwrap().check(&kinds), Ok(Kind::Scalar));
    }
}
