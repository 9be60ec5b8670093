//! JumpCloud's published spec (`spec/v1.json`, `spec/v2.json`,
//! `spec/directory-insights.json`; Swagger 2.0) as a checker of the exchanges the
//! simulator recorded ([`jumpcloud::sim::Exchange`]).
//!
//! An exchange is matched to an operation by its path: the spec whose `basePath` covers
//! it (the longest: `/api/v2` before `/api`), then the path template whose segments match
//! (literal segments preferred over `{params}` from the left), then the method. The
//! operation is named by its spec `operationId`, which in these SDK copies is the SDK name
//! (`User_List`, not `systemusers_list`; see `spec/README.md`).
//!
//! Checked, strictly:
//! * the request: every query parameter is declared (operation or path level) and its
//!   value has the declared type (integers parse, enums match, `minimum`s hold); only
//!   `collectionFormat: multi` parameters may repeat; required query parameters are sent;
//!   path parameters have their declared type; the JSON body validates against the
//!   `in: body` schema, and there is no body where the operation takes none;
//! * the response: the status is documented, and the body validates against its schema;
//!   a status documented without a schema (204) has an empty body; a JSON body comes
//!   with `Content-Type: application/json`.
//!
//! Schema rules: `$ref`s resolve within the same file; `required` properties must be
//! present; types are exact (an integer is a valid number, not the reverse); **null is
//! accepted only where the spec says `x-nullable: true`**, so the simulator must leave an
//! optional field out rather than send null; **a property the schema does not declare is
//! a failure** unless the schema allows others (`additionalProperties`, or a free-form
//! object with no `properties`), so neither side invents fields; `allOf` branches are all
//! applied and their properties pooled; `enum`, `minLength`/`maxLength`, `pattern`,
//! `minimum`/`maximum` and `minItems` are enforced.
//!
//! Deliberately lenient, and why:
//! * `format` is not checked (`date-time` values are checked as strings): formats are
//!   descriptive in these files, and the SDK build did not curate them.
//! * Header parameters are not checked: the SDK copies removed `x-org-id` everywhere
//!   (NOTES §2), and credentials are covered by `client_against_simulator.rs`.
//! * Error responses: the SDK copies document no 4xx/5xx response at all, so an
//!   undocumented error status is accepted with JumpCloud's observed body
//!   `{"message": string}` (NOTES §2, §17.5–6) and nothing else.
//! * `readOnly` is not enforced in request bodies (Swagger 2.0 says "SHOULD NOT").
//!
//! If the spec is known to be wrong about a field (NOTES §17.7), say so here, cite NOTES,
//! and make the narrowest exception; never loosen a rule to make the simulator pass.
//!
//! # Known errors in the SDK copies
//!
//! Each is contradicted by the full public spec of 2023 (`full-2023/v1.swagger.yaml` in
//! the shared `jumpcloud-api` folder, described by its `SOURCE.md`), and each exception
//! applies to the one operation or parameter named:
//! * `User_Delete` (`DELETE /systemusers/{id}`): the SDK copy dropped the optional query
//!   parameter `cascade_manager` ("clear the Manager attribute on all direct reports and
//!   then delete the account", NOTES §6). It is checked as the string v1-2023 declares
//!   (`PARAMETER_CORRECTIONS`).
//! * `UserState_Activate` (`POST /systemusers/{id}/state/activate`): the body's `email` is
//!   declared a string, but the operation's own description documents `{"email": false}`
//!   (send no email) and `{"email": true}` besides an address (NOTES §6). Swagger 2.0 cannot
//!   say "string or boolean", so `email` is accepted with any type (`PARAMETER_CORRECTIONS`).
//! * The v1 list parameter `search` is declared `type: string`, but its description
//!   (`trait:search:search`) is "a nested object containing a `searchTerm` string or array
//!   of strings and a list of `fields`" (NOTES §4), which a query string carries in bracket
//!   notation (`search[searchTerm]=a&search[fields][]=email`). Those keys are checked as
//!   texts of `search`, on operations that declare it (`Operation::check_query`).
//! * `Event_Get` (`POST /insights/directory/v1/events`): the body schema `EventQuery`
//!   declares `search_after` an array of strings and each `search_term` conjunction an
//!   object, but the same file's own guide (`info.description` of
//!   `directory-insights.json`) documents both otherwise: "Getting All the Pages of Data"
//!   sends the `X-Search_after` value back as `[1576181718000, "DZrPyW8BNsa9iKWoOm7h"]`
//!   (a number, then a string), and "Advanced Search: Compound Logic" says "All of the
//!   content of both `and` and `or` should be comma-separated JSON objects, enclosed in a
//!   JSON array []" (NOTES §3, §15). The body is checked against `EventQuery` with those
//!   two properties as documented: `search_after` items of any type (Swagger 2.0 cannot
//!   say "number or string"), conjunctions as arrays of objects (`PARAMETER_CORRECTIONS`).

