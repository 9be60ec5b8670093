//! v1 list parameters as JumpCloud reads them: `limit` (default 10, at most 100), `skip`,
//! space-separated `sort` and `fields`, `filter=<field>:$<op>:<value>` and the nested
//! `search[searchTerm]` / `search[fields][]` object (NOTES §3, §4).

use std::cmp::Ordering;

use axum::Json;
use axum::http::{HeaderMap, HeaderValue};
use serde_json::{Value, json};

use super::error::SimError;
use super::world::Object;

const MAX_LIMIT: usize = 100;

/// A v2 list answer: the page as a bare array, the total in `x-total-count`.
pub(crate) fn v2_page(total: usize, page: Vec<Value>) -> (HeaderMap, Json<Value>) {
    let mut headers = HeaderMap::new();
    headers.insert("x-total-count", HeaderValue::from(total));
    (headers, Json(Value::Array(page)))
}

/// The value of the query parameter `name`, if sent.
pub(crate) fn query_param(raw: Option<&str>, name: &str) -> Option<String> {
    url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

pub(crate) struct ListQuery {
    limit: usize,
    skip: usize,
    sort: Vec<(String, bool)>,
    fields: Option<Vec<String>>,
    all_of: Vec<Filter>,
    any_of: Vec<Filter>,
    search: Search,
}

/// Partial, case-insensitive text search: an object matches when any of `fields`
/// (every text field when none are named) contains any of `terms`.
#[derive(Default)]
struct Search {
    terms: Vec<String>,
    fields: Vec<String>,
}

struct Filter {
    field: String,
    op: Op,
    value: String,
}

#[derive(Clone, Copy)]
enum Op {
    Eq,
    Ne,
    Gt,
    Gte,
    Lt,
    Lte,
}

impl ListQuery {
    pub fn parse(raw: Option<&str>) -> Result<Self, SimError> {
        let mut query = ListQuery {
            limit: 10,
            skip: 0,
            sort: Vec::new(),
            fields: None,
            all_of: Vec::new(),
            any_of: Vec::new(),
            search: Search::default(),
        };
        for (key, value) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
            match key.as_ref() {
                "limit" => {
                    let limit: usize = value.parse().map_err(|_| {
                        SimError::bad_request(format!(
                            "request parameter \"limit\" is not a valid integer: {value}"
                        ))
                    })?;
                    if limit > MAX_LIMIT {
                        return Err(SimError::bad_request(
                            "request parameter \"limit\" exceeds maximum value of 100",
                        ));
                    }
                    query.limit = limit;
                }
                "skip" => {
                    query.skip = value.parse().map_err(|_| {
                        SimError::bad_request(format!("request parameter \"skip\" is not a valid non-negative integer: {value}"))
                    })?;
                }
                "sort" => {
                    query.sort = value
                        .split_whitespace()
                        .map(|field| match field.strip_prefix('-') {
                            Some(name) => (name.to_string(), true),
                            None => (field.to_string(), false),
                        })
                        .collect();
                }
                "fields" => {
                    query.fields = Some(value.split_whitespace().map(str::to_string).collect());
                }
                "filter" => query.all_of.push(Filter::parse(&value)?),
                // The nested object arrives in the bracket notation of a query string:
                // `search[searchTerm]=a` or `search[searchTerm][]=a&search[searchTerm][]=b`.
                key if key.starts_with("search[searchTerm]") => {
                    query.search.terms.push(value.to_lowercase());
                }
                key if key.starts_with("search[fields]") => {
                    query.search.fields.push(value.to_string());
                }
                key if key.starts_with("filter[or]") => query.any_of.push(Filter::parse(&value)?),
                key if key.starts_with("filter[") => query.all_of.push(Filter::parse(&value)?),
                _ => {}
            }
        }
        Ok(query)
    }

    /// v2 list parameters: like v1 but `sort` and `fields` are comma-separated, filter
    /// operators have no `$` (`name:eq:Sales`), and `sort` is limited to the fields the
    /// route accepts.
    pub fn parse_v2(raw: Option<&str>, sortable: &[&str]) -> Result<Self, SimError> {
        let mut v1_style = String::new();
        for (key, value) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
            let value = match key.as_ref() {
                "sort" => {
                    for field in value.split(',').map(|f| f.trim().trim_start_matches('-')) {
                        if !sortable.contains(&field) {
                            return Err(SimError::bad_request(format!(
                                "invalid sort field: {field}"
                            )));
                        }
                    }
                    value.replace(',', " ")
                }
                "fields" => value.replace(',', " "),
                "filter" => match value.split_once(':') {
                    Some((field, rest)) => format!("{field}:${rest}"),
                    None => value.to_string(),
                },
                _ => value.to_string(),
            };
            v1_style.push_str(
                &url::form_urlencoded::Serializer::new(String::new())
                    .append_pair(&key, &value)
                    .finish(),
            );
            v1_style.push('&');
        }
        Self::parse(Some(&v1_style))
    }

    /// Parameters of the v2 graph traversals (`/usergroups/{id}/membership`,
    /// `/users/{id}/memberof`, `/users/{id}/systems`): v2 rules, filtering on `object_id`
    /// and `type` only (NOTES §4), where `object_id` is the returned object's `id`.
    pub fn parse_graph(raw: Option<&str>) -> Result<Self, SimError> {
        let mut renamed = url::form_urlencoded::Serializer::new(String::new());
        for (key, value) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
            if key == "filter" {
                let field = value.split(':').next().unwrap_or_default();
                if field != "object_id" && field != "type" {
                    return Err(SimError::bad_request(format!(
                        "invalid filter field: {field}"
                    )));
                }
                let filter = match value.strip_prefix("object_id") {
                    Some(rest) => format!("id{rest}"),
                    None => value.to_string(),
                };
                renamed.append_pair(&key, &filter);
            } else {
                renamed.append_pair(&key, &value);
            }
        }
        Self::parse_v2(Some(&renamed.finish()), &["id", "type"])
    }

    /// Filters, sorts and pages `objects` into a v1 `{totalCount, results}` envelope.
    pub fn respond<'a>(&self, objects: impl Iterator<Item = &'a Object>) -> Value {
        let (total, results) = self.select(objects);
        json!({ "totalCount": total, "results": results })
    }

    /// Filters, sorts and pages `objects` into a v2 list answer.
    pub fn respond_v2<'a>(
        &self,
        objects: impl Iterator<Item = &'a Object>,
    ) -> (HeaderMap, Json<Value>) {
        let (total, page) = self.select(objects);
        v2_page(total, page)
    }

    /// Filters, sorts and pages `objects`: the number that matched, and the page.
    pub fn select<'a>(&self, objects: impl Iterator<Item = &'a Object>) -> (usize, Vec<Value>) {
        let mut matching: Vec<&Object> = objects
            .filter(|object| self.all_of.iter().all(|filter| filter.matches(object)))
            .filter(|object| {
                self.any_of.is_empty() || self.any_of.iter().any(|filter| filter.matches(object))
            })
            .filter(|object| self.search.matches(object))
            .collect();
        if !self.sort.is_empty() {
            matching.sort_by(|a, b| {
                self.sort
                    .iter()
                    .map(|(field, descending)| {
                        let order = compare(a.get(field), b.get(field));
                        if *descending { order.reverse() } else { order }
                    })
                    .find(|order| order.is_ne())
                    .unwrap_or(Ordering::Equal)
            });
        }
        let total = matching.len();
        let results: Vec<Value> = matching
            .into_iter()
            .skip(self.skip)
            .take(self.limit)
            .map(|object| Value::Object(self.project(object)))
            .collect();
        (total, results)
    }

    fn project(&self, object: &Object) -> Object {
        match &self.fields {
            None => object.clone(),
            Some(fields) => object
                .iter()
                .filter(|(key, _)| *key == "_id" || fields.iter().any(|field| field == *key))
                .map(|(key, value)| (key.clone(), value.clone()))
                .collect(),
        }
    }
}

