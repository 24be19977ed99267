use super::*;

fn names(found: Vec<Placeholder>) -> Vec<String> {
    found.iter().map(Placeholder::name).collect()
}

fn render_with(
    text: &str,
    value: impl FnMut(&Placeholder) -> Option<String>,
) -> Result<String, Vec<String>> {
    parse(text).unwrap().render(value).map_err(names)
}

#[test]
fn every_fixed_placeholder_parses_and_keeps_its_name() {
    for (name, placeholder) in Placeholder::FIXED {
        let text = format!("{{{{{name}}}}}");
        let parsed = parse(&text).unwrap();
        assert_eq!(parsed.segments, [Segment::Placeholder(placeholder.clone())]);
        assert_eq!(placeholder.name(), name);
    }
}

#[test]
fn text_around_placeholders_is_kept_as_written() {
    let parsed = parse("Hi {{customer.first_name}}, see you {{var.day}}!").unwrap();
    assert_eq!(
        parsed.segments,
        [
            Segment::Text("Hi "),
            Segment::Placeholder(Placeholder::CustomerFirstName),
            Segment::Text(", see you "),
            Segment::Placeholder(Placeholder::Var("day".into())),
            Segment::Text("!"),
        ]
    );
}

#[test]
fn spaces_and_tabs_inside_the_braces_are_ignored() {
    let parsed = parse("{{ customer.name }}{{\tvar.x\t}}").unwrap();
    assert_eq!(
        parsed.placeholders(),
        [Placeholder::CustomerName, Placeholder::Var("x".into())]
    );
}

#[test]
fn an_unknown_placeholder_is_refused_by_name() {
    assert_eq!(
        parse("Dear {{customer.nmae}}"),
        Err(TemplateError::Unknown("customer.nmae".into()))
    );
    assert_eq!(
        parse("{{name}}"),
        Err(TemplateError::Unknown("name".into()))
    );
}

#[test]
fn an_unclosed_placeholder_is_refused_with_its_position() {
    assert_eq!(
        parse("Hello {{customer.name"),
        Err(TemplateError::Unclosed(6))
    );
    assert_eq!(parse("é {{"), Err(TemplateError::Unclosed(2)));
}

#[test]
fn an_empty_placeholder_is_refused() {
    assert_eq!(parse("a {{  }} b"), Err(TemplateError::Empty(2)));
}

#[test]
fn a_variable_name_must_be_plain() {
    for bad in ["{{var.}}", "{{var.a b}}", "{{var.ü}}", "{{var.a.b}}"] {
        assert!(
            matches!(parse(bad), Err(TemplateError::BadVariableName(_))),
            "{bad}"
        );
    }
    let long = format!("{{{{var.{}}}}}", "a".repeat(MAX_VARIABLE_NAME + 1));
    assert!(matches!(
        parse(&long),
        Err(TemplateError::BadVariableName(_))
    ));
    assert!(parse("{{var.due_date-2}}").is_ok());
}

#[test]
fn single_braces_are_plain_text() {
    let parsed = parse("{a} } { }}").unwrap();
    assert_eq!(parsed.segments, [Segment::Text("{a} } { }}")]);
}

#[test]
fn placeholders_are_listed_once_in_order_of_first_appearance() {
    let parsed = parse("{{var.b}} {{customer.name}} {{var.b}} {{var.a}}").unwrap();
    assert_eq!(
        names(parsed.placeholders()),
        ["var.b", "customer.name", "var.a"]
    );
}

#[test]
fn a_templates_variables_list_the_subject_first_without_repeats() {
    let subject = parse("{{project.name}}: {{var.day}}").unwrap();
    let body = parse("{{var.day}} {{agent.name}}").unwrap();
    assert_eq!(
        variables(Some(&subject), &body),
        ["project.name", "var.day", "agent.name"]
    );
}

#[test]
fn rendering_fills_every_placeholder() {
    let rendered = render_with("Hi {{customer.first_name}}, {{var.day}}.", |p| match p {
        Placeholder::CustomerFirstName => Some("Ann".into()),
        Placeholder::Var(v) if v == "day" => Some("Monday".into()),
        _ => None,
    });
    assert_eq!(rendered.unwrap(), "Hi Ann, Monday.");
}

#[test]
fn values_are_inserted_as_plain_text_and_never_parsed_again() {
    let rendered = render_with("{{customer.name}}", |_| Some("{{agent.name}} {{".into()));
    assert_eq!(rendered.unwrap(), "{{agent.name}} {{");
}

#[test]
fn every_missing_value_is_listed_once_in_order() {
    let rendered = render_with(
        "{{var.b}} {{customer.email}} {{var.b}} {{customer.name}} {{var.a}}",
        |p| (*p == Placeholder::CustomerName).then(|| "Ann".into()),
    );
    assert_eq!(rendered.unwrap_err(), ["var.b", "customer.email", "var.a"]);
}

#[test]
fn an_empty_or_blank_value_counts_as_missing() {
    let rendered = render_with("{{var.a}}{{var.b}}", |p| match p {
        Placeholder::Var(v) if v == "a" => Some(String::new()),
        _ => Some("  \n".into()),
    });
    assert_eq!(rendered.unwrap_err(), ["var.a", "var.b"]);
}

#[test]
fn the_first_name_is_the_first_word() {
    assert_eq!(first_name("  Helen  Carter "), Some("Helen"));
    assert_eq!(first_name("Cher"), Some("Cher"));
    assert_eq!(first_name(" "), None);
}
