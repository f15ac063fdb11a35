-- Paragon warehouse schema, version 1. Table and column names are stable: analysts query them.
-- Documented column by column in docs/warehouse.md.

CREATE SEQUENCE IF NOT EXISTS ingest_id_seq START 1;

CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);

CREATE TABLE IF NOT EXISTS ingests (
    ingest_id        BIGINT PRIMARY KEY,
    path             VARCHAR NOT NULL,
    file_name        VARCHAR NOT NULL,
    sha256           VARCHAR NOT NULL,
    kind             VARCHAR NOT NULL,
    adapter          VARCHAR,
    started_at       TIMESTAMP NOT NULL,
    finished_at      TIMESTAMP,
    rows_read        BIGINT NOT NULL,
    rows_loaded      BIGINT NOT NULL,
    rows_quarantined BIGINT NOT NULL,
    rows_duplicate   BIGINT NOT NULL,
    status           VARCHAR NOT NULL,
    message          VARCHAR
);

CREATE TABLE IF NOT EXISTS quarantine (
    ingest_id   BIGINT NOT NULL,
    file_name   VARCHAR NOT NULL,
    line_number BIGINT,
    column_name VARCHAR,
    reason      VARCHAR NOT NULL,
    raw_text    VARCHAR
);

-- crimes, asb_incidents, outcomes and stop_search carry no primary-key index (it was most of the
-- file and of the ingest time): keys are unique by construction, checked by the ingest against
-- the rows of the same force and month only (paragon.ingest.policeuk.bulk), which loaded_months
-- lists. Warehouses made before keep their primary keys; both work.
CREATE TABLE IF NOT EXISTS loaded_months (
    table_name VARCHAR NOT NULL,
    force      VARCHAR NOT NULL,
    month      DATE NOT NULL,
    PRIMARY KEY (table_name, force, month)
);

