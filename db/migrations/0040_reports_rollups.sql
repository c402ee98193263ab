ALTER TABLE "sales_opportunities" ADD COLUMN "top_open_order" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- The furthest open stage each deal reached (sales_opportunities.top_open_order: the sort order of the
-- furthest open stage in its stage history, 0 for none), kept by statement triggers on the stage history and
-- on the stages (a reorder, a kind change or a deletion moves it), so the funnel groups the deals by a column
-- instead of searching each deal's history. Written only here, in the transaction of the write.

-- Recomputes the column of the given deals (`t`, `ids`: the tenant and id of each) from their history.
CREATE OR REPLACE FUNCTION sales_deal_top_refresh(t text[], ids text[]) RETURNS void LANGUAGE sql AS $$
  UPDATE sales_opportunities o SET top_open_order = x.top
  FROM (SELECT k.t, k.id, coalesce((SELECT max(s.sort_order) FROM sales_stage_history h
          JOIN sales_stages s ON s.id = h.stage_id
          WHERE h.tenant_id = k.t AND h.opportunity_id = k.id AND s.kind = 'open'), 0) AS top
        FROM unnest(t, ids) AS k (t, id)) x
  WHERE o.tenant_id = x.t AND o.id = x.id AND o.top_open_order <> x.top
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION sales_deal_top_history_trg() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    -- New history can only raise the furthest stage.
    UPDATE sales_opportunities o SET top_open_order = n.top
    FROM (SELECT h.tenant_id, h.opportunity_id, max(s.sort_order) AS top FROM new_rows h
          JOIN sales_stages s ON s.id = h.stage_id AND s.kind = 'open' GROUP BY 1, 2) n
    WHERE o.tenant_id = n.tenant_id AND o.id = n.opportunity_id AND o.top_open_order < n.top;
  ELSIF TG_OP = 'UPDATE' THEN
    PERFORM sales_deal_top_refresh(array_agg(k.tenant_id), array_agg(k.opportunity_id))
    FROM (SELECT tenant_id, opportunity_id FROM old_rows UNION SELECT tenant_id, opportunity_id FROM new_rows) k;
  ELSE
    PERFORM sales_deal_top_refresh(array_agg(k.tenant_id), array_agg(k.opportunity_id))
    FROM (SELECT DISTINCT tenant_id, opportunity_id FROM old_rows) k;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION sales_deal_top_stages_trg() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM sales_deal_top_refresh(array_agg(k.tenant_id), array_agg(k.opportunity_id))
    FROM (SELECT DISTINCT h.tenant_id, h.opportunity_id FROM sales_stage_history h
          JOIN new_rows s ON h.tenant_id = s.tenant_id AND h.stage_id = s.id) k;
  ELSIF TG_OP = 'UPDATE' THEN
    -- Only stages whose order or kind changed move anything (a rename does not touch the deals).
    PERFORM sales_deal_top_refresh(array_agg(k.tenant_id), array_agg(k.opportunity_id))
    FROM (SELECT DISTINCT h.tenant_id, h.opportunity_id FROM sales_stage_history h
          JOIN (SELECT o.tenant_id, o.id FROM old_rows o JOIN new_rows n ON n.id = o.id
                WHERE n.sort_order IS DISTINCT FROM o.sort_order OR n.kind IS DISTINCT FROM o.kind
                UNION SELECT o.tenant_id, o.id FROM old_rows o WHERE NOT EXISTS (SELECT 1 FROM new_rows n WHERE n.id = o.id)
                UNION SELECT n.tenant_id, n.id FROM new_rows n WHERE NOT EXISTS (SELECT 1 FROM old_rows o WHERE o.id = n.id)) s
            ON h.tenant_id = s.tenant_id AND h.stage_id = s.id) k;
  ELSE
    PERFORM sales_deal_top_refresh(array_agg(k.tenant_id), array_agg(k.opportunity_id))
    FROM (SELECT DISTINCT h.tenant_id, h.opportunity_id FROM sales_stage_history h
          JOIN old_rows s ON h.tenant_id = s.tenant_id AND h.stage_id = s.id) k;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER sales_stage_history_top_ins AFTER INSERT ON sales_stage_history REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sales_deal_top_history_trg();