mod schema;

use std::collections::BTreeSet;
use std::sync::{LazyLock, OnceLock};

use jumpcloud::sim::{Exchange, Payload};
use serde_json::{Value, json};

use schema::{Problem, Schemas};

/// The spec files, relative to the crate.
const SPEC_FILES: &[&str] = &["v1.json", "v2.json", "directory-insights.json"];

/// The three specs, loaded once per test binary.
pub fn spec() -> &'static Spec {
    static SPEC: OnceLock<Spec> = OnceLock::new();
    SPEC.get_or_init(Spec::load)
}

pub struct Spec {
    apis: Vec<Api>,
}

/// One spec file.
struct Api {
    file: &'static str,
    /// `basePath` without its trailing slash: `/api`, `/api/v2`, `/insights/directory/v1`.
    base: String,
    document: Value,
    templates: Vec<PathTemplate>,
}

struct PathTemplate {
    /// The key in `paths`, e.g. `/systemusers/{id}`.
    key: String,
    segments: Vec<Segment>,
}

enum Segment {
    Literal(String),
    Param(String),
}

/// The operation an exchange was matched to, as failures name it.
struct Operation<'a> {
    api: &'a Api,
    template: &'a PathTemplate,
    id: &'a str,
    /// `GET /api/systemusers/{id}`.
    route: String,
    definition: &'a Value,
    /// Operation-level parameters, then path-level ones the operation does not override.
    parameters: Vec<&'a Value>,
}

