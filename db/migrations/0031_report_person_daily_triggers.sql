-- The person-day rollup (report_person_daily) kept by statement triggers, so every writer (app, import,
-- merge, cascade, hand-written SQL) updates it in its own transaction. Each trigger turns the statement's
-- transition tables into deltas (old rows subtracted, new rows added), sums them per (tenant, person, local
-- day) and upserts them in key order. Days are the tenant's local days (its time-zone setting, else China
-- time); a changed zone rebuilds the tenant's rows.

-- The tenant's zone as PostgreSQL knows it; China time when unset or unknown here.
CREATE OR REPLACE FUNCTION report_zone(t text) RETURNS text LANGUAGE plpgsql STABLE AS $$
DECLARE z text;
BEGIN
  SELECT settings ->> 'timeZone' INTO z FROM tenants WHERE id = t;
  IF z IS NULL OR z = '' THEN RETURN 'Asia/Shanghai'; END IF;
  PERFORM now() AT TIME ZONE z;
  RETURN z;
EXCEPTION WHEN others THEN
  RETURN 'Asia/Shanghai';
END $$;
--> statement-breakpoint
-- The SELECT of one source's facts over `rel` (a transition table or a subquery), each multiplied by `s`:
-- columns tenant_id, user_id, day, then the rollup's measures in table order.
CREATE OR REPLACE FUNCTION report_person_facts(src text, rel text, s int) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  zone text := format(' join (select t, report_zone(t) as zone from (select distinct tenant_id as t from %s q) d) z on z.t = x.tenant_id', rel);
BEGIN
  IF src = 'crm_customers' THEN
    RETURN format('select x.tenant_id, coalesce(x.owner_id, '''') as user_id, (x.created_at at time zone z.zone)::date as day,
      %s as customers, 0 as opportunities, 0 as visits, 0 as visits_flagged, 0 as visits_timed, 0::numeric as visit_seconds,
      0 as follow_ups, 0::bigint as contract_cents, 0::bigint as payment_cents from %s x', s, rel) || zone;
  ELSIF src = 'sales_opportunities' THEN
    RETURN format('select x.tenant_id, coalesce(x.owner_id, ''''), (x.created_at at time zone z.zone)::date,
      0, %s, 0, 0, 0, 0::numeric, 0, 0::bigint, 0::bigint from %s x', s, rel) || zone;
  ELSIF src = 'crm_visits' THEN
    RETURN format('select x.tenant_id, coalesce(x.user_id, ''''), (x.check_in_at at time zone z.zone)::date,
      0, 0, %1$s, %1$s * x.check_in_flagged::int, %1$s * (x.check_out_at is not null)::int,
      %1$s * coalesce(extract(epoch from x.check_out_at - x.check_in_at), 0), 0, 0::bigint, 0::bigint
      from %2$s x', s, rel) || zone || ' where x.check_in_at is not null';
  ELSIF src = 'crm_follow_ups' THEN
    RETURN format('select x.tenant_id, coalesce(x.author_id, ''''), (x.created_at at time zone z.zone)::date,
      0, 0, 0, 0, 0, 0::numeric, %s, 0::bigint, 0::bigint from %s x', s, rel) || zone;
  ELSIF src = 'sales_contracts' THEN
    RETURN format('select x.tenant_id, coalesce(x.owner_id, ''''), (x.activated_at at time zone z.zone)::date,
      0, 0, 0, 0, 0, 0::numeric, 0, %s * x.amount_cents, 0::bigint from %s x', s, rel) || zone
      || ' where x.activated_at is not null';
  ELSIF src = 'sales_payments' THEN
    RETURN format('select x.tenant_id, c.owner_id, x.received_on,
      0, 0, 0, 0, 0, 0::numeric, 0, 0::bigint, %s * x.amount_cents from %s x
      join sales_contracts c on c.tenant_id = x.tenant_id and c.id = x.contract_id', s, rel);
  ELSIF src = 'contract_payments' THEN
    -- A contract's payments credited to its owner in `rel` (an owner transfer moves them).
    RETURN format('select x.tenant_id, coalesce(x.owner_id, ''''), p.received_on,
      0, 0, 0, 0, 0, 0::numeric, 0, 0::bigint, %s * p.amount_cents from %s x
      join sales_payments p on p.tenant_id = x.tenant_id and p.contract_id = x.id', s, rel);
  END IF;
  RAISE EXCEPTION 'report_person_facts: unknown source %', src;
END $$;
--> statement-breakpoint
-- The statement that sums the facts of `parts` (SELECTs joined by UNION ALL) per key and adds them to the
-- rollup. Returned as text: the trigger function runs it itself, as only it sees the transition tables.
CREATE OR REPLACE FUNCTION report_person_add(parts text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  RETURN 'insert into report_person_daily as r (tenant_id, user_id, day, customers, opportunities, visits,
      visits_flagged, visits_timed, visit_seconds, follow_ups, contract_cents, payment_cents)
    select tenant_id, user_id, day, sum(customers), sum(opportunities), sum(visits), sum(visits_flagged),
      sum(visits_timed), sum(visit_seconds), sum(follow_ups), sum(contract_cents), sum(payment_cents)
    from (' || parts || ') d (tenant_id, user_id, day, customers, opportunities, visits, visits_flagged,
      visits_timed, visit_seconds, follow_ups, contract_cents, payment_cents)
    group by 1, 2, 3
    having sum(customers) <> 0 or sum(opportunities) <> 0 or sum(visits) <> 0 or sum(visits_flagged) <> 0
      or sum(visits_timed) <> 0 or sum(visit_seconds) <> 0 or sum(follow_ups) <> 0
      or sum(contract_cents) <> 0 or sum(payment_cents) <> 0
    order by 1, 2, 3
    on conflict (tenant_id, user_id, day) do update set
      customers = r.customers + excluded.customers,
      opportunities = r.opportunities + excluded.opportunities,
      visits = r.visits + excluded.visits,
      visits_flagged = r.visits_flagged + excluded.visits_flagged,
      visits_timed = r.visits_timed + excluded.visits_timed,
      visit_seconds = r.visit_seconds + excluded.visit_seconds,
      follow_ups = r.follow_ups + excluded.follow_ups,
      contract_cents = r.contract_cents + excluded.contract_cents,
      payment_cents = r.payment_cents + excluded.payment_cents';
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION report_person_daily_trg() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE parts text[] := '{}';
BEGIN
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    parts := parts || report_person_facts(TG_TABLE_NAME, 'new_rows', 1);
  END IF;
  IF TG_OP IN ('DELETE', 'UPDATE') THEN
    parts := parts || report_person_facts(TG_TABLE_NAME, 'old_rows', -1);
  END IF;
  IF TG_OP = 'UPDATE' AND TG_TABLE_NAME = 'sales_contracts' THEN
    parts := parts || report_person_facts('contract_payments', 'new_rows', 1)
                   || report_person_facts('contract_payments', 'old_rows', -1);
  END IF;
  EXECUTE report_person_add(array_to_string(parts, ' union all '));
  RETURN NULL;
END $$;
--> statement-breakpoint
-- A deleted contract's payments leave with it: subtracted here while they still exist (the cascade that
-- deletes them next finds no contract, so adds nothing).
CREATE OR REPLACE FUNCTION report_person_contract_gone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE report_person_add(format(
    'select p.tenant_id, %L::text, p.received_on, 0, 0, 0, 0, 0, 0::numeric, 0, 0::bigint, -p.amount_cents
     from sales_payments p where p.tenant_id = %L and p.contract_id = %L', OLD.owner_id, OLD.tenant_id, OLD.id));
  RETURN OLD;
END $$;
--> statement-breakpoint
-- One tenant's rollup recomputed from its records (the backfill, and after a time-zone change).
CREATE OR REPLACE FUNCTION report_person_daily_rebuild(t text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  src text;
  parts text[] := '{}';
BEGIN
  DELETE FROM report_person_daily WHERE tenant_id = t;
  FOREACH src IN ARRAY ARRAY['crm_customers', 'sales_opportunities', 'crm_visits', 'crm_follow_ups',
      'sales_contracts', 'sales_payments'] LOOP
    parts := parts || report_person_facts(src, format('(select * from %I where tenant_id = %L)', src, t), 1);
  END LOOP;
  EXECUTE report_person_add(array_to_string(parts, ' union all '));
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION report_person_daily_rezone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM report_person_daily_rebuild(NEW.id);
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER crm_customers_report_ins AFTER INSERT ON crm_customers REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION report_person_daily_trg();
--> statement-breakpoint
CREATE TRIGGER crm_customers_report_upd AFTER UPDATE ON crm_customers REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION report_person_daily_trg();
--> statement-breakpoint
CREATE TRIGGER crm_customers_report_del AFTER DELETE ON crm_customers REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION report_person_daily_trg();
--> statement-breakpoint
CREATE TRIGGER sales_opportunities_report_ins AFTER INSERT ON sales_opportunities REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION report_person_daily_trg();
--> statement-breakpoint
CREATE TRIGGER sales_opportunities_report_upd AFTER UPDATE ON sales_opportunities REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION report_person_daily_trg();
--> statement-breakpoint
CREATE TRIGGER sales_opportunities_report_del AFTER DELETE ON sales_opportunities REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION report_person_daily_trg();
--> statement-breakpoint
CREATE TRIGGER crm_visits_report_ins AFTER INSERT ON crm_visits REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION report_person_daily_trg();
--> statement-breakpoint
CREATE TRIGGER crm_visits_report_upd AFTER UPDATE ON crm_visits REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION report_person_daily_trg();
--> statement-breakpoint
CREATE TRIGGER crm_visits_report_del AFTER DELETE ON crm_visits REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION report_person_daily_trg();
--> statement-breakpoint
CREATE TRIGGER crm_follow_ups_report_ins AFTER INSERT ON crm_follow_ups REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION report_person_daily_trg();
--> statement-breakpoint
CREATE TRIGGER crm_follow_ups_report_upd AFTER UPDATE ON crm_follow_ups REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION report_person_daily_trg();
--> statement-breakpoint
CREATE TRIGGER crm_follow_ups_report_del AFTER DELETE ON crm_follow_ups REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION report_person_daily_trg();
--> statement-breakpoint
CREATE TRIGGER sales_contracts_report_ins AFTER INSERT ON sales_contracts REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION report_person_daily_trg();
--> statement-breakpoint
CREATE TRIGGER sales_contracts_report_upd AFTER UPDATE ON sales_contracts REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION report_person_daily_trg();
--> statement-breakpoint
CREATE TRIGGER sales_contracts_report_del AFTER DELETE ON sales_contracts REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION report_person_daily_trg();
--> statement-breakpoint
CREATE TRIGGER sales_contracts_report_gone BEFORE DELETE ON sales_contracts FOR EACH ROW EXECUTE FUNCTION report_person_contract_gone();
--> statement-breakpoint
CREATE TRIGGER sales_payments_report_ins AFTER INSERT ON sales_payments REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION report_person_daily_trg();
--> statement-breakpoint
CREATE TRIGGER sales_payments_report_upd AFTER UPDATE ON sales_payments REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION report_person_daily_trg();
--> statement-breakpoint
CREATE TRIGGER sales_payments_report_del AFTER DELETE ON sales_payments REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION report_person_daily_trg();
--> statement-breakpoint
CREATE TRIGGER tenants_report_rezone AFTER UPDATE OF settings ON tenants FOR EACH ROW
  WHEN (OLD.settings ->> 'timeZone' IS DISTINCT FROM NEW.settings ->> 'timeZone')
  EXECUTE FUNCTION report_person_daily_rezone();
--> statement-breakpoint
SELECT report_person_daily_rebuild(id) FROM tenants;
