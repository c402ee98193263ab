-- The forecast rollup (sales_forecast_daily) kept by statement triggers on sales_opportunities, so every
-- writer (app, import, merge, nightly refresh, hand-written SQL) updates it in its own transaction. Each
-- statement's transition tables become deltas (old rows subtracted, new rows added), summed per key and
-- upserted in key order; keys left with no deal are deleted. Lost deals and deals without an expected close
-- date are not in it (the forecast leaves them out).

-- The SELECT of the facts of `rel` (a transition table or a subquery), each multiplied by `s`.
CREATE OR REPLACE FUNCTION sales_forecast_facts(rel text, s int) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT format('select x.tenant_id, x.owner_id, x.expected_close_date, x.stage_id, x.status, %1$s,
      %1$s * x.amount_cents, %1$s * round(x.amount_cents * x.win_probability / 100.0)
    from %2$s x where x.status <> ''lost'' and x.expected_close_date is not null', s, rel)
$$;
--> statement-breakpoint
-- The statement adding the summed facts of `parts` (SELECTs joined by UNION ALL) to the rollup.
CREATE OR REPLACE FUNCTION sales_forecast_add(parts text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT 'insert into sales_forecast_daily as r (tenant_id, owner_id, close_date, stage_id, status, deals,
      amount_cents, weighted_cents)
    select tenant_id, owner_id, close_date, stage_id, status, sum(n), sum(a), sum(w)
    from (' || parts || ') d (tenant_id, owner_id, close_date, stage_id, status, n, a, w)
    group by 1, 2, 3, 4, 5
    having sum(n) <> 0 or sum(a) <> 0 or sum(w) <> 0
    order by 1, 2, 3, 4, 5
    on conflict (tenant_id, owner_id, close_date, stage_id, status) do update set
      deals = r.deals + excluded.deals,
      amount_cents = r.amount_cents + excluded.amount_cents,
      weighted_cents = r.weighted_cents + excluded.weighted_cents'
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION sales_forecast_daily_trg() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE parts text[] := '{}';
BEGIN
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    parts := parts || sales_forecast_facts('new_rows', 1);
  END IF;
  IF TG_OP IN ('DELETE', 'UPDATE') THEN
    parts := parts || sales_forecast_facts('old_rows', -1);
  END IF;
  EXECUTE sales_forecast_add(array_to_string(parts, ' union all '));
  IF TG_OP IN ('DELETE', 'UPDATE') THEN
    -- Only keys an old row held can have dropped to no deal.
    DELETE FROM sales_forecast_daily r
    USING (SELECT DISTINCT tenant_id, owner_id, expected_close_date, stage_id, status FROM old_rows
           WHERE status <> 'lost' AND expected_close_date IS NOT NULL) k
    WHERE r.tenant_id = k.tenant_id AND r.owner_id = k.owner_id AND r.close_date = k.expected_close_date
      AND r.stage_id = k.stage_id AND r.status = k.status AND r.deals = 0;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER sales_opportunities_forecast_ins AFTER INSERT ON sales_opportunities REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sales_forecast_daily_trg();
--> statement-breakpoint
CREATE TRIGGER sales_opportunities_forecast_upd AFTER UPDATE ON sales_opportunities REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sales_forecast_daily_trg();
--> statement-breakpoint
CREATE TRIGGER sales_opportunities_forecast_del AFTER DELETE ON sales_opportunities REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION sales_forecast_daily_trg();
--> statement-breakpoint
-- The deals already there.
INSERT INTO sales_forecast_daily (tenant_id, owner_id, close_date, stage_id, status, deals, amount_cents, weighted_cents)
SELECT tenant_id, owner_id, expected_close_date, stage_id, status, count(*), sum(amount_cents),
  sum(round(amount_cents * win_probability / 100.0))
FROM sales_opportunities WHERE status <> 'lost' AND expected_close_date IS NOT NULL
GROUP BY 1, 2, 3, 4, 5;
