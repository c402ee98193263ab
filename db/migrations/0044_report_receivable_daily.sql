CREATE TABLE "report_receivable_daily" (
	"tenant_id" text NOT NULL,
	"owner_id" text NOT NULL,
	"due_date" date NOT NULL,
	"instalments" integer DEFAULT 0 NOT NULL,
	"planned_cents" bigint DEFAULT 0 NOT NULL,
	"planned_received_cents" bigint DEFAULT 0 NOT NULL,
	"open_instalments" integer DEFAULT 0 NOT NULL,
	"open_cents" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "report_receivable_daily_tenant_id_owner_id_due_date_pk" PRIMARY KEY("tenant_id","owner_id","due_date")
);
--> statement-breakpoint
CREATE INDEX "report_receivable_daily_due_idx" ON "report_receivable_daily" USING btree ("tenant_id","due_date");--> statement-breakpoint
CREATE INDEX "report_receivable_daily_empty_idx" ON "report_receivable_daily" USING btree ("tenant_id") WHERE instalments = 0;--> statement-breakpoint
CREATE INDEX "sales_instalments_open_created_idx" ON "sales_instalments" USING btree ("tenant_id","created_at") WHERE received_cents < amount_cents;--> statement-breakpoint
-- The 回款 report's plans per contract owner and due day, for the instalments of contracts in force, kept by
-- statement triggers on instalments and contracts in the same transaction as every write.
-- An instalment's facts in `rel` (its contract read now), signed `s`.
CREATE OR REPLACE FUNCTION report_receivable_facts(rel text, s int) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  RETURN format('select x.tenant_id, c.owner_id, x.due_date, %1$s as instalments, %1$s * x.amount_cents as planned,
      %1$s * least(x.received_cents, x.amount_cents) as planned_received,
      %1$s * (x.received_cents < x.amount_cents)::int as open_instalments,
      %1$s * case when x.received_cents < x.amount_cents then x.amount_cents - x.received_cents else 0 end as open
    from %2$s x join sales_contracts c on c.tenant_id = x.tenant_id and c.id = x.contract_id
    where c.status in (''active'', ''completed'')', s, rel);
END $$;
--> statement-breakpoint
-- A contract's instalments (read now) credited to it as it is in `rel` (owner, status), signed `s`.
CREATE OR REPLACE FUNCTION report_receivable_contract_facts(rel text, s int) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  RETURN format('select i.tenant_id, x.owner_id, i.due_date, %1$s, %1$s * i.amount_cents,
      %1$s * least(i.received_cents, i.amount_cents), %1$s * (i.received_cents < i.amount_cents)::int,
      %1$s * case when i.received_cents < i.amount_cents then i.amount_cents - i.received_cents else 0 end
    from %2$s x join sales_instalments i on i.tenant_id = x.tenant_id and i.contract_id = x.id
    where x.status in (''active'', ''completed'')', s, rel);
END $$;
--> statement-breakpoint
-- The statement adding the summed facts (the trigger runs it: transition tables are its own).
CREATE OR REPLACE FUNCTION report_receivable_add(parts text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  RETURN 'insert into report_receivable_daily as r (tenant_id, owner_id, due_date, instalments, planned_cents,
      planned_received_cents, open_instalments, open_cents)
    select tenant_id, owner_id, due_date, sum(instalments), sum(planned), sum(planned_received),
      sum(open_instalments), sum(open)
    from (' || parts || ') d (tenant_id, owner_id, due_date, instalments, planned, planned_received,
      open_instalments, open)
    group by 1, 2, 3
    having sum(instalments) <> 0 or sum(planned) <> 0 or sum(planned_received) <> 0
      or sum(open_instalments) <> 0 or sum(open) <> 0
    order by 1, 2, 3
    on conflict (tenant_id, owner_id, due_date) do update set
      instalments = r.instalments + excluded.instalments,
      planned_cents = r.planned_cents + excluded.planned_cents,
      planned_received_cents = r.planned_received_cents + excluded.planned_received_cents,
      open_instalments = r.open_instalments + excluded.open_instalments,
      open_cents = r.open_cents + excluded.open_cents';
END $$;
--> statement-breakpoint
-- The statement deleting the keys of `tenants` (a query of tenant ids) left with no instalment.
CREATE OR REPLACE FUNCTION report_receivable_prune(tenants text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  RETURN 'delete from report_receivable_daily where instalments = 0 and tenant_id in (' || tenants || ')';
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION report_receivable_instalments_trg() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE parts text[] := '{}';
BEGIN
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    parts := parts || report_receivable_facts('new_rows', 1);
  END IF;
  IF TG_OP IN ('DELETE', 'UPDATE') THEN
    parts := parts || report_receivable_facts('old_rows', -1);
  END IF;
  EXECUTE report_receivable_add(array_to_string(parts, ' union all '));
  EXECUTE report_receivable_prune(
    CASE WHEN TG_OP = 'INSERT' THEN 'select tenant_id from new_rows' ELSE 'select tenant_id from old_rows' END);
  RETURN NULL;
END $$;
--> statement-breakpoint
-- A contract whose owner or status changed moves its instalments from the old owner (or from nothing, when it
-- was not in force) to the new one.
CREATE OR REPLACE FUNCTION report_receivable_contracts_trg() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE moved text := '(select %s.* from %s join %s on n.id = o.id
  where (o.tenant_id, o.owner_id, o.status) is distinct from (n.tenant_id, n.owner_id, n.status))';
BEGIN
  EXECUTE report_receivable_add(
    report_receivable_contract_facts(format(moved, 'n', 'new_rows n', 'old_rows o'), 1) || ' union all ' ||
    report_receivable_contract_facts(format(moved, 'o', 'old_rows o', 'new_rows n'), -1));
  EXECUTE report_receivable_prune('select tenant_id from old_rows');
  RETURN NULL;
END $$;
--> statement-breakpoint
-- A deleted contract's instalments leave with it: subtracted here while they still exist (the cascade that
-- deletes them next finds no contract, so adds nothing).
CREATE OR REPLACE FUNCTION report_receivable_contract_gone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.status IN ('active', 'completed') THEN
    EXECUTE report_receivable_add(report_receivable_contract_facts(
      format('(select %L::text as tenant_id, %L::text as id, %L::text as owner_id, %L::text as status)',
        OLD.tenant_id, OLD.id, OLD.owner_id, OLD.status), -1));
    EXECUTE report_receivable_prune(format('select %L::text', OLD.tenant_id));
  END IF;
  RETURN OLD;
END $$;
--> statement-breakpoint
-- One tenant's rollup recomputed from its records (the backfill; the tests compare the kept one with it).
CREATE OR REPLACE FUNCTION report_receivable_daily_rebuild(t text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM report_receivable_daily WHERE tenant_id = t;
  EXECUTE report_receivable_add(
    report_receivable_facts(format('(select * from sales_instalments where tenant_id = %L)', t), 1));
END $$;
--> statement-breakpoint
CREATE TRIGGER sales_instalments_receivable_ins AFTER INSERT ON sales_instalments REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION report_receivable_instalments_trg();
--> statement-breakpoint
CREATE TRIGGER sales_instalments_receivable_upd AFTER UPDATE ON sales_instalments REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION report_receivable_instalments_trg();
--> statement-breakpoint
CREATE TRIGGER sales_instalments_receivable_del AFTER DELETE ON sales_instalments REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION report_receivable_instalments_trg();
--> statement-breakpoint
CREATE TRIGGER sales_contracts_receivable_upd AFTER UPDATE ON sales_contracts REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION report_receivable_contracts_trg();
--> statement-breakpoint
CREATE TRIGGER sales_contracts_receivable_gone BEFORE DELETE ON sales_contracts FOR EACH ROW EXECUTE FUNCTION report_receivable_contract_gone();
--> statement-breakpoint
SELECT report_receivable_daily_rebuild(id) FROM tenants;
