-- 2000 users, the same rows every time (the uuid is derived from the
-- name), so that runs compare.  Safe to run again.
INSERT INTO users (user_id, username, email)
SELECT md5('user' || n)::uuid::text, 'user' || n, 'user' || n || '@example.com'
FROM generate_series(1, 2000) AS n
ON CONFLICT DO NOTHING;

ANALYZE users;