impl Spec {
    fn load() -> Spec {
        let apis = SPEC_FILES
            .iter()
            .map(|file| {
                // Cargo sets this when it runs the test; the compile-time value may name
                // another checkout whose build shares CARGO_TARGET_DIR.
                let crate_dir = std::env::var("CARGO_MANIFEST_DIR")
                    .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string());
                let location = format!("{crate_dir}/spec/{file}");
                let text = std::fs::read_to_string(&location)
                    .unwrap_or_else(|error| panic!("reading {location}: {error}"));
                let document: Value = serde_json::from_str(&text)
                    .unwrap_or_else(|error| panic!("parsing {location}: {error}"));
                Api::new(file, document)
            })
            .collect();
        Spec { apis }
    }

    /// Checks one exchange, adding a line per problem to `failures`; returns the
    /// operationId it matched, if any.
    pub fn check(&self, exchange: &Exchange, failures: &mut Vec<String>) -> Option<String> {
        let method = exchange.method.as_str();
        let operation = match self.operation(method, &exchange.path) {
            Ok(operation) => operation,
            Err(problem) => {
                failures.push(format!(
                    "unknown operation ({method} {}): route: {problem}",
                    exchange.path
                ));
                return None;
            }
        };
        let problems = operation
            .check_path(&exchange.path)
            .into_iter()
            .chain(operation.check_query(exchange.query.as_deref()))
            .chain(operation.check_request_body(&exchange.request_body))
            .chain(operation.check_response(exchange));
        failures.extend(problems.map(|problem| {
            format!(
                "{} ({}): {}: {}",
                operation.id, operation.route, problem.at, problem.message
            )
        }));
        Some(operation.id.to_string())
    }

    fn operation<'a>(&'a self, method: &str, path: &str) -> Result<Operation<'a>, String> {
        let (api, rest) = self
            .apis
            .iter()
            .filter_map(|api| {
                let rest = path.strip_prefix(&api.base)?;
                rest.starts_with('/').then_some((api, rest))
            })
            .max_by_key(|(api, _)| api.base.len())
            .ok_or("no spec file has a basePath covering this path")?;
        let template = api
            .template_for(rest)
            .ok_or_else(|| format!("no path of {} matches", api.file))?;
        let path_item = &api.document["paths"][&template.key];
        let definition = path_item.get(method.to_ascii_lowercase()).ok_or_else(|| {
            let defined: Vec<&str> = path_item
                .as_object()
                .into_iter()
                .flat_map(|item| item.keys().map(String::as_str))
                .filter(|key| HTTP_METHODS.contains(key))
                .collect();
            format!(
                "{} {} defines no {method} operation (defined: {}; the SDK build removed \
                     operations it does not wrap, see spec/README.md)",
                api.file,
                template.key,
                if defined.is_empty() {
                    "none".to_string()
                } else {
                    defined.join(", ")
                }
            )
        })?;
        let schemas = Schemas::new(&api.document);
        let resolve =
            |parameter: &'a Value| schemas.resolve(parameter).map(|(resolved, _)| resolved);
        let own = list(definition.get("parameters"))
            .map(resolve)
            .collect::<Result<Vec<_>, _>>()?;
        let shared = list(path_item.get("parameters"))
            .map(resolve)
            .collect::<Result<Vec<_>, _>>()?;
        let inherited = shared.into_iter().filter(|shared| {
            !own.iter()
                .any(|p| p["name"] == shared["name"] && p["in"] == shared["in"])
        });
        let id = definition
            .get("operationId")
            .and_then(Value::as_str)
            .unwrap_or("(no operationId)");
        let mut parameters: Vec<&Value> = own.iter().copied().chain(inherited).collect();
        for (_, correction) in PARAMETER_CORRECTIONS.iter().filter(|(of, _)| *of == id) {
            parameters
                .retain(|p| !(p["name"] == correction["name"] && p["in"] == correction["in"]));
            parameters.push(correction);
        }
        Ok(Operation {
            api,
            template,
            id,
            route: format!("{method} {}{}", api.base, template.key),
            definition,
            parameters,
        })
    }
}

const HTTP_METHODS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch"];

fn list(value: Option<&Value>) -> impl Iterator<Item = &Value> {
    value.and_then(Value::as_array).into_iter().flatten()
}

impl Api {
    fn new(file: &'static str, document: Value) -> Api {
        let base = document["basePath"]
            .as_str()
            .unwrap_or_default()
            .trim_end_matches('/')
            .to_string();
        let templates = document["paths"]
            .as_object()
            .into_iter()
            .flat_map(|paths| paths.keys())
            .map(|key| PathTemplate {
                key: key.clone(),
                segments: key
                    .split('/')
                    .skip(1)
                    .map(|segment| match segment.strip_prefix('{') {
                        Some(name) => Segment::Param(name.trim_end_matches('}').to_string()),
                        None => Segment::Literal(segment.to_string()),
                    })
                    .collect(),
            })
            .collect();
        Api {
            file,
            base,
            document,
            templates,
        }
    }

    /// The template matching `path` (below the base path); of several, the one whose
    /// first differing segment is literal (`/systemusers/search` over `/systemusers/{id}`).
    fn template_for(&self, path: &str) -> Option<&PathTemplate> {
        let segments: Vec<&str> = path.split('/').skip(1).collect();
        self.templates
            .iter()
            .filter(|template| template.matches(&segments))
            .max_by_key(|template| {
                template
                    .segments
                    .iter()
                    .map(|segment| matches!(segment, Segment::Literal(_)))
                    .collect::<Vec<bool>>()
            })
    }
}

impl PathTemplate {
    fn matches(&self, segments: &[&str]) -> bool {
        self.segments.len() == segments.len()
            && self
                .segments
                .iter()
                .zip(segments)
                .all(|(template, actual)| match template {
                    Segment::Literal(literal) => literal == actual,
                    Segment::Param(_) => !actual.is_empty(),
                })
    }
}