impl Search {
    fn matches(&self, object: &Object) -> bool {
        if self.terms.is_empty() {
            return true;
        }
        let contains_a_term = |value: &Value| {
            value.as_str().is_some_and(|text| {
                let text = text.to_lowercase();
                self.terms.iter().any(|term| text.contains(term.as_str()))
            })
        };
        if self.fields.is_empty() {
            object.values().any(contains_a_term)
        } else {
            self.fields
                .iter()
                .filter_map(|field| object.get(field))
                .any(contains_a_term)
        }
    }
}

impl Filter {
    fn parse(text: &str) -> Result<Self, SimError> {
        let invalid = || SimError::bad_request(format!("invalid filter: {text}"));
        let (field, rest) = text.split_once(':').ok_or_else(invalid)?;
        let (op, value) = rest.split_once(':').ok_or_else(invalid)?;
        let op = match op {
            "$eq" => Op::Eq,
            "$ge" => Op::Gte,
            "$le" => Op::Lte,
            "$ne" => Op::Ne,
            "$gt" => Op::Gt,
            "$gte" => Op::Gte,
            "$lt" => Op::Lt,
            "$lte" => Op::Lte,
            _ => return Err(invalid()),
        };
        Ok(Filter {
            field: field.to_string(),
            op,
            value: value.to_string(),
        })
    }

    fn matches(&self, object: &Object) -> bool {
        let actual = object.get(&self.field);
        // The filter value is text; read it as the stored field's type (values are
        // case-sensitive, as JumpCloud documents).
        let wanted = match actual {
            Some(Value::Bool(_)) => self.value.parse().map(Value::Bool).unwrap_or(Value::Null),
            Some(Value::Number(_)) => self
                .value
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number)
                .unwrap_or(Value::Null),
            _ if self.value == "null" => Value::Null,
            _ => Value::String(self.value.clone()),
        };
        let order = compare(actual, Some(&wanted));
        match self.op {
            Op::Eq => order.is_eq(),
            Op::Ne => order.is_ne(),
            Op::Gt => order.is_gt(),
            Op::Gte => order.is_ge(),
            Op::Lt => order.is_lt(),
            Op::Lte => order.is_le(),
        }
    }
}

/// Orders JSON values of one field; missing and null sort first.
fn compare(a: Option<&Value>, b: Option<&Value>) -> Ordering {
    match (a.unwrap_or(&Value::Null), b.unwrap_or(&Value::Null)) {
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Less,
        (_, Value::Null) => Ordering::Greater,
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(Ordering::Equal),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (x, y) => x.to_string().cmp(&y.to_string()),
    }
}
