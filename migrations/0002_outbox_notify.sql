-- Wake outbox workers in every instance when rows are queued: one NOTIFY per statement, delivered on commit.
CREATE OR REPLACE FUNCTION loopdesk_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('loopdesk_outbox', '');
  RETURN NULL;
END $$;
--> statement-breakpoint
DROP TRIGGER IF EXISTS outbox_notify ON outbox;
--> statement-breakpoint
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION loopdesk_outbox_notify();
