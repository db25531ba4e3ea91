//! Admin filters turned into SQL. Each set filter adds a fixed `column = placeholder` fragment
//! (caller values are always bound, never spliced), so the query planner sees plain equality
//! and can use the listing indexes instead of an `(? IS NULL OR …)` scan. The state is the one
//! exception: it is written as a literal from [`JobState::as_str`](crate::queue::JobState::as_str) (a fixed set of words), as
//! both databases only use a partial index (`WHERE state = 'dead'`) for a literal state.

use super::JobFilter;

/// A value to bind, in placeholder order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Bind {
    Text(String),
    Int(i64),
}

/// Which placeholder syntax the backend uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// `?1, ?2, …`
    Sqlite,
    /// `$1, $2, …`
    Postgres,
}

/// `WHERE …` (or an empty string) and its values.
pub(crate) fn where_clause(filter: &JobFilter, dialect: Dialect) -> (String, Vec<Bind>) {
    let mut parts = Vec::new();
    let mut binds = Vec::new();
    let mut conditions = Vec::new();
    let mut add = |column: &str, op: &str, value: Bind| {
        binds.push(value);
        let n = binds.len();
        let ph = match dialect {
            Dialect::Sqlite => format!("?{n}"),
            Dialect::Postgres => format!("${n}"),
        };
        conditions.push(format!("{column} {op} {ph}"));
    };
    if let Some(state) = filter.state {
        parts.push(format!("state = '{}'", state.as_str()));
    }
    if let Some(vendor) = &filter.vendor {
        add("vendor", "=", Bind::Text(vendor.clone()));
    }
    if let Some(order) = &filter.order_id {
        add("order_id", "=", Bind::Text(order.clone()));
    }
    if let Some(before) = filter.before_id {
        add("id", "<", Bind::Int(before));
    }
    parts.extend(conditions);
    if parts.is_empty() {
        (String::new(), binds)
    } else {
        (format!("WHERE {}", parts.join(" AND ")), binds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::JobState;

    #[test]
    fn an_empty_filter_has_no_where_clause() {
        let (sql, binds) = where_clause(&JobFilter::default(), Dialect::Sqlite);
        assert_eq!(sql, "");
        assert!(binds.is_empty());
    }

    #[test]
    fn every_set_filter_adds_a_bound_condition_in_order() {
        let f = JobFilter {
            state: Some(JobState::Dead),
            vendor: Some("x'; DROP TABLE jobs; --".into()),
            order_id: None,
            before_id: Some(42),
            limit: 10,
        };
        let (sql, binds) = where_clause(&f, Dialect::Postgres);
        assert_eq!(sql, "WHERE state = 'dead' AND vendor = $1 AND id < $2");
        assert_eq!(
            binds,
            vec![Bind::Text("x'; DROP TABLE jobs; --".into()), Bind::Int(42)]
        );
    }

    #[test]
    fn sqlite_placeholders_are_numbered() {
        let f = JobFilter {
            order_id: Some("o1".into()),
            ..Default::default()
        };
        assert_eq!(where_clause(&f, Dialect::Sqlite).0, "WHERE order_id = ?1");
    }
}
