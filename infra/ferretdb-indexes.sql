-- Indexes FerretDB v1's own queries can use, on its PostgreSQL backend.
--
-- FerretDB pushes an equality filter down as `_jsonb->$1 @> $2`, but indexes a field
-- as `btree ((_jsonb->'field'))`, which serves `=` and not `@>`: every find by `_id`
-- (or by any indexed field) scans its table. So each index FerretDB creates gets a
-- GIN twin on the same leading expression, which serves `@>` (written at once, not
-- through a pending list every lookup would scan); and every statement is
-- planned with its parameters (a generic plan of `_jsonb->$1` matches no index).
-- Idempotent: run before each start of FerretDB, it also twins indexes made before.

ALTER DATABASE postgres SET plan_cache_mode = force_custom_plan;

CREATE OR REPLACE FUNCTION ferretdb_twin_name(index_name text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT left(index_name, 59) || '_gin' $$;

CREATE OR REPLACE PROCEDURE ferretdb_twin(index_oid oid)
LANGUAGE plpgsql AS $$
DECLARE
    leading_key text := pg_get_indexdef(index_oid, 1, true);
    source record;
BEGIN
    SELECT index_class.relname AS index_name, table_class.relname AS table_name,
           namespace.nspname AS schema_name
      INTO source
      FROM pg_index
      JOIN pg_class AS index_class ON index_class.oid = pg_index.indexrelid
      JOIN pg_class AS table_class ON table_class.oid = pg_index.indrelid
      JOIN pg_namespace AS namespace ON namespace.oid = table_class.relnamespace
     WHERE pg_index.indexrelid = index_oid;
    IF leading_key NOT LIKE '(_jsonb -> %'
       OR source.index_name LIKE '%\_gin'
       OR source.table_name LIKE '\_ferretdb\_%' THEN
        RETURN;
    END IF;
    EXECUTE format(
        'CREATE INDEX IF NOT EXISTS %I ON %I.%I USING gin ((%s) jsonb_path_ops) WITH (fastupdate = off)',
        ferretdb_twin_name(source.index_name), source.schema_name, source.table_name,
        leading_key
    );
END $$;

CREATE OR REPLACE FUNCTION ferretdb_twin_created() RETURNS event_trigger
LANGUAGE plpgsql AS $$
DECLARE
    created record;
BEGIN
    FOR created IN
        SELECT objid FROM pg_event_trigger_ddl_commands()
         WHERE command_tag = 'CREATE INDEX' AND object_type = 'index'
    LOOP
        CALL ferretdb_twin(created.objid);
    END LOOP;
END $$;

CREATE OR REPLACE FUNCTION ferretdb_drop_twin() RETURNS event_trigger
LANGUAGE plpgsql AS $$
DECLARE
    dropped record;
BEGIN
    FOR dropped IN
        SELECT schema_name, object_name FROM pg_event_trigger_dropped_objects()
         WHERE object_type = 'index' AND object_name NOT LIKE '%\_gin'
    LOOP
        EXECUTE format(
            'DROP INDEX IF EXISTS %I.%I', dropped.schema_name,
            ferretdb_twin_name(dropped.object_name)
        );
    END LOOP;
END $$;

DROP EVENT TRIGGER IF EXISTS ferretdb_twin_created;
CREATE EVENT TRIGGER ferretdb_twin_created ON ddl_command_end
    WHEN TAG IN ('CREATE INDEX') EXECUTE FUNCTION ferretdb_twin_created();

DROP EVENT TRIGGER IF EXISTS ferretdb_drop_twin;
CREATE EVENT TRIGGER ferretdb_drop_twin ON sql_drop
    WHEN TAG IN ('DROP INDEX') EXECUTE FUNCTION ferretdb_drop_twin();

DO $$
DECLARE
    existing record;
BEGIN
    FOR existing IN SELECT indexrelid FROM pg_index LOOP
        CALL ferretdb_twin(existing.indexrelid);
    END LOOP;
END $$;
