-- The least-privilege role of the errorguard_default connection (docs/security.md).
-- Run as the database owner AFTER `airflow db migrate` (the grants loop over existing tables);
-- idempotent, so it is safe to re-run after an upgrade that adds tables.
-- docker-compose.airflow.yml runs it in the errorguard-role service; change the password there.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'errorguard_worker') THEN
    CREATE ROLE errorguard_worker LOGIN PASSWORD 'errorguard';
  END IF;
END $$;
GRANT CONNECT, TEMPORARY ON DATABASE airflow TO errorguard_worker;  -- TEMPORARY: bulk loads stage in a temp table
GRANT USAGE ON SCHEMA public TO errorguard_worker;
GRANT SELECT ON public.alembic_version_errorguard TO errorguard_worker;  -- test_connection() reads it
DO $$
DECLARE name text;
BEGIN
  FOR name IN SELECT tablename FROM pg_tables
              WHERE schemaname = 'public' AND tablename LIKE 'errorguard\_%' LOOP
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON public.%I TO errorguard_worker', name);
  END LOOP;
  FOR name IN SELECT sequencename FROM pg_sequences
              WHERE schemaname = 'public' AND sequencename LIKE 'errorguard\_%' LOOP
    EXECUTE format('GRANT USAGE, SELECT ON SEQUENCE public.%I TO errorguard_worker', name);
  END LOOP;
END $$;
