//! The Swagger 2.0 schema subset JumpCloud's spec files use, as a validator of JSON values.
//! The rules it applies, and why, are in the doc comment of `super`.

use std::collections::BTreeSet;

use serde_json::Value;

/// Keywords that would change what a schema accepts but that the spec files do not use
/// today. Met in a future copy, they are reported rather than silently ignored.
const UNSUPPORTED_KEYWORDS: &[&str] = &[
    "anyOf",
    "oneOf",
    "not",
    "discriminator",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
    "patternProperties",
];

/// `$ref` chains longer than this are taken to be cycles.
const MAX_REF_HOPS: usize = 32;

/// One thing wrong with a value: where (a JSON path like `$.results[3].email`) and what.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub at: String,
    pub message: String,
}

/// The schemas of one spec file; `$ref`s resolve against that file.
pub struct Schemas<'a> {
    document: &'a Value,
}

impl<'a> Schemas<'a> {
    pub fn new(document: &'a Value) -> Self {
        Schemas { document }
    }

    /// Every problem of `value` against `schema`; `at` names the value (`$`, `query "limit"`).
    pub fn validate(&self, schema: &'a Value, value: &Value, at: &str) -> Vec<Problem> {
        let mut problems = Vec::new();
        self.check(schema, value, at, true, &mut problems);
        problems
    }

    /// Follows `$ref`s (`#/definitions/X`, `#/parameters/Y`) to the schema they name, and
    /// says whether any step on the way allowed null (`x-nullable`).
    pub fn resolve(&self, schema: &'a Value) -> Result<(&'a Value, bool), String> {
        let mut current = schema;
        let mut nullable = is_nullable(current);
        for _ in 0..MAX_REF_HOPS {
            let Some(reference) = current.get("$ref").and_then(Value::as_str) else {
                return Ok((current, nullable));
            };
            current = reference
                .strip_prefix('#')
                .and_then(|pointer| self.document.pointer(pointer))
                .ok_or_else(|| format!("the spec's $ref {reference} does not resolve"))?;
            nullable |= is_nullable(current);
        }
        Err(format!("the spec's $refs from {schema} form a cycle"))
    }

    /// `check_undeclared` is false for `allOf` branches: the properties a value may have
    /// are those of all branches together, checked once by the schema holding the `allOf`.
    fn check(
        &self,
        schema: &'a Value,
        value: &Value,
        at: &str,
        check_undeclared: bool,
        problems: &mut Vec<Problem>,
    ) {
        let mut report = |message: String| {
            problems.push(Problem {
                at: at.to_string(),
                message,
            })
        };
        let (schema, nullable) = match self.resolve(schema) {
            Ok(resolved) => resolved,
            Err(message) => return report(message),
        };
        if value.is_null() && nullable {
            return;
        }
        if let Some(keyword) = UNSUPPORTED_KEYWORDS
            .iter()
            .find(|keyword| schema.get(**keyword).is_some())
        {
            return report(format!(
                "the spec uses `{keyword}`, which this validator does not implement"
            ));
        }
        if let Some(expected) = expected_type(schema) {
            match has_type(value, expected) {
                None => return report(format!("the spec's type {expected:?} is not supported")),
                Some(false) => {
                    return report(format!("expected {expected}, got {}", describe(value)));
                }
                Some(true) => {}
            }
        }
        if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
            && !allowed.contains(value)
        {
            let allowed: Vec<String> = allowed.iter().map(Value::to_string).collect();
            return report(format!("{value} is not one of {}", allowed.join(", ")));
        }
        match value {
            Value::String(text) => check_string(schema, text, &mut report),
            Value::Number(number) => check_number(schema, number, &mut report),
            Value::Array(items) => {
                if let Some(min) = schema.get("minItems").and_then(Value::as_u64)
                    && (items.len() as u64) < min
                {
                    report(format!("{} items, at least {min} required", items.len()));
                }
                if let Some(item_schema) = schema.get("items") {
                    for (index, item) in items.iter().enumerate() {
                        self.check(item_schema, item, &format!("{at}[{index}]"), true, problems);
                    }
                }
            }
            Value::Object(members) => {
                self.check_members(schema, members, at, problems);
                if check_undeclared && let Some(declared) = self.declared_properties(schema) {
                    for key in members
                        .keys()
                        .filter(|key| !declared.contains(key.as_str()))
                    {
                        problems.push(Problem {
                            at: child(at, key),
                            message: "property not declared by the spec".to_string(),
                        });
                    }
                }
            }
            Value::Null | Value::Bool(_) => {}
        }
        for branch in schema
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            self.check(branch, value, at, false, problems);
        }
    }

    fn check_members(
        &self,
        schema: &'a Value,
        members: &serde_json::Map<String, Value>,
        at: &str,
        problems: &mut Vec<Problem>,
    ) {
        for required in required_properties(schema) {
            if !members.contains_key(required) {
                problems.push(Problem {
                    at: child(at, required),
                    message: "required property is missing".to_string(),
                });
            }
        }
        let declared = schema.get("properties").and_then(Value::as_object);
        for (key, member) in members {
            match declared.and_then(|properties| properties.get(key)) {
                Some(property) => self.check(property, member, &child(at, key), true, problems),
                None => {
                    if let Some(extra) = schema.get("additionalProperties")
                        && extra.is_object()
                    {
                        self.check(extra, member, &child(at, key), true, problems);
                    }
                }
            }
        }
    }

    /// The property names an object may have, or `None` if any name is allowed: the
    /// schema says `additionalProperties` (true or a schema), or it is a free-form object
    /// (no `properties` at all).
    fn declared_properties(&self, schema: &'a Value) -> Option<BTreeSet<&'a str>> {
        let (schema, _) = self.resolve(schema).ok()?;
        if schema
            .get("additionalProperties")
            .is_some_and(|extra| extra != &Value::Bool(false))
        {
            return None;
        }
        let branches = schema.get("allOf").and_then(Value::as_array);
        let own = schema.get("properties").and_then(Value::as_object);
        if own.is_none() && branches.is_none() {
            return None;
        }
        let mut declared: BTreeSet<&str> = own
            .into_iter()
            .flat_map(|properties| properties.keys().map(String::as_str))
            .collect();
        for branch in branches.into_iter().flatten() {
            declared.extend(self.declared_properties(branch)?);
        }
        Some(declared)
    }
}

