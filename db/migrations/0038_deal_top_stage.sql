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
