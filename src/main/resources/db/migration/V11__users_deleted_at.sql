-- Account deletion marks the (anonymised) user row. Expand-only: a nullable column the previous release neither
-- reads nor writes, so blue and green keep sharing the schema during a switch.
ALTER TABLE users ADD COLUMN deleted_at DATETIME(6) NULL;