impl<'a> Operation<'a> {
    fn schemas(&self) -> Schemas<'_> {
        Schemas::new(&self.api.document)
    }

    fn parameters_in<'s>(&'s self, location: &'s str) -> impl Iterator<Item = &'a Value> + 's {
        self.parameters
            .iter()
            .copied()
            .filter(move |parameter| parameter["in"] == location)
    }

    fn parameter(&self, location: &str, name: &str) -> Option<&'a Value> {
        self.parameters_in(location)
            .find(|parameter| parameter["name"] == name)
    }

    fn check_path(&self, path: &str) -> Vec<Problem> {
        let actual = path[self.api.base.len()..].split('/').skip(1);
        let mut problems = Vec::new();
        for (segment, value) in self.template.segments.iter().zip(actual) {
            let Segment::Param(name) = segment else {
                continue;
            };
            let at = format!("path {{{name}}}");
            let value = percent_encoding::percent_decode_str(value).decode_utf8_lossy();
            match self.parameter("path", name) {
                Some(parameter) => problems.extend(self.check_parameter(parameter, &[&value], &at)),
                None => problems.push(Problem {
                    at,
                    message: "the spec does not declare this path parameter".to_string(),
                }),
            }
        }
        problems
    }

    fn check_query(&self, raw: Option<&str>) -> Vec<Problem> {
        let pairs: Vec<(String, String)> =
            url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
                .into_owned()
                .collect();
        let names: BTreeSet<&str> = pairs.iter().map(|(name, _)| name.as_str()).collect();
        let mut problems = Vec::new();
        for name in &names {
            let at = format!("query {name:?}");
            let values: Vec<&str> = pairs
                .iter()
                .filter(|(key, _)| key == name)
                .map(|(_, value)| value.as_str())
                .collect();
            // A part of the nested v1 `search` object, in bracket notation (see "Known
            // errors in the SDK copies" in the module doc): each value is a text of
            // the declared `search` parameter.
            if name.starts_with("search[")
                && let Some(search) = self.parameter("query", "search")
            {
                for value in values {
                    problems.extend(self.check_parameter(search, &[value], &at));
                }
                continue;
            }
            match self.parameter("query", name) {
                Some(parameter) => problems.extend(self.check_parameter(parameter, &values, &at)),
                None => problems.push(Problem {
                    at,
                    message: "not a query parameter of this operation".to_string(),
                }),
            }
        }
        for parameter in self.parameters_in("query") {
            let name = parameter["name"].as_str().unwrap_or_default();
            if parameter["required"] == true && !names.contains(name) {
                problems.push(Problem {
                    at: format!("query {name:?}"),
                    message: "required parameter is missing".to_string(),
                });
            }
        }
        problems
    }

    /// A path or query parameter's text values, read as the declared type and validated
    /// with the parameter's own keywords (`enum`, `minimum`, `items`, ...).
    fn check_parameter(&self, parameter: &Value, values: &[&str], at: &str) -> Vec<Problem> {
        let declared_type = parameter["type"].as_str().unwrap_or("string");
        let value = if declared_type == "array" {
            let format = parameter["collectionFormat"].as_str().unwrap_or("csv");
            let separator = match format {
                "ssv" => Some(' '),
                "tsv" => Some('\t'),
                "pipes" => Some('|'),
                "multi" => None,
                _ => Some(','),
            };
            if separator.is_some() && values.len() > 1 {
                return vec![repeated(at, values.len())];
            }
            let item_type = parameter["items"]["type"].as_str().unwrap_or("string");
            Value::Array(
                values
                    .iter()
                    .flat_map(|value| match separator {
                        Some(separator) => value.split(separator).collect::<Vec<_>>(),
                        None => vec![*value],
                    })
                    .map(|item| typed(item, item_type))
                    .collect(),
            )
        } else {
            let [value] = values else {
                return vec![repeated(at, values.len())];
            };
            typed(value, declared_type)
        };
        self.schemas().validate(parameter, &value, at)
    }

    fn body_parameter(&self) -> Option<&'a Value> {
        self.parameters_in("body").next()
    }

    fn check_request_body(&self, body: &Payload) -> Vec<Problem> {
        let at = "request $";
        let problem = |message: &str| {
            vec![Problem {
                at: at.to_string(),
                message: message.to_string(),
            }]
        };
        match (self.body_parameter(), body) {
            (None, Payload::Empty) => Vec::new(),
            (None, _) => problem("a body was sent; the operation takes none"),
            (Some(parameter), Payload::Empty) if parameter["required"] == true => {
                problem("the required body is missing")
            }
            (Some(_), Payload::Empty) => Vec::new(),
            (Some(_), Payload::NotJson(_)) => problem("the body is not JSON"),
            (Some(parameter), Payload::Json(value)) => {
                self.schemas().validate(&parameter["schema"], value, at)
            }
        }
    }

    fn check_response(&self, exchange: &Exchange) -> Vec<Problem> {
        let status = exchange.status;
        let responses = &self.definition["responses"];
        let mut problems = Vec::new();
        let documented = match responses
            .get(status.as_str())
            .or_else(|| responses.get("default"))
            .map(|response| self.schemas().resolve(response))
            .transpose()
        {
            Ok(documented) => documented.map(|(response, _)| response),
            Err(message) => {
                problems.push(Problem {
                    at: "status".to_string(),
                    message,
                });
                return problems;
            }
        };
        if !matches!(exchange.response_body, Payload::Empty) {
            let content_type = exchange
                .response_headers
                .get("content-type")
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default();
            if !content_type.starts_with("application/json") {
                problems.push(Problem {
                    at: "header content-type".to_string(),
                    message: format!("{content_type:?} for a body; the spec produces JSON"),
                });
            }
        }
        let schema = match documented {
            Some(response) => response.get("schema"),
            None if status.is_client_error() || status.is_server_error() => {
                Some(&*ERROR_BODY_SCHEMA)
            }
            None => {
                let listed: Vec<&String> = responses
                    .as_object()
                    .into_iter()
                    .flat_map(|responses| responses.keys())
                    .collect();
                problems.push(Problem {
                    at: "status".to_string(),
                    message: format!(
                        "{status} is not a documented response (documented: {listed:?})"
                    ),
                });
                return problems;
            }
        };
        match (schema, &exchange.response_body) {
            (None, Payload::Empty) => {}
            (None, _) => problems.push(Problem {
                at: "$".to_string(),
                message: format!("{status} is documented without a body, but one was sent"),
            }),
            (Some(_), Payload::Empty) => problems.push(Problem {
                at: "$".to_string(),
                message: "expected a JSON body, got none".to_string(),
            }),
            (Some(_), Payload::NotJson(_)) => problems.push(Problem {
                at: "$".to_string(),
                message: "the body is not JSON".to_string(),
            }),
            (Some(schema), Payload::Json(body)) => {
                problems.extend(self.schemas().validate(schema, body, "$"));
            }
        }
        problems
    }
}

