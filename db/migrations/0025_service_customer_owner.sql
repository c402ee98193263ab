ALTER TABLE "service_tickets" ADD COLUMN "customer_owner_id" text;--> statement-breakpoint
CREATE INDEX "service_tickets_customer_owner_idx" ON "service_tickets" USING btree ("tenant_id","customer_owner_id","created_at");--> statement-breakpoint
-- A ticket carries its customer's owner (the rep sees their customers' tickets through an indexed column):
-- set from the customer when the ticket is written with a customer, rewritten when the customer changes hands.
CREATE OR REPLACE FUNCTION service_ticket_customer_owner() RETURNS trigger AS $$
BEGIN
  IF NEW.customer_id IS NULL THEN
    NEW.customer_owner_id := NULL;
  ELSE
    SELECT owner_id INTO NEW.customer_owner_id FROM crm_customers
      WHERE id = NEW.customer_id AND tenant_id = NEW.tenant_id;
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER service_tickets_customer_owner BEFORE INSERT OR UPDATE OF customer_id, customer_owner_id ON service_tickets
  FOR EACH ROW EXECUTE FUNCTION service_ticket_customer_owner();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION crm_customer_owner_to_tickets() RETURNS trigger AS $$
BEGIN
  UPDATE service_tickets SET customer_owner_id = NEW.owner_id
    WHERE tenant_id = NEW.tenant_id AND customer_id = NEW.id
      AND customer_owner_id IS DISTINCT FROM NEW.owner_id;
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER crm_customers_owner_to_tickets AFTER UPDATE OF owner_id ON crm_customers
  FOR EACH ROW WHEN (OLD.owner_id IS DISTINCT FROM NEW.owner_id)
  EXECUTE FUNCTION crm_customer_owner_to_tickets();
--> statement-breakpoint
UPDATE service_tickets t SET customer_owner_id = c.owner_id FROM crm_customers c
  WHERE c.id = t.customer_id AND c.tenant_id = t.tenant_id AND c.owner_id IS NOT NULL;
