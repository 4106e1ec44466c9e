-- The role the workers log in as: it may read users and nothing else (no
-- superuser, no write, no CREATE).  Safe to run again.  On another
-- server, run this file as a superuser and put users_fcgi_reader (with a
-- password if the server asks for one) in DATABASE_URL.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'users_fcgi_reader') THEN
        CREATE ROLE users_fcgi_reader LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
    END IF;
END
$$;
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM users_fcgi_reader;
GRANT CONNECT ON DATABASE users TO users_fcgi_reader;
GRANT USAGE ON SCHEMA public TO users_fcgi_reader;
GRANT SELECT ON users TO users_fcgi_reader;
