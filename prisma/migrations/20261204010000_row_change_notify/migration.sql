-- Announces every committed change of an application table on the `row_changes` channel, so each process that
-- keeps rows in memory (the item cache) forgets them when another process (a replica, a maintenance script)
-- changed the database. PostgreSQL delivers notifications at commit, folds identical ones of one transaction
-- into one, and a rolled-back transaction sends none. Statement-level: one notification per statement, however
-- many rows it touched. The payload is the table name (for diagnostics; listeners forget everything).
CREATE FUNCTION "notify_row_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('row_changes', TG_TABLE_NAME);
    RETURN NULL;
END;
$$;

-- Every table of the schema but the migrations ledger; a test checks that each table has its trigger, so a
-- table added by a later migration must add one too.
DO $$
DECLARE
    t TEXT;
BEGIN
    FOR t IN
        SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename <> '_prisma_migrations'
    LOOP
        EXECUTE format(
            'CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION "notify_row_change"()',
            t || '_notify_change', t);
    END LOOP;
END;
$$;
