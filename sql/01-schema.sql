-- The seed benchmark's table.  Safe to run again.
CREATE TABLE IF NOT EXISTS users (
    user_id  TEXT PRIMARY KEY,      -- a uuid, as text
    username TEXT NOT NULL UNIQUE,
    email    TEXT NOT NULL UNIQUE
);
