CREATE TABLE "report_funnel_daily" (
	"tenant_id" text NOT NULL,
	"owner_id" text NOT NULL,
	"stage_set_id" text NOT NULL,
	"day" date NOT NULL,
	"stage_id" text DEFAULT '' NOT NULL,
	"top" integer DEFAULT 0 NOT NULL,
	"status" text DEFAULT '' NOT NULL,
	"deals" integer DEFAULT 0 NOT NULL,
	"amount_cents" bigint DEFAULT 0 NOT NULL,
	"won_deals" integer DEFAULT 0 NOT NULL,
	"won_seconds" numeric DEFAULT '0' NOT NULL,
	"stays" integer DEFAULT 0 NOT NULL,
	"stay_seconds" numeric DEFAULT '0' NOT NULL,
	CONSTRAINT "report_funnel_daily_tenant_id_owner_id_stage_set_id_day_stage_id_top_status_pk" PRIMARY KEY("tenant_id","owner_id","stage_set_id","day","stage_id","top","status")
);
--> statement-breakpoint
ALTER TABLE "report_receivable_daily" ADD COLUMN "alloc_open_instalments" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "report_receivable_daily" ADD COLUMN "alloc_open_cents" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "sales_instalments" ADD COLUMN "allocated_cents" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX "report_funnel_daily_empty_idx" ON "report_funnel_daily" USING btree ("tenant_id") WHERE deals = 0 and stays = 0;--> statement-breakpoint
CREATE INDEX "sales_instalments_created_idx" ON "sales_instalments" USING btree ("tenant_id","created_at");--> statement-breakpoint
CREATE INDEX "sales_opps_owner_closed_idx" ON "sales_opportunities" USING btree ("tenant_id","owner_id","closed_at","status","close_reason_id","amount_cents") WHERE status in ('won', 'lost');--> statement-breakpoint
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
--> statement-breakpoint
-- The funnel's rollup (report_funnel_daily), kept by statement triggers on deals and their stage history in
-- the same transaction as every write. Days are the tenant's local days (report_zone); a changed zone
-- rebuilds the tenant's rows.
-- The facts of the deals in `rel` (x), signed `s`: one per deal, keyed by its furthest open stage and status.
CREATE OR REPLACE FUNCTION report_funnel_deal_facts(rel text, s int) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  RETURN format('select x.tenant_id, x.owner_id, x.stage_set_id, (x.created_at at time zone z.zone)::date as day,
      ''''::text as stage_id, x.top_open_order as top, x.status::text as status, %1$s as deals,
      %1$s * x.amount_cents as amount, %1$s * (x.status = ''won'' and x.closed_at is not null)::int as won_deals,
      %1$s * case when x.status = ''won'' and x.closed_at is not null
        then extract(epoch from x.closed_at - x.created_at) else 0 end as won_seconds,
      0 as stays, 0::numeric as stay_seconds
    from %2$s x join (select t, report_zone(t) as zone from (select distinct tenant_id as t from %2$s q) d) z
      on z.t = x.tenant_id', s, rel);
END $$;
--> statement-breakpoint
-- The finished stays of the history rows in `hist` (h) of the deals in `deals` (x), signed `s`.
CREATE OR REPLACE FUNCTION report_funnel_stay_facts(deals text, hist text, s int) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  RETURN format('select x.tenant_id, x.owner_id, x.stage_set_id, (x.created_at at time zone z.zone)::date,
      h.stage_id, 0, '''', 0, 0::bigint, 0, 0::numeric, %1$s, %1$s * extract(epoch from h.left_at - h.entered_at)
    from %2$s x join %3$s h on h.tenant_id = x.tenant_id and h.opportunity_id = x.id
    join (select t, report_zone(t) as zone from (select distinct tenant_id as t from %2$s q) d) z
      on z.t = x.tenant_id
    where h.left_at is not null', s, deals, hist);
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION report_funnel_add(parts text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  RETURN 'insert into report_funnel_daily as r (tenant_id, owner_id, stage_set_id, day, stage_id, top, status,
      deals, amount_cents, won_deals, won_seconds, stays, stay_seconds)
    select tenant_id, owner_id, stage_set_id, day, stage_id, top, status, sum(deals), sum(amount),
      sum(won_deals), sum(won_seconds), sum(stays), sum(stay_seconds)
    from (' || parts || ') d (tenant_id, owner_id, stage_set_id, day, stage_id, top, status, deals, amount,
      won_deals, won_seconds, stays, stay_seconds)
    group by 1, 2, 3, 4, 5, 6, 7
    having sum(deals) <> 0 or sum(amount) <> 0 or sum(won_deals) <> 0 or sum(won_seconds) <> 0
      or sum(stays) <> 0 or sum(stay_seconds) <> 0
    order by 1, 2, 3, 4, 5, 6, 7
    on conflict (tenant_id, owner_id, stage_set_id, day, stage_id, top, status) do update set
      deals = r.deals + excluded.deals,
      amount_cents = r.amount_cents + excluded.amount_cents,
      won_deals = r.won_deals + excluded.won_deals,
      won_seconds = r.won_seconds + excluded.won_seconds,
      stays = r.stays + excluded.stays,
      stay_seconds = r.stay_seconds + excluded.stay_seconds';
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION report_funnel_prune(tenants text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  RETURN 'delete from report_funnel_daily where deals = 0 and stays = 0 and tenant_id in (' || tenants || ')';
END $$;
--> statement-breakpoint
-- Deals: inserted ones add their facts; updated ones whose keyed or summed columns changed move their facts,
-- and those whose owner, stage set or creation moved also move their history's stays.
CREATE OR REPLACE FUNCTION report_funnel_deals_trg() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  changed text := '(select %s.* from %s join %s on n.id = o.id
    where (o.tenant_id, o.owner_id, o.stage_set_id, o.created_at, o.top_open_order, o.status, o.amount_cents, o.closed_at)
      is distinct from (n.tenant_id, n.owner_id, n.stage_set_id, n.created_at, n.top_open_order, n.status, n.amount_cents, n.closed_at))';
  moved text := '(select %s.* from %s join %s on n.id = o.id
    where (o.tenant_id, o.owner_id, o.stage_set_id, o.created_at) is distinct from (n.tenant_id, n.owner_id, n.stage_set_id, n.created_at))';