--> statement-breakpoint
CREATE TRIGGER sales_stage_history_top_upd AFTER UPDATE ON sales_stage_history REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sales_deal_top_history_trg();
--> statement-breakpoint
CREATE TRIGGER sales_stage_history_top_del AFTER DELETE ON sales_stage_history REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION sales_deal_top_history_trg();
--> statement-breakpoint
CREATE TRIGGER sales_stages_top_ins AFTER INSERT ON sales_stages REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sales_deal_top_stages_trg();
--> statement-breakpoint
CREATE TRIGGER sales_stages_top_upd AFTER UPDATE ON sales_stages REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sales_deal_top_stages_trg();
--> statement-breakpoint
CREATE TRIGGER sales_stages_top_del AFTER DELETE ON sales_stages REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION sales_deal_top_stages_trg();
--> statement-breakpoint
-- The deals already there.
UPDATE sales_opportunities o SET top_open_order = x.top
FROM (SELECT h.tenant_id, h.opportunity_id, max(s.sort_order) AS top FROM sales_stage_history h
      JOIN sales_stages s ON s.id = h.stage_id AND s.kind = 'open' GROUP BY 1, 2) x
WHERE o.tenant_id = x.tenant_id AND o.id = x.opportunity_id;

--> statement-breakpoint
DROP INDEX "sales_opps_owner_created_idx";--> statement-breakpoint
DROP INDEX "sales_stage_history_opp_idx";--> statement-breakpoint
CREATE INDEX "sales_opps_owner_created_idx" ON "sales_opportunities" USING btree ("tenant_id","owner_id","created_at","stage_set_id","status","top_open_order","amount_cents","id");--> statement-breakpoint
CREATE INDEX "sales_stage_history_opp_idx" ON "sales_stage_history" USING btree ("tenant_id","opportunity_id","entered_at","stage_id","left_at");
--> statement-breakpoint
-- The map's rollup drops the keys whose customers all left (a transfer, a region or tier change, a deletion),
-- in the same statement trigger that subtracts them, so report_customer_geo holds no rows of 0. Only keys an
-- old row held can have dropped to 0; the key's columns may be null (nulls not distinct, as its unique key).
CREATE OR REPLACE FUNCTION report_customer_geo_trg() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE parts text[] := '{}';
BEGIN
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    parts := parts || 'select tenant_id, owner_id, province_code, city_code, tier, 1 as n from new_rows'::text;
  END IF;
  IF TG_OP IN ('DELETE', 'UPDATE') THEN
    parts := parts || 'select tenant_id, owner_id, province_code, city_code, tier, -1 as n from old_rows'::text;
  END IF;
  EXECUTE report_customer_geo_add(array_to_string(parts, ' union all '));
  IF TG_OP IN ('DELETE', 'UPDATE') THEN
    DELETE FROM report_customer_geo r
    USING (SELECT DISTINCT tenant_id, owner_id, province_code, city_code, tier FROM old_rows) k
    WHERE r.tenant_id = k.tenant_id AND r.owner_id IS NOT DISTINCT FROM k.owner_id
      AND r.province_code IS NOT DISTINCT FROM k.province_code AND r.city_code IS NOT DISTINCT FROM k.city_code
      AND r.tier IS NOT DISTINCT FROM k.tier AND r.customers = 0;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
DELETE FROM report_customer_geo WHERE customers = 0;

--> statement-breakpoint
DROP INDEX "crm_follow_ups_author_idx";--> statement-breakpoint
DROP INDEX "crm_visits_user_check_in_idx";--> statement-breakpoint
CREATE INDEX "crm_follow_ups_author_idx" ON "crm_follow_ups" USING btree ("tenant_id","author_id","created_at","customer_id");--> statement-breakpoint
CREATE INDEX "crm_visits_user_check_in_idx" ON "crm_visits" USING btree ("tenant_id","user_id","check_in_at","customer_id");
--> statement-breakpoint
DROP INDEX "crm_leads_owner_created_idx";--> statement-breakpoint
CREATE INDEX "crm_leads_owner_created_idx" ON "crm_leads" USING btree ("tenant_id","owner_id","created_at","status","merged_into_id","channel_id","id");