SELECT * FROM "users" ORDER BY user_id LIMIT 100;