BEGIN
  IF TG_OP = 'INSERT' THEN
    EXECUTE report_funnel_add(report_funnel_deal_facts('new_rows', 1));
    RETURN NULL;
  END IF;
  EXECUTE report_funnel_add(
    report_funnel_deal_facts(format(changed, 'n', 'new_rows n', 'old_rows o'), 1) || ' union all ' ||
    report_funnel_deal_facts(format(changed, 'o', 'old_rows o', 'new_rows n'), -1) || ' union all ' ||
    report_funnel_stay_facts(format(moved, 'n', 'new_rows n', 'old_rows o'), 'sales_stage_history', 1) || ' union all ' ||
    report_funnel_stay_facts(format(moved, 'o', 'old_rows o', 'new_rows n'), 'sales_stage_history', -1));
  EXECUTE report_funnel_prune('select tenant_id from old_rows');
  RETURN NULL;
END $$;
--> statement-breakpoint
-- A deleted deal's facts and its history's stays leave with it, subtracted while the history still exists
-- (the cascade that deletes it next finds no deal, so subtracts nothing).
CREATE OR REPLACE FUNCTION report_funnel_deal_gone() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE one text := format('(select %L::text as tenant_id, %L::text as id, %L::text as owner_id,
    %L::text as stage_set_id, %L::timestamptz as created_at, %s as top_open_order, %L::text as status,
    %s::bigint as amount_cents, %L::timestamptz as closed_at)',
  OLD.tenant_id, OLD.id, OLD.owner_id, OLD.stage_set_id, OLD.created_at, OLD.top_open_order, OLD.status,
  OLD.amount_cents, OLD.closed_at);
BEGIN
  EXECUTE report_funnel_add(report_funnel_deal_facts(one, -1) || ' union all ' ||
    report_funnel_stay_facts(one, 'sales_stage_history', -1));
  EXECUTE report_funnel_prune(format('select %L::text', OLD.tenant_id));
  RETURN OLD;
END $$;
--> statement-breakpoint
-- Stage history: its rows' stays credited to their deal as it is now.
CREATE OR REPLACE FUNCTION report_funnel_history_trg() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  parts text[] := '{}';
  deals text := '(select * from sales_opportunities where id in (select opportunity_id from %s))';
BEGIN
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    parts := parts || report_funnel_stay_facts(format(deals, 'new_rows'), 'new_rows', 1);
  END IF;
  IF TG_OP IN ('DELETE', 'UPDATE') THEN
    parts := parts || report_funnel_stay_facts(format(deals, 'old_rows'), 'old_rows', -1);
  END IF;
  EXECUTE report_funnel_add(array_to_string(parts, ' union all '));
  IF TG_OP <> 'INSERT' THEN
    EXECUTE report_funnel_prune('select tenant_id from old_rows');
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
-- One tenant's rollup recomputed from its records (the backfill, after a time-zone change; the tests compare
-- the kept one with it).
CREATE OR REPLACE FUNCTION report_funnel_daily_rebuild(t text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE deals text := format('(select * from sales_opportunities where tenant_id = %L)', t);
BEGIN
  DELETE FROM report_funnel_daily WHERE tenant_id = t;
  EXECUTE report_funnel_add(report_funnel_deal_facts(deals, 1) || ' union all ' ||
    report_funnel_stay_facts(deals, format('(select * from sales_stage_history where tenant_id = %L)', t), 1));
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION report_funnel_daily_rezone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM report_funnel_daily_rebuild(NEW.id);
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER sales_opportunities_funnel_ins AFTER INSERT ON sales_opportunities REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION report_funnel_deals_trg();
--> statement-breakpoint
CREATE TRIGGER sales_opportunities_funnel_upd AFTER UPDATE ON sales_opportunities REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION report_funnel_deals_trg();
--> statement-breakpoint
CREATE TRIGGER sales_opportunities_funnel_gone BEFORE DELETE ON sales_opportunities FOR EACH ROW EXECUTE FUNCTION report_funnel_deal_gone();
--> statement-breakpoint
CREATE TRIGGER sales_stage_history_funnel_ins AFTER INSERT ON sales_stage_history REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION report_funnel_history_trg();
--> statement-breakpoint
CREATE TRIGGER sales_stage_history_funnel_upd AFTER UPDATE ON sales_stage_history REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION report_funnel_history_trg();
--> statement-breakpoint
CREATE TRIGGER sales_stage_history_funnel_del AFTER DELETE ON sales_stage_history REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION report_funnel_history_trg();
--> statement-breakpoint
CREATE TRIGGER tenants_funnel_rezone AFTER UPDATE OF settings ON tenants FOR EACH ROW
  WHEN (OLD.settings ->> 'timeZone' IS DISTINCT FROM NEW.settings ->> 'timeZone')
  EXECUTE FUNCTION report_funnel_daily_rezone();
--> statement-breakpoint
SELECT report_funnel_daily_rebuild(id) FROM tenants;
