ALTER TABLE "report_receivable_daily" ADD COLUMN "alloc_open_instalments" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "report_receivable_daily" ADD COLUMN "alloc_open_cents" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "sales_instalments" ADD COLUMN "allocated_cents" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX "sales_instalments_created_idx" ON "sales_instalments" USING btree ("tenant_id","created_at");--> statement-breakpoint
CREATE INDEX "sales_payments_received_idx" ON "sales_payments" USING btree ("tenant_id","received_on");--> statement-breakpoint
-- Each instalment's allocated payments, summed by statement triggers on the allocations in the same
-- transaction as every write (an allocation whose instalment is gone changes nothing).
CREATE OR REPLACE FUNCTION sales_allocated_trg() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE parts text[] := '{}';
BEGIN
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    parts := parts || 'select tenant_id, instalment_id, amount_cents from new_rows'::text;
  END IF;
  IF TG_OP IN ('DELETE', 'UPDATE') THEN
    parts := parts || 'select tenant_id, instalment_id, -amount_cents from old_rows'::text;
  END IF;
  EXECUTE 'update sales_instalments i set allocated_cents = i.allocated_cents + d.cents
    from (select tenant_id, instalment_id, sum(amount_cents) as cents
      from (' || array_to_string(parts, ' union all ') || ') a (tenant_id, instalment_id, amount_cents)
      group by 1, 2 having sum(amount_cents) <> 0) d
    where i.tenant_id = d.tenant_id and i.id = d.instalment_id';
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER sales_allocations_allocated_ins AFTER INSERT ON sales_payment_allocations REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sales_allocated_trg();
--> statement-breakpoint
CREATE TRIGGER sales_allocations_allocated_upd AFTER UPDATE ON sales_payment_allocations REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sales_allocated_trg();
--> statement-breakpoint
CREATE TRIGGER sales_allocations_allocated_del AFTER DELETE ON sales_payment_allocations REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION sales_allocated_trg();
--> statement-breakpoint
-- The receivables rollup also keeps what is open by allocation (amount - allocated_cents): the ageing as of a
-- past day reads it and adds back only the allocations of payments received since.
CREATE OR REPLACE FUNCTION report_receivable_facts(rel text, s int) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  RETURN format('select x.tenant_id, c.owner_id, x.due_date, %1$s as instalments, %1$s * x.amount_cents as planned,
      %1$s * least(x.received_cents, x.amount_cents) as planned_received,
      %1$s * (x.received_cents < x.amount_cents)::int as open_instalments,
      %1$s * case when x.received_cents < x.amount_cents then x.amount_cents - x.received_cents else 0 end as open,
      %1$s * (x.allocated_cents < x.amount_cents)::int as alloc_open_instalments,
      %1$s * case when x.allocated_cents < x.amount_cents then x.amount_cents - x.allocated_cents else 0 end as alloc_open
    from %2$s x join sales_contracts c on c.tenant_id = x.tenant_id and c.id = x.contract_id
    where c.status in (''active'', ''completed'')', s, rel);
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION report_receivable_contract_facts(rel text, s int) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  RETURN format('select i.tenant_id, x.owner_id, i.due_date, %1$s, %1$s * i.amount_cents,
      %1$s * least(i.received_cents, i.amount_cents), %1$s * (i.received_cents < i.amount_cents)::int,
      %1$s * case when i.received_cents < i.amount_cents then i.amount_cents - i.received_cents else 0 end,
      %1$s * (i.allocated_cents < i.amount_cents)::int,
      %1$s * case when i.allocated_cents < i.amount_cents then i.amount_cents - i.allocated_cents else 0 end
    from %2$s x join sales_instalments i on i.tenant_id = x.tenant_id and i.contract_id = x.id
    where x.status in (''active'', ''completed'')', s, rel);
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION report_receivable_add(parts text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  RETURN 'insert into report_receivable_daily as r (tenant_id, owner_id, due_date, instalments, planned_cents,
      planned_received_cents, open_instalments, open_cents, alloc_open_instalments, alloc_open_cents)
    select tenant_id, owner_id, due_date, sum(instalments), sum(planned), sum(planned_received),
      sum(open_instalments), sum(open), sum(alloc_open_instalments), sum(alloc_open)
    from (' || parts || ') d (tenant_id, owner_id, due_date, instalments, planned, planned_received,
      open_instalments, open, alloc_open_instalments, alloc_open)
    group by 1, 2, 3
    having sum(instalments) <> 0 or sum(planned) <> 0 or sum(planned_received) <> 0
      or sum(open_instalments) <> 0 or sum(open) <> 0
      or sum(alloc_open_instalments) <> 0 or sum(alloc_open) <> 0
    order by 1, 2, 3
    on conflict (tenant_id, owner_id, due_date) do update set
      instalments = r.instalments + excluded.instalments,
      planned_cents = r.planned_cents + excluded.planned_cents,
      planned_received_cents = r.planned_received_cents + excluded.planned_received_cents,
      open_instalments = r.open_instalments + excluded.open_instalments,
      open_cents = r.open_cents + excluded.open_cents,
      alloc_open_instalments = r.alloc_open_instalments + excluded.alloc_open_instalments,
      alloc_open_cents = r.alloc_open_cents + excluded.alloc_open_cents';
END $$;
--> statement-breakpoint
UPDATE sales_instalments i SET allocated_cents = a.cents
FROM (SELECT tenant_id, instalment_id, sum(amount_cents) AS cents FROM sales_payment_allocations GROUP BY 1, 2) a
WHERE i.tenant_id = a.tenant_id AND i.id = a.instalment_id;
--> statement-breakpoint
SELECT report_receivable_daily_rebuild(id) FROM tenants;