/// The parameters these SDK copies get demonstrably wrong, as the full public spec
/// documents them (see "Known errors in the SDK copies" in the module doc): the
/// operationId and the parameter to check against instead of the copy's own.
static PARAMETER_CORRECTIONS: LazyLock<Vec<(&str, Value)>> = LazyLock::new(|| {
    let terms =
        json!({ "type": "array", "items": { "type": "object", "additionalProperties": true } });
    vec![
        (
            "User_Delete",
            json!({ "name": "cascade_manager", "in": "query", "type": "string" }),
        ),
        (
            "Event_Get",
            json!({
                "name": "body",
                "in": "body",
                "required": true,
                "schema": {
                    "allOf": [
                        { "$ref": "#/definitions/EventServiceTimeQuery" },
                        {
                            "type": "object",
                            "properties": {
                                "exact_match": { "type": "string" },
                                "fields": { "type": "array", "items": { "type": "string" } },
                                "limit": { "type": "integer" },
                                "q": { "type": "string" },
                                "search_after": { "type": "array", "items": {} },
                                "search_term": {
                                    "type": "object",
                                    "properties": {
                                        "and": terms,
                                        "not": terms,
                                        "or": terms
                                    }
                                },
                                "skip": { "type": "integer" },
                                "sort": { "type": "string" }
                            }
                        }
                    ]
                }
            }),
        ),
        (
            "UserState_Activate",
            json!({
                "name": "body",
                "in": "body",
                "schema": { "type": "object", "properties": { "email": {} } }
            }),
        ),
    ]
});

