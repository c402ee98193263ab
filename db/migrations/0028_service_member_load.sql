CREATE TABLE "service_member_load" (
	"tenant_id" text NOT NULL,
	"user_id" text NOT NULL,
	"open_count" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "service_member_load_tenant_id_user_id_pk" PRIMARY KEY("tenant_id","user_id")
);
--> statement-breakpoint
DROP INDEX "service_tickets_response_sla_idx";--> statement-breakpoint
DROP INDEX "service_tickets_resolution_sla_idx";--> statement-breakpoint
CREATE INDEX "service_tickets_open_idx" ON "service_tickets" USING btree ("tenant_id","created_at","id") WHERE status in ('new', 'assigned', 'in_progress', 'waiting_customer');--> statement-breakpoint
-- Room on each page for a changed row's new version, so updates that touch no indexed column (the SLA
-- scan's flags) stay heap-only (HOT) instead of adding an entry to every index.
ALTER TABLE "service_tickets" SET (fillfactor = 85);
--> statement-breakpoint
-- Each member's open tickets, kept in the writing transaction. Counter rows are always taken in
-- (tenant, user) order, so two writers never wait on each other's counters in opposite orders.
CREATE OR REPLACE FUNCTION service_member_load_insert() RETURNS trigger AS $$
BEGIN
  INSERT INTO service_member_load (tenant_id, user_id, open_count)
    SELECT tenant_id, owner_id, count(*)::int FROM added
      WHERE owner_id IS NOT NULL AND status IN ('new', 'assigned', 'in_progress', 'waiting_customer')
      GROUP BY tenant_id, owner_id ORDER BY tenant_id, owner_id
  ON CONFLICT (tenant_id, user_id)
    DO UPDATE SET open_count = service_member_load.open_count + excluded.open_count;
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER service_tickets_load_insert AFTER INSERT ON service_tickets
  REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION service_member_load_insert();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION service_member_load_update() RETURNS trigger AS $$
BEGIN
  INSERT INTO service_member_load (tenant_id, user_id, open_count)
    SELECT NEW.tenant_id, u, sum(d)::int FROM (VALUES
        (OLD.owner_id, CASE WHEN OLD.status IN ('new', 'assigned', 'in_progress', 'waiting_customer') THEN -1 ELSE 0 END),
        (NEW.owner_id, CASE WHEN NEW.status IN ('new', 'assigned', 'in_progress', 'waiting_customer') THEN 1 ELSE 0 END)
      ) v(u, d)
      WHERE u IS NOT NULL GROUP BY u HAVING sum(d) <> 0 ORDER BY u
  ON CONFLICT (tenant_id, user_id)
    DO UPDATE SET open_count = service_member_load.open_count + excluded.open_count;
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER service_tickets_load_update AFTER UPDATE OF owner_id, status ON service_tickets
  FOR EACH ROW WHEN (
    OLD.owner_id IS DISTINCT FROM NEW.owner_id
    OR (OLD.status IN ('new', 'assigned', 'in_progress', 'waiting_customer'))
      <> (NEW.status IN ('new', 'assigned', 'in_progress', 'waiting_customer'))
  ) EXECUTE FUNCTION service_member_load_update();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION service_member_load_delete() RETURNS trigger AS $$
BEGIN
  UPDATE service_member_load SET open_count = open_count - 1
    WHERE tenant_id = OLD.tenant_id AND user_id = OLD.owner_id;
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER service_tickets_load_delete AFTER DELETE ON service_tickets
  FOR EACH ROW WHEN (
    OLD.owner_id IS NOT NULL AND OLD.status IN ('new', 'assigned', 'in_progress', 'waiting_customer')
  ) EXECUTE FUNCTION service_member_load_delete();
--> statement-breakpoint
INSERT INTO service_member_load (tenant_id, user_id, open_count)
  SELECT tenant_id, owner_id, count(*)::int FROM service_tickets
    WHERE owner_id IS NOT NULL AND status IN ('new', 'assigned', 'in_progress', 'waiting_customer')
    GROUP BY tenant_id, owner_id;