-- The police.uk crime types each points file holds, by force and month (paragon.ingest.points):
-- a points file of one crime type covers that crime type's months, not every measure's.
CREATE TABLE IF NOT EXISTS points_categories (
    ingest_id BIGINT NOT NULL,
    force     VARCHAR NOT NULL,
    month     DATE NOT NULL,
    category  VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS crimes (
    crime_key          VARCHAR NOT NULL,
    source             VARCHAR NOT NULL,
    force              VARCHAR NOT NULL,
    crime_reference    VARCHAR,
    month              DATE NOT NULL,
    recorded_date      DATE,
    offence_code       VARCHAR,
    offence_group      VARCHAR,
    offence_subgroup   VARCHAR,
    category           VARCHAR,
    is_hate            BOOLEAN,
    is_business        BOOLEAN,
    is_domestic        BOOLEAN,
    lsoa_code          VARCHAR,
    lsoa_name          VARCHAR,
    neighbourhood_id   VARCHAR,
    lpu_id             VARCHAR,
    location           VARCHAR,
    longitude          DOUBLE,
    latitude           DOUBLE,
    bng_x              DOUBLE,
    bng_y              DOUBLE,
    reported_by        VARCHAR,
    falls_within       VARCHAR,
    last_outcome       VARCHAR,
    outcome_type       VARCHAR,
    outcome_date       DATE,
    context            VARCHAR,
    ingest_id          BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS asb_incidents (
    asb_key          VARCHAR NOT NULL,
    source           VARCHAR NOT NULL,
    force            VARCHAR NOT NULL,
    month            DATE NOT NULL,
    reported_by      VARCHAR,
    falls_within     VARCHAR,
    lsoa_code        VARCHAR,
    lsoa_name        VARCHAR,
    neighbourhood_id VARCHAR,
    lpu_id           VARCHAR,
    location         VARCHAR,
    longitude        DOUBLE,
    latitude         DOUBLE,
    bng_x            DOUBLE,
    bng_y            DOUBLE,
    context          VARCHAR,
    ingest_id        BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS outcomes (
    outcome_key     VARCHAR NOT NULL,
    crime_reference VARCHAR NOT NULL,
    force           VARCHAR NOT NULL,
    month           DATE NOT NULL,
    reported_by     VARCHAR,
    falls_within    VARCHAR,
    longitude       DOUBLE,
    latitude        DOUBLE,
    location        VARCHAR,
    lsoa_code       VARCHAR,
    lsoa_name       VARCHAR,
    outcome_text    VARCHAR NOT NULL,
    outcome_type    VARCHAR,
    ingest_id       BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS stop_search (
    stop_key                    VARCHAR NOT NULL,
    force                       VARCHAR NOT NULL,
    search_type                 VARCHAR,
    occurred_at                 TIMESTAMPTZ,
    month                       DATE,
    part_of_policing_operation  BOOLEAN,
    policing_operation          VARCHAR,
    longitude                   DOUBLE,
    latitude                    DOUBLE,
    bng_x                       DOUBLE,
    bng_y                       DOUBLE,
    gender                      VARCHAR,
    age_range                   VARCHAR,
    self_defined_ethnicity      VARCHAR,
    officer_defined_ethnicity   VARCHAR,
    legislation                 VARCHAR,
    object_of_search            VARCHAR,
    outcome                     VARCHAR,
    outcome_linked_to_object    BOOLEAN,
    removal_of_outer_clothing   BOOLEAN,
    ingest_id                   BIGINT NOT NULL
);

-- Residents by census ethnic group, as a force supplies them (docs/formats.md#residents): the
-- denominators of stop-and-search rates. area_code '' is the whole force area.
CREATE TABLE IF NOT EXISTS residents (
    force        VARCHAR NOT NULL,
    area_code    VARCHAR NOT NULL,
    area_name    VARCHAR NOT NULL,
    ethnic_group VARCHAR NOT NULL,
    residents    BIGINT NOT NULL,
    source       VARCHAR NOT NULL,
    PRIMARY KEY (force, area_code, ethnic_group)
);

CREATE TABLE IF NOT EXISTS survey_responses (
    response_key   VARCHAR PRIMARY KEY,
    survey         VARCHAR NOT NULL,
    respondent_id  VARCHAR NOT NULL,
    interview_date DATE NOT NULL,
    lpu_id         VARCHAR,
    lsoa_code      VARCHAR,
    victim_type    VARCHAR,
    question_id    VARCHAR NOT NULL,
    answer         VARCHAR NOT NULL,
    weight         DOUBLE NOT NULL,
    ingest_id      BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS calls (
    call_key       VARCHAR PRIMARY KEY,
    force          VARCHAR NOT NULL,
    call_reference VARCHAR,
    received_at    TIMESTAMP NOT NULL,
    arrived_at     TIMESTAMP,
    call_type      VARCHAR,
    priority       VARCHAR,
    lpu_id         VARCHAR,
    lsoa_code      VARCHAR,
    ingest_id      BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS geography (
    lsoa_code        VARCHAR PRIMARY KEY,
    lsoa_name        VARCHAR NOT NULL,
    neighbourhood_id VARCHAR NOT NULL,
    neighbourhood_name VARCHAR NOT NULL,
    la_code          VARCHAR NOT NULL,
    la_name          VARCHAR NOT NULL,
    lpu_id           VARCHAR NOT NULL,
    force            VARCHAR NOT NULL,
    latitude         DOUBLE,
    longitude        DOUBLE,
    bng_x            DOUBLE,
    bng_y            DOUBLE,
    population       BIGINT
);

-- Users, sessions, the audit log, login attempts and local priorities are operational data: they
-- live in the operational store (paragon.ops, docs/architecture.md), not in the warehouse.

-- Web: uploaded plans (paragon.web).
CREATE SEQUENCE IF NOT EXISTS plan_version_seq START 1;

CREATE TABLE IF NOT EXISTS plan_versions (
    version_id  BIGINT PRIMARY KEY,
    plan_id     VARCHAR NOT NULL,
    source_name VARCHAR NOT NULL,
    yaml_text   VARCHAR NOT NULL,
    uploaded_by VARCHAR NOT NULL,
    uploaded_at TIMESTAMP NOT NULL,
    active      BOOLEAN NOT NULL
);

-- Facts about this warehouse (for example demo = true for the synthetic demo).
CREATE TABLE IF NOT EXISTS meta (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);