fn is_nullable(schema: &Value) -> bool {
    schema.get("x-nullable") == Some(&Value::Bool(true))
}

fn required_properties(schema: &Value) -> impl Iterator<Item = &str> {
    // On a parameter `required` is a boolean; only a schema's list names properties.
    schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
}

/// The declared type, or the one the schema's keywords imply (definitions often leave
/// `type: object` out next to `properties`).
fn expected_type(schema: &Value) -> Option<&str> {
    if let Some(declared) = schema.get("type").and_then(Value::as_str) {
        return Some(declared);
    }
    if schema.get("properties").is_some()
        || schema.get("additionalProperties").is_some()
        || required_properties(schema).next().is_some()
    {
        Some("object")
    } else if schema.get("items").is_some() {
        Some("array")
    } else {
        None
    }
}

/// Whether `value` is of the Swagger type `name`; `None` for a type Swagger 2.0 schemas
/// do not have. Integers are valid numbers; a number with a fraction is not an integer.
fn has_type(value: &Value, name: &str) -> Option<bool> {
    Some(match name {
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "object" => value.is_object(),
        "array" => value.is_array(),
        "number" => value.is_number(),
        "integer" => is_integer(value),
        _ => return None,
    })
}

fn is_integer(value: &Value) -> bool {
    value.is_i64() || value.is_u64() || value.as_f64().is_some_and(|n| n.fract() == 0.0)
}

fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) if is_integer(value) => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn check_string(schema: &Value, text: &str, report: &mut impl FnMut(String)) {
    let length = text.chars().count() as u64;
    if let Some(max) = schema.get("maxLength").and_then(Value::as_u64)
        && length > max
    {
        report(format!("{length} characters, at most {max} allowed"));
    }
    if let Some(min) = schema.get("minLength").and_then(Value::as_u64)
        && length < min
    {
        report(format!("{length} characters, at least {min} required"));
    }
    if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
        match regex::Regex::new(pattern) {
            Ok(regex) if regex.is_match(text) => {}
            Ok(_) => report(format!("{text:?} does not match the pattern {pattern}")),
            Err(error) => report(format!(
                "the spec's pattern {pattern} is not usable: {error}"
            )),
        }
    }
}

fn check_number(schema: &Value, number: &serde_json::Number, report: &mut impl FnMut(String)) {
    let Some(n) = number.as_f64() else {
        return;
    };
    if let Some(min) = schema.get("minimum").and_then(Value::as_f64)
        && n < min
    {
        report(format!("{number} is below the minimum {min}"));
    }
    if let Some(max) = schema.get("maximum").and_then(Value::as_f64)
        && n > max
    {
        report(format!("{number} is above the maximum {max}"));
    }
}

/// The JSON path of a member: `$.results` or, for names that are not identifiers,
/// `$["x-total-count"]`.
fn child(at: &str, key: &str) -> String {
    if !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        format!("{at}.{key}")
    } else {
        format!("{at}[{key:?}]")
    }
}
