-- The operational store (paragon.ops): data written by many requests while the site runs.
-- Times are UTC text 'YYYY-MM-DD HH:MM:SS[.ffffff]' (sortable), dates 'YYYY-MM-DD'.
CREATE TABLE IF NOT EXISTS ops_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS users (
    user_name     TEXT PRIMARY KEY,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    active        BOOLEAN NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT
);

CREATE TABLE IF NOT EXISTS sessions (
    session_hash TEXT PRIMARY KEY,
    user_name    TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_seen    TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_by_user ON sessions (user_name);

CREATE TABLE IF NOT EXISTS audit_log (
    audit_id  INTEGER PRIMARY KEY AUTOINCREMENT,
    logged_at TEXT NOT NULL,
    actor     TEXT,
    action    TEXT NOT NULL,
    target    TEXT,
    detail    TEXT,
    address   TEXT,
    repeats   INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS audit_by_action_address ON audit_log (action, address, logged_at);

CREATE TABLE IF NOT EXISTS login_attempts (
    attempt_id   INTEGER PRIMARY KEY AUTOINCREMENT,
    attempted_at TEXT NOT NULL,
    user_name    TEXT NOT NULL,
    address      TEXT NOT NULL,
    success      BOOLEAN
);
CREATE INDEX IF NOT EXISTS login_attempts_by_time ON login_attempts (attempted_at);

CREATE TABLE IF NOT EXISTS priorities (
    priority_id INTEGER PRIMARY KEY AUTOINCREMENT,
    area_type   TEXT NOT NULL,
    area_id     TEXT NOT NULL,
    issue       TEXT NOT NULL,
    action      TEXT NOT NULL,
    opened_on   TEXT NOT NULL,
    status      TEXT NOT NULL,
    result      TEXT,
    closed_on   TEXT,
    updated_by  TEXT,
    updated_at  TEXT
);

CREATE TABLE IF NOT EXISTS consultation_entries (
    entry_id    INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at TEXT NOT NULL,
    area_type   TEXT,
    area_id     TEXT,
    theme       TEXT,
    body        TEXT NOT NULL,
    source      TEXT
);

CREATE TABLE IF NOT EXISTS jobs (
    job_id      INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT NOT NULL,
    status      TEXT NOT NULL,
    created_by  TEXT,
    created_at  TEXT NOT NULL,
    started_at  TEXT,
    finished_at TEXT,
    progress    REAL,
    log         TEXT,
    result      TEXT
);

-- Breaks in recording practice recorded by analysts (paragon.measures.breaks): control charts
-- start a new segment at `month` (YYYY-MM) for `measure` (NULL: every measure).
CREATE TABLE IF NOT EXISTS chart_breaks (
    break_id INTEGER PRIMARY KEY AUTOINCREMENT,
    measure  TEXT,
    month    TEXT NOT NULL,
    reason   TEXT NOT NULL,
    added_by TEXT,
    added_at TEXT NOT NULL
);