/// JumpCloud's error body as observed (NOTES §2, §17), for the error statuses the SDK
/// copies do not document.
static ERROR_BODY_SCHEMA: LazyLock<Value> = LazyLock::new(|| {
    json!({
        "type": "object",
        "required": ["message"],
        "properties": { "message": { "type": "string" } }
    })
});

fn repeated(at: &str, times: usize) -> Problem {
    Problem {
        at: at.to_string(),
        message: format!("sent {times} times; the spec declares a single value"),
    }
}

/// A parameter's text as the JSON value of its declared type, or the text itself when it
/// does not parse, so that validation reports "expected integer, got string".
fn typed(text: &str, declared_type: &str) -> Value {
    let parsed = match declared_type {
        "integer" => text.parse::<i64>().ok().map(Value::from),
        "number" => text.parse::<f64>().ok().map(Value::from),
        "boolean" => text.parse::<bool>().ok().map(Value::from),
        _ => None,
    };
    parsed.unwrap_or_else(|| Value::String(text.to_string()))
}

/// Checks every exchange against the spec and panics with one line per failure, after
/// leaving out the `not_in_spec` routes (method, path). The operations exercised must be
/// exactly `expected_operations`, so a case and its entry in the list go together.
pub fn assert_conform(
    exchanges: &[Exchange],
    not_in_spec: &[(&str, &str)],
    expected_operations: &[&str],
) {
    let spec = spec();
    let mut failures = Vec::new();
    let mut exercised = BTreeSet::new();
    for exchange in exchanges {
        let route = (exchange.method.as_str(), exchange.path.as_str());
        if not_in_spec.contains(&route) {
            continue;
        }
        exercised.extend(spec.check(exchange, &mut failures));
    }
    let expected: BTreeSet<String> = expected_operations
        .iter()
        .map(|id| id.to_string())
        .collect();
    if exercised != expected {
        failures.push(format!(
            "operations exercised {:?} differ from the list {:?}: missing {:?}, not listed {:?}",
            exercised,
            expected,
            expected.difference(&exercised).collect::<Vec<_>>(),
            exercised.difference(&expected).collect::<Vec<_>>(),
        ));
    }
    if !failures.is_empty() {
        panic!(
            "{} exchanges checked, spec failures:\n{}",
            exchanges.len(),
            summarize(&failures).join("\n")
        );
    }
}

/// One line per distinct failure: the same fault at other list indices (`[3]`, `[7]`) or
/// on other pages is counted, not repeated.
fn summarize(failures: &[String]) -> Vec<String> {
    let mut distinct: Vec<(String, &String, usize)> = Vec::new();
    for failure in failures {
        let shape = without_indices(failure);
        match distinct.iter_mut().find(|(seen, _, _)| *seen == shape) {
            Some((_, _, count)) => *count += 1,
            None => distinct.push((shape, failure, 1)),
        }
    }
    distinct
        .into_iter()
        .map(|(_, first, count)| match count {
            1 => first.clone(),
            _ => format!("{first} (and {} more like it)", count - 1),
        })
        .collect()
}

/// `$.results[3].email` → `$.results[].email`.
fn without_indices(failure: &str) -> String {
    let mut shape = String::with_capacity(failure.len());
    let mut in_index = false;
    for c in failure.chars() {
        match c {
            '[' => in_index = true,
            ']' => in_index = false,
            c if in_index && c.is_ascii_digit() => continue,
            _ => {}
        }
        shape.push(c);
    }
    shape
}
