CREATE TABLE "report_funnel_monthly" (
	"tenant_id" text NOT NULL,
	"owner_id" text NOT NULL,
	"stage_set_id" text NOT NULL,
	"month" date NOT NULL,
	"stage_id" text DEFAULT '' NOT NULL,
	"top" integer DEFAULT 0 NOT NULL,
	"status" text DEFAULT '' NOT NULL,
	"deals" integer DEFAULT 0 NOT NULL,
	"amount_cents" bigint DEFAULT 0 NOT NULL,
	"won_deals" integer DEFAULT 0 NOT NULL,
	"won_seconds" numeric DEFAULT '0' NOT NULL,
	"stays" integer DEFAULT 0 NOT NULL,
	"stay_seconds" numeric DEFAULT '0' NOT NULL,
	CONSTRAINT "report_funnel_monthly_tenant_id_owner_id_stage_set_id_month_stage_id_top_status_pk" PRIMARY KEY("tenant_id","owner_id","stage_set_id","month","stage_id","top","status")
);
--> statement-breakpoint
ALTER TABLE "crm_leads" ADD COLUMN "has_deal" boolean DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX "report_funnel_monthly_empty_idx" ON "report_funnel_monthly" USING btree ("tenant_id") WHERE deals = 0 and stays = 0;
--> statement-breakpoint
-- The funnel's monthly rollup (report_funnel_monthly): the daily rollup's changes (new rows minus old rows)
-- summed per month by statement triggers on report_funnel_daily itself, so every writer of the daily rows (the
-- deal and stage-history triggers, an upsert's inserted and updated rows, the pruning of emptied keys, a zone
-- change's rebuild) keeps it in the same transaction; its emptied keys are deleted as the daily ones.
CREATE OR REPLACE FUNCTION report_funnel_monthly_trg() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  parts text[] := '{}';
  cols text := 'select tenant_id, owner_id, stage_set_id, day - extract(day from day)::int + 1, stage_id, top,
    status, %1$s deals, %1$s amount_cents, %1$s won_deals, %1$s won_seconds, %1$s stays, %1$s stay_seconds from %2$s';
BEGIN
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    parts := parts || format(cols, '', 'new_rows');
  END IF;
  IF TG_OP IN ('DELETE', 'UPDATE') THEN
    parts := parts || format(cols, '-', 'old_rows');
  END IF;
  EXECUTE 'insert into report_funnel_monthly as r (tenant_id, owner_id, stage_set_id, month, stage_id, top, status,
      deals, amount_cents, won_deals, won_seconds, stays, stay_seconds)
    select tenant_id, owner_id, stage_set_id, month, stage_id, top, status, sum(deals), sum(amount),
      sum(won_deals), sum(won_seconds), sum(stays), sum(stay_seconds)
    from (' || array_to_string(parts, ' union all ') || ') d (tenant_id, owner_id, stage_set_id, month, stage_id,
      top, status, deals, amount, won_deals, won_seconds, stays, stay_seconds)
    group by 1, 2, 3, 4, 5, 6, 7
    having sum(deals) <> 0 or sum(amount) <> 0 or sum(won_deals) <> 0 or sum(won_seconds) <> 0
      or sum(stays) <> 0 or sum(stay_seconds) <> 0
    order by 1, 2, 3, 4, 5, 6, 7
    on conflict (tenant_id, owner_id, stage_set_id, month, stage_id, top, status) do update set
      deals = r.deals + excluded.deals,
      amount_cents = r.amount_cents + excluded.amount_cents,
      won_deals = r.won_deals + excluded.won_deals,
      won_seconds = r.won_seconds + excluded.won_seconds,
      stays = r.stays + excluded.stays,
      stay_seconds = r.stay_seconds + excluded.stay_seconds';
  IF TG_OP <> 'INSERT' THEN
    EXECUTE 'delete from report_funnel_monthly where deals = 0 and stays = 0
      and tenant_id in (select tenant_id from old_rows)';
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER report_funnel_daily_monthly_ins AFTER INSERT ON report_funnel_daily REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION report_funnel_monthly_trg();
--> statement-breakpoint
CREATE TRIGGER report_funnel_daily_monthly_upd AFTER UPDATE ON report_funnel_daily REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION report_funnel_monthly_trg();
--> statement-breakpoint
CREATE TRIGGER report_funnel_daily_monthly_del AFTER DELETE ON report_funnel_daily REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION report_funnel_monthly_trg();
--> statement-breakpoint
-- One tenant's monthly rollup recomputed from its daily rows (the backfill; the tests compare the kept one
-- with it).
CREATE OR REPLACE FUNCTION report_funnel_monthly_rebuild(t text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM report_funnel_monthly WHERE tenant_id = t;
  INSERT INTO report_funnel_monthly (tenant_id, owner_id, stage_set_id, month, stage_id, top, status,
    deals, amount_cents, won_deals, won_seconds, stays, stay_seconds)
  SELECT tenant_id, owner_id, stage_set_id, day - extract(day from day)::int + 1, stage_id, top, status,
    sum(deals), sum(amount_cents), sum(won_deals), sum(won_seconds), sum(stays), sum(stay_seconds)
  FROM report_funnel_daily WHERE tenant_id = t
  GROUP BY 1, 2, 3, 4, 5, 6, 7
  HAVING sum(deals) <> 0 OR sum(stays) <> 0
  ORDER BY 1, 2, 3, 4, 5, 6, 7;
END $$;
--> statement-breakpoint
SELECT report_funnel_monthly_rebuild(id) FROM tenants;
--> statement-breakpoint
-- Planned with its statistics from the first read (autoanalyze comes later).
ANALYZE report_funnel_monthly;
--> statement-breakpoint
-- Each lead's has_deal: whether a deal of its tenant points to it (lead_id), set by statement triggers on the
-- deals for the leads whose pointing deals may have changed: those of inserted and deleted deals, and for
-- updated ones the (tenant, lead) pairs that are in the old rows' set or the new rows' but not both.
CREATE OR REPLACE FUNCTION crm_lead_has_deal_trg() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE pairs text;
BEGIN
  IF TG_OP = 'INSERT' THEN
    pairs := 'select tenant_id, lead_id from new_rows';
  ELSIF TG_OP = 'DELETE' THEN
    pairs := 'select tenant_id, lead_id from old_rows';
  ELSE
    pairs := '(select tenant_id, lead_id from new_rows except select tenant_id, lead_id from old_rows)
      union (select tenant_id, lead_id from old_rows except select tenant_id, lead_id from new_rows)';
  END IF;
  EXECUTE 'update crm_leads l set has_deal = d.has
    from (select a.tenant_id, a.lead_id, exists (select 1 from sales_opportunities o
        where o.tenant_id = a.tenant_id and o.lead_id = a.lead_id) as has
      from (select distinct tenant_id, lead_id from (' || pairs || ') p (tenant_id, lead_id)
        where lead_id is not null) a) d
    where l.id = d.lead_id and l.tenant_id = d.tenant_id and l.has_deal <> d.has';
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER sales_opportunities_has_deal_ins AFTER INSERT ON sales_opportunities REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION crm_lead_has_deal_trg();
--> statement-breakpoint
CREATE TRIGGER sales_opportunities_has_deal_upd AFTER UPDATE ON sales_opportunities REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION crm_lead_has_deal_trg();
--> statement-breakpoint
CREATE TRIGGER sales_opportunities_has_deal_del AFTER DELETE ON sales_opportunities REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION crm_lead_has_deal_trg();
--> statement-breakpoint
UPDATE crm_leads l SET has_deal = true
WHERE EXISTS (SELECT 1 FROM sales_opportunities o WHERE o.tenant_id = l.tenant_id AND o.lead_id = l.id);
--> statement-breakpoint
-- The funnel's converted leads with a deal, counted index-only per person and period (after the backfill:
-- built once rather than kept row by row). The backfill leaves most of crm_leads' pages not all-visible (1M
-- leads, 100k with a deal: nearly every page), and the lead reports' index-only reads then visit the heap
-- until a vacuum marks them again; VACUUM cannot run inside the migration's transaction, and at the default
-- thresholds (20 % of the rows dead) autovacuum would not come for a long while. So crm_leads is vacuumed at
-- 2 % dead (or 5 % inserted) rows: autovacuum (on by default) redoes it within a minute of this migration on a large table,
-- and keeps its visibility map fresh for the reports' index-only reads from then on.
ALTER TABLE crm_leads SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_insert_scale_factor = 0.05);
--> statement-breakpoint
CREATE INDEX "crm_leads_owner_deal_idx" ON "crm_leads" USING btree ("tenant_id","owner_id","created_at","merged_into_id","channel_id") WHERE status = 'converted' and has_deal;
