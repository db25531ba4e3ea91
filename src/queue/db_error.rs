//! Turns driver errors into the two kinds callers act on: `Unavailable` (the database cannot be
//! reached, is restarting, or timed out: answer 503 and try again later) and `Other` (a bug or
//! bad data: retrying will not help). The HTTP edge's 503 + `Retry-After` depends on getting
//! this split right, so it is decided here once for both backends.

use super::StoreError;

/// PostgreSQL SQLSTATEs that mean "try again later" rather than "this request is wrong".
fn pg_transient(code: &str) -> bool {
    // 08: connection exception; 53: insufficient resources (too many connections, disk full);
    // 57P01-03: admin/crash shutdown, cannot connect now (starting up); 57014: statement timeout;
    // 40001/40P01: serialization failure / deadlock (the transaction was rolled back whole);
    // 55P03: lock not available.
    code.starts_with("08")
        || code.starts_with("53")
        || code.starts_with("57P")
        || matches!(code, "57014" | "40001" | "40P01" | "55P03")
}

/// SQLite result codes (primary code = extended & 0xff) that mean "try again later".
fn sqlite_transient(code: &str) -> bool {
    let Ok(extended) = code.parse::<i32>() else {
        return false;
    };
    // SQLITE_BUSY 5, SQLITE_LOCKED 6, SQLITE_IOERR 10, SQLITE_FULL 13, SQLITE_CANTOPEN 14,
    // SQLITE_PROTOCOL 15.
    matches!(extended & 0xff, 5 | 6 | 10 | 13 | 14 | 15)
}

/// Classifies a driver error.
pub(crate) fn from_sqlx(e: sqlx::Error) -> StoreError {
    let transient = match &e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::BeginFailed => true,
        sqlx::Error::Database(db) => match db.code() {
            Some(code)
                if db
                    .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
                    .is_some() =>
            {
                pg_transient(&code)
            }
            Some(code) => sqlite_transient(&code),
            None => false,
        },
        _ => false,
    };
    if transient {
        StoreError::Unavailable(e.to_string())
    } else {
        StoreError::Other(e.to_string())
    }
}

/// Classifies an error of the SQLite write thread's driver (busy, I/O, disk full: try later).
pub(crate) fn from_rusqlite(e: rusqlite::Error) -> StoreError {
    let transient = match &e {
        rusqlite::Error::SqliteFailure(f, _) => sqlite_transient(&f.extended_code.to_string()),
        _ => false,
    };
    if transient {
        StoreError::Unavailable(e.to_string())
    } else {
        StoreError::Other(e.to_string())
    }
}

/// Migration failures: a lost connection is still "unavailable" (a replica may simply retry
/// its start), anything else (checksum mismatch, bad SQL) is fatal.
pub(crate) fn from_migrate(e: sqlx::migrate::MigrateError) -> StoreError {
    match e {
        sqlx::migrate::MigrateError::Execute(inner)
        | sqlx::migrate::MigrateError::ExecuteMigration(inner, _) => from_sqlx(inner),
        other => StoreError::Other(format!("migration failed: {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pool_timeout_is_unavailable() {
        assert!(matches!(
            from_sqlx(sqlx::Error::PoolTimedOut),
            StoreError::Unavailable(_)
        ));
    }

    #[test]
    fn a_missing_row_is_not_unavailable() {
        assert!(matches!(
            from_sqlx(sqlx::Error::RowNotFound),
            StoreError::Other(_)
        ));
    }

    #[test]
    fn a_busy_write_thread_is_unavailable_and_a_constraint_is_not() {
        let busy = rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(5), None);
        assert!(matches!(from_rusqlite(busy), StoreError::Unavailable(_)));
        let unique = rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(2067), None);
        assert!(matches!(from_rusqlite(unique), StoreError::Other(_)));
    }

    #[test]
    fn connection_and_shutdown_sqlstates_are_transient() {
        for code in [
            "08006", "08001", "57P01", "57P03", "57014", "53300", "40P01",
        ] {
            assert!(pg_transient(code), "{code}");
        }
        for code in ["23505", "42P01", "22P02"] {
            assert!(!pg_transient(code), "{code}");
        }
    }

    #[test]
    fn busy_and_io_sqlite_codes_are_transient_by_primary_code() {
        assert!(sqlite_transient("5"));
        assert!(sqlite_transient("517")); // SQLITE_BUSY_SNAPSHOT
        assert!(sqlite_transient("266")); // SQLITE_IOERR_READ
        assert!(!sqlite_transient("19")); // SQLITE_CONSTRAINT
        assert!(!sqlite_transient("2067")); // SQLITE_CONSTRAINT_UNIQUE
        assert!(!sqlite_transient("x"));
    }
}
