//! Message templates: the one parser of `{{placeholder}}` text, used when a
//! template is saved (to refuse one that could never render and to list its
//! variables), when it is rendered, and when a message is sent from it.
//!
//! Syntax: `{{` opens a placeholder and the next `}}` closes it. Spaces and
//! tabs just inside the braces are ignored (`{{ customer.name }}` is
//! `{{customer.name}}`). A name is one of [`Placeholder`]'s, or `var.NAME`
//! with NAME made of ASCII letters, digits, `_` and `-` (at most
//! [`MAX_VARIABLE_NAME`] of them). A lone `{` or `}` is plain text; there is
//! no escape for a literal `{{`, which always opens a placeholder.
//!
//! Rendering inserts values as plain text: a value is never parsed again, so
//! a customer named `{{agent.name}}` stays `{{agent.name}}`.

use std::fmt;

/// The longest `NAME` of a `{{var.NAME}}`.
pub const MAX_VARIABLE_NAME: usize = 64;

/// One placeholder a template may hold.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Placeholder {
    CustomerName,
    /// The first word of the customer's name.
    CustomerFirstName,
    CustomerEmail,
    CustomerPhone,
    ProjectName,
    ProjectAddress,
    /// The staff member rendering or sending.
    AgentName,
    /// `{{var.NAME}}`: the request's `variables["NAME"]`.
    Var(String),
}

impl Placeholder {
    /// The fixed placeholders, by the name written between the braces.
    const FIXED: [(&'static str, Placeholder); 7] = [
        ("customer.name", Placeholder::CustomerName),
        ("customer.first_name", Placeholder::CustomerFirstName),
        ("customer.email", Placeholder::CustomerEmail),
        ("customer.phone", Placeholder::CustomerPhone),
        ("project.name", Placeholder::ProjectName),
        ("project.address", Placeholder::ProjectAddress),
        ("agent.name", Placeholder::AgentName),
    ];

    /// The placeholder a (trimmed) name between braces stands for.
    pub fn from_name(name: &str) -> Result<Placeholder, TemplateError> {
        if let Some((_, fixed)) = Self::FIXED.iter().find(|(n, _)| *n == name) {
            return Ok(fixed.clone());
        }
        match name.strip_prefix("var.") {
            Some(var) if valid_variable_name(var) => Ok(Placeholder::Var(var.to_owned())),
            Some(_) => Err(TemplateError::BadVariableName(name.to_owned())),
            None => Err(TemplateError::Unknown(name.to_owned())),
        }
    }

    /// The name as written between the braces, e.g. `customer.first_name`
    /// or `var.date`: how templates list it and errors name it.
    pub fn name(&self) -> String {
        match self {
            Placeholder::Var(var) => format!("var.{var}"),
            fixed => Self::FIXED
                .iter()
                .find(|(_, p)| p == fixed)
                .map(|(n, _)| (*n).to_owned())
                .unwrap_or_default(),
        }
    }
}

impl fmt::Display for Placeholder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

fn valid_variable_name(name: &str) -> bool {
    (1..=MAX_VARIABLE_NAME).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Why a text is not a valid template. Positions are character offsets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TemplateError {
    #[error("`{{{{` at character {0} is never closed with `}}}}`")]
    Unclosed(usize),
    #[error("empty placeholder `{{{{}}}}` at character {0}")]
    Empty(usize),
    #[error("unknown placeholder `{{{{{0}}}}}`; known: customer.name, customer.first_name, customer.email, customer.phone, project.name, project.address, agent.name, var.NAME")]
    Unknown(String),
    #[error("`{{{{{0}}}}}`: a variable name is 1 to 64 ASCII letters, digits, `_` or `-`")]
    BadVariableName(String),
}

/// A piece of a parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment<'a> {
    Text(&'a str),
    Placeholder(Placeholder),
}

/// A template text split into plain text and placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed<'a> {
    pub segments: Vec<Segment<'a>>,
}

/// Splits `text` into text and placeholders, or says why it cannot be one.
pub fn parse(text: &str) -> Result<Parsed<'_>, TemplateError> {
    let mut segments = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        if open > 0 {
            segments.push(Segment::Text(&rest[..open]));
        }
        let at = char_offset(text, rest, open);
        let inner_start = open + 2;
        let close = rest[inner_start..]
            .find("}}")
            .ok_or(TemplateError::Unclosed(at))?;
        let name = rest[inner_start..inner_start + close].trim_matches([' ', '\t']);
        if name.is_empty() {
            return Err(TemplateError::Empty(at));
        }
        segments.push(Segment::Placeholder(Placeholder::from_name(name)?));
        rest = &rest[inner_start + close + 2..];
    }
    if !rest.is_empty() {
        segments.push(Segment::Text(rest));
    }
    Ok(Parsed { segments })
}

/// The character offset in `whole` of byte `at` of its tail `rest`.
fn char_offset(whole: &str, rest: &str, at: usize) -> usize {
    let consumed = whole.len() - rest.len();
    whole[..consumed + at].chars().count()
}

impl Parsed<'_> {
    /// The placeholders in order of first appearance, each once.
    pub fn placeholders(&self) -> Vec<Placeholder> {
        let mut found: Vec<Placeholder> = Vec::new();
        for segment in &self.segments {
            if let Segment::Placeholder(p) = segment {
                if !found.contains(p) {
                    found.push(p.clone());
                }
            }
        }
        found
    }

    /// The text with every placeholder replaced by `value(placeholder)`.
    /// A placeholder without a value (None, or nothing but whitespace) is
    /// never rendered blank: the answer is then every such placeholder, in
    /// order of first appearance, each once.
    pub fn render(
        &self,
        mut value: impl FnMut(&Placeholder) -> Option<String>,
    ) -> Result<String, Vec<Placeholder>> {
        let mut out = String::new();
        let mut missing: Vec<Placeholder> = Vec::new();
        for segment in &self.segments {
            match segment {
                Segment::Text(text) => out.push_str(text),
                Segment::Placeholder(p) => match value(p).filter(|v| !v.trim().is_empty()) {
                    Some(v) => out.push_str(&v),
                    None if !missing.contains(p) => missing.push(p.clone()),
                    None => {}
                },
            }
        }
        if missing.is_empty() {
            Ok(out)
        } else {
            Err(missing)
        }
    }
}

/// The placeholders of a subject (if any) and a body, in order of first
/// appearance (the subject's first), each once: a template's `variables`.
pub fn variables(subject: Option<&Parsed<'_>>, body: &Parsed<'_>) -> Vec<String> {
    let mut all = subject.map(Parsed::placeholders).unwrap_or_default();
    for p in body.placeholders() {
        if !all.contains(&p) {
            all.push(p);
        }
    }
    all.iter().map(Placeholder::name).collect()
}

/// The first word of a name (`customer.first_name`).
pub fn first_name(name: &str) -> Option<&str> {
    name.split_whitespace().next()
}

#[cfg(test)]
mod tests;
